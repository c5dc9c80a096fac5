"""Calendar feed grants: subscribable ICS URLs whose token is the credential.

Only a SHA-256 of a feed's token is stored (the token itself is shown once, in the answer
that issues it). Two items per feed, written and removed together in one transaction:

| item | PK | SK | GSI1 |
|---|---|---|---|
| grant (the feed route reads it) | ``CALFEED#<sha256(token)>`` | ``CALFEED`` | ``USER#<u>`` / ``CALFEED#<target>`` |
| slot (the user's feed for a target) | ``USER#<u>`` | ``CALFEED#<target>`` | |

``target`` is ``me`` (a customer's own bookings), ``BIZ#<b>#VENUE#<v>`` or
``BIZ#<b>#SPEC#<p>``. One feed per user and target: issuing again replaces the token (the
old URL stops at once), revoking deletes both items. Both sit where the erasure walks a
user's items (the user's partition and GSI1 ``USER#<u>``), so an erased account leaves none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute

from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

GRANT_SK = "CALFEED"
ME = "me"


class CalendarFeed(TableItem, discriminator="CalendarFeed"):
    """The grant a feed token opens (keyed by the token's hash)."""

    user_id = UnicodeAttribute()
    scope = UnicodeAttribute()  # customer | venue | specialist
    business_id = UnicodeAttribute(null=True)
    venue_id = UnicodeAttribute(null=True)
    specialist_id = UnicodeAttribute(null=True)
    created_at = InstantAttribute()


class CalendarFeedSlot(TableItem, discriminator="CalendarFeedSlot"):
    """Which token hash is the user's current feed for one target (to rotate or revoke it)."""

    user_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    created_at = InstantAttribute()


class FeedChanged(Exception):
    """Another request issued or revoked this feed since it was read: read again."""


@dataclass(frozen=True)
class Grant:
    user_id: str
    scope: str
    business_id: str | None
    venue_id: str | None
    specialist_id: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def venue_target(business_id: str, venue_id: str) -> str:
    return f"BIZ#{business_id}#VENUE#{venue_id}"


def specialist_target(business_id: str, specialist_id: str) -> str:
    return f"BIZ#{business_id}#SPEC#{specialist_id}"


def _grant_pk(hashed: str) -> str:
    return f"CALFEED#{hashed}"


def _slot_key(user_id: str, target: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"CALFEED#{target}"


def current_hash(user_id: str, target: str) -> str | None:
    """One GetItem (consistent): the token hash of the user's feed for ``target``, if any."""
    slot = db.get(CalendarFeedSlot, *_slot_key(user_id, target), consistent=True)
    return slot.token_hash if slot else None


def issue(
    grant: Grant, target: str, new_token: str, replaces: str | None, now: datetime, *, tx: db.Transaction | None = None
) -> None:
    """One TransactWriteItems: the new grant, the slot pointing at it (on condition it still
    points at ``replaces``, or is absent), and the replaced grant deleted. FeedChanged when
    a concurrent issue or revoke moved the slot first."""
    hashed = token_hash(new_token)
    slot_pk, slot_sk = _slot_key(grant.user_id, target)
    tx = tx if tx is not None else db.Transaction()
    item = CalendarFeed(
        _grant_pk(hashed),
        GRANT_SK,
        gsi1pk=slot_pk,
        gsi1sk=slot_sk,
        user_id=grant.user_id,
        scope=grant.scope,
        business_id=grant.business_id,
        venue_id=grant.venue_id,
        specialist_id=grant.specialist_id,
        created_at=now,
    )
    tx.put(item, role="grant", condition=CalendarFeed.pk.does_not_exist())
    slot = CalendarFeedSlot(slot_pk, slot_sk, user_id=grant.user_id, token_hash=hashed, created_at=now)
    same = CalendarFeedSlot.pk.does_not_exist() if replaces is None else CalendarFeedSlot.token_hash == replaces
    tx.put(slot, role="slot", condition=same)
    if replaces is not None:
        tx.delete(CalendarFeed(_grant_pk(replaces), GRANT_SK), role="old-grant")
    _commit(tx)


def revoke(user_id: str, target: str, current: str) -> None:
    """One TransactWriteItems: the slot (on condition it still holds ``current``) and its grant."""
    tx = db.Transaction()
    tx.delete(
        CalendarFeedSlot(*_slot_key(user_id, target)), role="slot", condition=CalendarFeedSlot.token_hash == current
    )
    tx.delete(CalendarFeed(_grant_pk(current), GRANT_SK), role="grant")
    _commit(tx)


def _commit(tx: db.Transaction) -> None:
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise FeedChanged() from None


def find(token: str) -> Grant | None:
    """One GetItem (consistent: a revoked token is refused at once) by the token's hash."""
    item = db.get(CalendarFeed, _grant_pk(token_hash(token)), GRANT_SK, consistent=True)
    if item is None:
        return None
    return Grant(item.user_id, item.scope, item.business_id, item.venue_id, item.specialist_id)
