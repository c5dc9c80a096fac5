"""Staff memberships: who holds which role in which business (tenant).

Keys: ``BIZ#<b>`` / ``STAFF#<u>`` (the business's staff list), GSI1 ``USER#<u>`` / ``BIZ#<b>``
(a user's businesses). One item per (business, user): a user has one role per business.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.transactions import TransactWrite

from chalicelib import deps, errors
from chalicelib.domain.identity import Role
from chalicelib.store.table import TableItem


class Membership(TableItem, discriminator="Membership"):
    business_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UnicodeAttribute()


def _key(business_id: str, user_id: str) -> tuple[str, str]:
    return f"BIZ#{business_id}", f"STAFF#{user_id}"


def membership_item(business_id: str, user_id: str, role: Role, at: datetime | None = None) -> Membership:
    pk, sk = _key(business_id, user_id)
    created = (at or deps.clock().now()).astimezone(UTC).isoformat(timespec="seconds")
    return Membership(
        pk=pk,
        sk=sk,
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"BIZ#{business_id}",
        business_id=business_id,
        user_id=user_id,
        role=role.value,
        created_at=created,
    )


def transaction() -> TransactWrite:
    """A TransactWrite bound to the table (for callers that add the membership to their own writes)."""
    from chalicelib.store.users import new_transaction

    return new_transaction()


def add_membership_in(
    transaction: TransactWrite, business_id: str, user_id: str, role: Role, at: datetime | None = None
) -> None:
    """Add the membership put to a caller's TransactWrite (e.g. business + owner atomically).

    The put fails the transaction when this user is already a member of the business.
    """
    transaction.save(membership_item(business_id, user_id, role, at), condition=Membership.pk.does_not_exist())


def add_membership(business_id: str, user_id: str, role: Role, at: datetime | None = None) -> Membership:
    item = membership_item(business_id, user_id, role, at)
    try:
        item.save(condition=Membership.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise errors.Conflict("This user is already a member of the business") from None
        raise errors.DependencyUnavailable("Could not add the membership") from exc
    return item


def get_role(business_id: str, user_id: str) -> Role | None:
    """One GetItem (strongly consistent: a removed member loses access at once)."""
    try:
        item = Membership.get(*_key(business_id, user_id), consistent_read=True)
    except DoesNotExist:
        return None
    return Role(item.role)


def list_memberships(user_id: str, limit: int = 100) -> list[Membership]:
    """One Query on GSI1."""
    found = Membership.gsi1.query(f"USER#{user_id}", Membership.gsi1sk.startswith("BIZ#"), limit=limit)
    return [item for item in found if isinstance(item, Membership)]


def has_any_membership(user_id: str) -> bool:
    return bool(list(Membership.gsi1.query(f"USER#{user_id}", Membership.gsi1sk.startswith("BIZ#"), limit=1)))


def remove_membership(business_id: str, user_id: str) -> None:
    pk, sk = _key(business_id, user_id)
    Membership(pk=pk, sk=sk).delete()
