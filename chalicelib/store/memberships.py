"""Staff memberships: who holds which role in which business (tenant).

Keys: ``BIZ#<b>`` / ``STAFF#<u>`` (the business's staff list), GSI1 ``USER#<u>`` / ``BIZ#<b>``
(a user's businesses). One item per (business, user): a user has one role per business.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute

from chalicelib import deps, errors
from chalicelib.domain.identity import Role
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

MEMBERSHIP = "membership"  # the role of the membership put in a caller's transaction


class Membership(TableItem, discriminator="Membership"):
    business_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = InstantAttribute()


def _key(business_id: str, user_id: str) -> tuple[str, str]:
    return f"BIZ#{business_id}", f"STAFF#{user_id}"


def membership_item(business_id: str, user_id: str, role: Role, at: datetime | None = None) -> Membership:
    pk, sk = _key(business_id, user_id)
    return Membership(
        pk=pk,
        sk=sk,
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"BIZ#{business_id}",
        business_id=business_id,
        user_id=user_id,
        role=role.value,
        created_at=at or deps.clock().now(),
    )


def since(membership: Membership) -> str:
    """When the membership began, as shown (ISO 8601 to the second, "+00:00")."""
    return membership.created_at.astimezone(UTC).isoformat(timespec="seconds")


def add_membership_in(
    transaction: db.Transaction, business_id: str, user_id: str, role: Role, at: datetime | None = None
) -> None:
    """Add the membership put to a caller's transaction (e.g. business + owner atomically).

    The put (role ``MEMBERSHIP``) fails the transaction when this user is already a member.
    """
    transaction.put(
        membership_item(business_id, user_id, role, at), role=MEMBERSHIP, condition=Membership.pk.does_not_exist()
    )


def add_membership(
    business_id: str, user_id: str, role: Role, at: datetime | None = None, *, tx: db.Transaction | None = None
) -> Membership:
    """One TransactWriteItems: the membership, with the caller's ``tx`` (its audit record)."""
    item = membership_item(business_id, user_id, role, at)
    tx = tx if tx is not None else db.Transaction()
    tx.put(item, role=MEMBERSHIP, condition=Membership.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if MEMBERSHIP in exc.failed:
            raise errors.Conflict("This user is already a member of the business") from None
        raise errors.Conflict("This membership is being changed right now; try again") from None
    return item


def get_role(business_id: str, user_id: str) -> Role | None:
    """One GetItem (strongly consistent: a removed member loses access at once)."""
    item = db.get(Membership, *_key(business_id, user_id), consistent=True)
    return None if item is None else Role(item.role)


def list_memberships(user_id: str, limit: int = 100) -> list[Membership]:
    """One Query on GSI1."""
    found = db.query(Membership, f"USER#{user_id}", Membership.gsi1sk.startswith("BIZ#"), index="GSI1", limit=limit)
    return [item for item in found if isinstance(item, Membership)]


def has_any_membership(user_id: str) -> bool:
    return any(db.query(Membership, f"USER#{user_id}", Membership.gsi1sk.startswith("BIZ#"), index="GSI1", limit=1))


def remove_membership(business_id: str, user_id: str) -> None:
    pk, sk = _key(business_id, user_id)
    db.delete(Membership(pk=pk, sk=sk))
