"""Waitlist entries (issue #18, item 3): who waits for which service at a venue, in join order.

| item | PK | SK |
|---|---|---|
| entry | ``WAIT#<b>#<v>`` | ``<joined UTC>#<id>`` |

Indexes: GSI1 ``USER#<u>`` / ``WAIT#<id>`` (the user's list, export, erasure); GSI2
``WAITOFFER`` / ``<expires>#<id>`` only while an offer is open (the lapse schedule);
ByExpiry at the window's end (the retention sweep).

The venue's partition read in key order IS the join order. An offer HOLDS its slot in the
specialist-day lock items themselves (store/bookings.py ``place_hold``): a map entry
``HOLD#<entry>#<expires>`` claimed like a booking (version-checked, in one transaction with
the entry's offer), so every other writer's overlap check sees it, until it expires (readers
ignore an expired hold by its key) or the holder books it (the claim replaces it). The
entry is on the user's GSI1 partition, so the account's export and erasure find it; its
expiry (the window's end) lets the retention sweep remove it once the window has passed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute

from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

OFFERS_PK = "WAITOFFER"


class WaitlistEntry(TableItem, discriminator="WaitlistEntry"):
    entry_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute(null=True)  # None: any specialist
    window_start = InstantAttribute()
    window_end = InstantAttribute()
    joined_at = InstantAttribute()
    # The open offer: the held start, its specialist, the lock entry's key and when it lapses.
    offer_start = InstantAttribute(null=True)
    offer_specialist_id = UnicodeAttribute(null=True)
    offer_hold = UnicodeAttribute(null=True)
    offer_expires_at = InstantAttribute(null=True)
    passed = ListAttribute[str](default=list)  # starts offered and left to lapse: not offered again


@dataclass(frozen=True)
class Entry:
    entry_id: str
    user_id: str
    business_id: str
    venue_id: str
    service_id: str
    specialist_id: str | None
    window_start: datetime
    window_end: datetime
    joined_at: datetime
    offer_start: datetime | None = None
    offer_specialist_id: str | None = None
    offer_hold: str | None = None
    offer_expires_at: datetime | None = None
    passed: tuple[str, ...] = ()

    def open_offer(self, now: datetime) -> bool:
        return self.offer_expires_at is not None and self.offer_expires_at > now


def venue_pk(business_id: str, venue_id: str) -> str:
    return f"WAIT#{business_id}#{venue_id}"


def entry_sk(joined_at: datetime, entry_id: str) -> str:
    return f"{codec.encode(joined_at)}#{entry_id}"


def user_index_key(user_id: str) -> str:
    return f"USER#{user_id}"


def hold_key(entry_id: str, expires_at: datetime) -> str:
    """The lock map key of an offer's hold: readers ignore it once ``expires_at`` has passed."""
    return f"HOLD#{entry_id}#{codec.encode(expires_at)}"


def _view(record: WaitlistEntry) -> Entry:
    return Entry(
        entry_id=record.entry_id,
        user_id=record.user_id,
        business_id=record.business_id,
        venue_id=record.venue_id,
        service_id=record.service_id,
        specialist_id=record.specialist_id,
        window_start=record.window_start,
        window_end=record.window_end,
        joined_at=record.joined_at,
        offer_start=record.offer_start,
        offer_specialist_id=record.offer_specialist_id,
        offer_hold=record.offer_hold,
        offer_expires_at=record.offer_expires_at,
        passed=tuple(record.passed or ()),
    )


def _keys(entry: Entry) -> tuple[str, str]:
    return venue_pk(entry.business_id, entry.venue_id), entry_sk(entry.joined_at, entry.entry_id)


def add(entry: Entry) -> None:
    """One PutItem (a new id: never overwrites). Due at the window's end (retention sweep)."""
    from chalicelib.store import retention

    pk, sk = _keys(entry)
    record = WaitlistEntry(
        pk,
        sk,
        gsi1pk=user_index_key(entry.user_id),
        gsi1sk=f"WAIT#{entry.entry_id}",
        entry_id=entry.entry_id,
        user_id=entry.user_id,
        business_id=entry.business_id,
        venue_id=entry.venue_id,
        service_id=entry.service_id,
        specialist_id=entry.specialist_id,
        window_start=entry.window_start,
        window_end=entry.window_end,
        joined_at=entry.joined_at,
    )
    retention.set_expiry(record, entry.window_end)
    db.put(record, condition=WaitlistEntry.pk.does_not_exist())


def of_user(user_id: str, now: datetime) -> list[Entry]:
    """One Query on GSI1 (the user's partition, ``WAIT#`` entries); lapsed windows left out."""
    found = db.query(WaitlistEntry, user_index_key(user_id), WaitlistEntry.gsi1sk.startswith("WAIT#"), index="GSI1")
    entries = [_view(r) for r in found if isinstance(r, WaitlistEntry)]
    return sorted((e for e in entries if e.window_end > now), key=lambda e: (e.joined_at, e.entry_id))


def of_venue(business_id: str, venue_id: str) -> list[Entry]:
    """The venue's entries in join order: one Query (consistent)."""
    found = db.query(WaitlistEntry, venue_pk(business_id, venue_id), consistent=True)
    return [_view(r) for r in found if isinstance(r, WaitlistEntry)]


def find(user_id: str, entry_id: str, now: datetime) -> Entry | None:
    return next((e for e in of_user(user_id, now) if e.entry_id == entry_id), None)


def remove(entry: Entry) -> None:
    """One DeleteItem (idempotent)."""
    db.delete(WaitlistEntry(*_keys(entry)))


def remove_in(tx: db.Transaction, entry: Entry, hold: str) -> None:
    """Delete the entry in the holder's booking transaction, only while its offer is that hold."""
    tx.delete(WaitlistEntry(*_keys(entry)), role="waitlist", condition=WaitlistEntry.offer_hold == hold)


def offer_in(
    tx: db.Transaction, entry: Entry, start: datetime, specialist_id: str, hold: str, expires: datetime
) -> None:
    """Record the offer on the entry (in the hold's transaction), only if the entry still has
    the offer it had when read (none, or the lapsed one), so two runs cannot both offer."""
    r = WaitlistEntry
    expected = r.offer_hold.does_not_exist() if entry.offer_hold is None else r.offer_hold == entry.offer_hold
    actions: list[Any] = [
        r.offer_start.set(start),
        r.offer_specialist_id.set(specialist_id),
        r.offer_hold.set(hold),
        r.offer_expires_at.set(expires),
        r.gsi2pk.set(OFFERS_PK),
        r.gsi2sk.set(f"{codec.encode(expires)}#{entry.entry_id}"),
    ]
    tx.update(WaitlistEntry(*_keys(entry)), actions, role="waitlist", condition=r.pk.exists() & expected)


def lapse(entry: Entry) -> None:
    """An offer that lapsed: forget it and remember its start, so it is not offered again
    (one UpdateItem, conditional on the same offer)."""
    if entry.offer_start is None:
        return
    r = WaitlistEntry
    actions: list[Any] = [
        r.offer_start.remove(),
        r.offer_specialist_id.remove(),
        r.offer_hold.remove(),
        r.offer_expires_at.remove(),
        r.gsi2pk.remove(),
        r.gsi2sk.remove(),
        r.passed.set(r.passed.append([codec.encode(entry.offer_start)])),
    ]
    with contextlib.suppress(db.ConditionFailed):  # taken, left or changed meanwhile: nothing to forget
        db.update(WaitlistEntry(*_keys(entry)), actions, condition=r.offer_hold == (entry.offer_hold or ""))


def offers_due(now: datetime) -> list[tuple[str, str]]:
    """Venues (business, venue) with an offer that lapsed by ``now``: one Query on GSI2."""
    upper = f"{codec.encode(now)}#~"
    found = db.query(WaitlistEntry, OFFERS_PK, WaitlistEntry.gsi2sk <= upper, index="GSI2")
    return sorted({(r.business_id, r.venue_id) for r in found if isinstance(r, WaitlistEntry)})
