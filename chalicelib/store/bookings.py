"""Bookings, specialist-day locks and idempotency records in the single table.

Keys (docs/bookings.md has the full design and every operation's DynamoDB calls):

| item | PK | SK |
|---|---|---|
| booking | ``BKG#<id>`` | ``BOOKING`` |
| specialist-day lock | ``BIZ#<b>#SPEC#<p>`` | ``DAY#<yyyy-mm-dd>`` (UTC date) |
| idempotency record | ``IDEM#<user>`` | ``KEY#<sha256(key)>`` |

Booking GSIs: GSI1 ``CUST#<user>`` / GSI2 ``BIZ#<b>#VENUE#<v>#BKG`` / GSI3
``BIZ#<b>#SPEC#<p>#BKG``, each sorted by ``<start UTC>#<id>``.

The no-overlap invariant lives here. A lock item holds the occupied intervals (buffers
included) of every live booking of one specialist that touches its UTC day, plus a
version. Writes that ADD occupancy (create, reschedule) put the new interval into every
touched lock with the condition ``version = <version read>`` (or ``attribute_not_exists``
for a new lock) and bump the version, in one transaction with the booking itself: two
writers that both saw a free slot cannot both commit. Writes that only REMOVE occupancy
(cancel, attended, no-show) need no version check: removing never creates an overlap.

Every write is a ``db.Transaction`` built from the models below (the caller may pass one
that already holds its events). Reads on the hot path go through the store's raw helpers
(``db.get_raw``, ``db.batch_get_raw``, ``db.query_raw`` and ``db.decoder``): no model
instance per item, so ``busy_intervals`` stays cheap over thousands of bookings. Lock
intervals are ``<start>/<end>`` in the store's one time codec (fixed width, so a string
comparison is a time comparison).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.bookings import (
    IDEMPOTENCY_WINDOW,
    Actor,
    Booking,
    BookingStatus,
    DiscountCode,
    Interval,
    lock_days,
)
from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

# A lock outlives its day so late status changes (attended, no-show) can still release it;
# release is skipped for intervals that ended longer ago than RELEASE_HORIZON.
LOCK_TTL_AFTER_DAY = window("day_lock")
RELEASE_HORIZON = timedelta(days=30)


# --- item shapes ----------------------------------------------------------------------------


class BookingRecord(TableItem, discriminator="BookingRecord"):
    booking_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute()
    specialist_requested = BooleanAttribute(default=False)
    service_id = UnicodeAttribute()
    customer_user_id = UnicodeAttribute()
    status = UnicodeAttribute()
    start_at = InstantAttribute()
    end_at = InstantAttribute()
    occupied_start = InstantAttribute()
    occupied_end = InstantAttribute()
    timezone = UnicodeAttribute()
    notes = UnicodeAttribute(null=True)
    discount_code = UnicodeAttribute(null=True)
    price_minor = NumberAttribute()
    discount_minor = NumberAttribute(default=0)
    currency = UnicodeAttribute()
    venue_name = UnicodeAttribute()
    venue_address = UnicodeAttribute()
    service_name = UnicodeAttribute()
    specialist_name = UnicodeAttribute()
    cancelled_by = UnicodeAttribute(null=True)
    created_at = InstantAttribute()
    updated_at = InstantAttribute()
    version = NumberAttribute()
    # Staff-made bookings (services/staff_bookings.py): absent on a customer's own booking.
    kind = UnicodeAttribute(null=True)  # "block" for a personal block; absent = "booking"
    business_customer_id = UnicodeAttribute(null=True)  # the business's own customer record
    visit_id = UnicodeAttribute(null=True)  # a part of a multi-service visit (VisitRecord)


class SpecialistDayLock(TableItem, discriminator="SpecialistDayLock"):
    business_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute()
    day = UnicodeAttribute()
    # booking id -> "<start>/<end>" (codec instants): live bookings touching this UTC day.
    occupied = MapAttribute[str, str](default=dict)
    version = NumberAttribute()


class VisitRecord(TableItem, discriminator="VisitRecord"):
    """A multi-service visit: which bookings are its parts (``VISIT#<id>`` / ``VISIT``)."""

    visit_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    booking_ids = ListAttribute[str](default=list)  # in chain order
    created_at = InstantAttribute()


class BookingIdempotencyRecord(TableItem, discriminator="BookingIdempotencyRecord"):
    user_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    created_at = InstantAttribute()
    expires_at = InstantAttribute(null=True)


# --- errors the service reacts to (never leave the service layer) ---------------------------


class LockConflict(Exception):
    """A lock changed since it was read (or a concurrent transaction touched it): re-read and retry."""


class BookingChanged(Exception):
    """The booking's version moved on since it was read."""


class DiscountRejected(Exception):
    """The discount code's conditional increment failed: used up, expired or deactivated."""


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first."""


class OfferGone(Exception):
    """The waitlist offer a booking or a hold relied on changed meanwhile (taken, lapsed, left)."""


class CustomerGone(Exception):
    """The business's customer record named by a staff booking was deleted meanwhile."""


# --- keys and encoding ------------------------------------------------------------------------

BOOKING_SK = "BOOKING"
VISIT_SK = "VISIT"


def visit_pk(visit_id: str) -> str:
    return f"VISIT#{visit_id}"


def booking_pk(booking_id: str) -> str:
    return f"BKG#{booking_id}"


def lock_pk(business_id: str, specialist_id: str) -> str:
    return f"BIZ#{business_id}#SPEC#{specialist_id}"


def lock_sk(day: date) -> str:
    return f"DAY#{codec.day(day)}"


# ``(user_id, key, request_hash)``: an Idempotency-Key and the request it is bound to.
Idempotency = tuple[str, str, str]


def idempotency_keys(user_id: str, key: str) -> tuple[str, str]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"IDEM#{user_id}", f"KEY#{digest}"


def customer_index_key(user_id: str) -> str:
    return f"CUST#{user_id}"


def venue_index_key(business_id: str, venue_id: str) -> str:
    return f"BIZ#{business_id}#VENUE#{venue_id}#BKG"


def specialist_index_key(business_id: str, specialist_id: str) -> str:
    return f"BIZ#{business_id}#SPEC#{specialist_id}#BKG"


def _sort_key(booking: Booking) -> str:
    return f"{codec.encode(booking.start)}#{booking.booking_id}"


def sort_bound(instant: datetime) -> str:
    """A GSI sort-key bound at an instant: every ``<start>#<id>`` at or after ``instant`` is >= it."""
    return codec.encode(instant)


def _encode_interval(interval: Interval) -> str:
    return f"{codec.encode(interval[0])}/{codec.encode(interval[1])}"


def _decode_interval(text: str) -> Interval:
    start, _, end = text.partition("/")
    return codec.decode(start), codec.decode(end)


def booking_record(booking: Booking) -> BookingRecord:
    """The booking as its item (keys and index attributes included)."""
    sort_key = _sort_key(booking)
    # A walk-in without an account, or a block, has no customer: it is in no customer's list.
    has_account = bool(booking.customer_user_id)
    return BookingRecord(
        booking_pk(booking.booking_id),
        BOOKING_SK,
        gsi1pk=customer_index_key(booking.customer_user_id) if has_account else None,
        gsi1sk=sort_key if has_account else None,
        gsi2pk=venue_index_key(booking.business_id, booking.venue_id),
        gsi2sk=sort_key,
        gsi3pk=specialist_index_key(booking.business_id, booking.specialist_id),
        gsi3sk=sort_key,
        booking_id=booking.booking_id,
        business_id=booking.business_id,
        venue_id=booking.venue_id,
        specialist_id=booking.specialist_id,
        specialist_requested=booking.specialist_requested,
        service_id=booking.service_id,
        customer_user_id=booking.customer_user_id,
        status=booking.status.value,
        start_at=booking.start,
        end_at=booking.end,
        occupied_start=booking.occupied_start,
        occupied_end=booking.occupied_end,
        timezone=booking.timezone,
        notes=booking.notes,
        discount_code=booking.discount_code,
        price_minor=booking.price_minor,
        discount_minor=booking.discount_minor,
        currency=booking.currency,
        venue_name=booking.venue_name,
        venue_address=booking.venue_address,
        service_name=booking.service_name,
        specialist_name=booking.specialist_name,
        cancelled_by=booking.cancelled_by.value if booking.cancelled_by else None,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
        version=booking.version,
        kind=booking.kind if booking.kind != "booking" else None,
        business_customer_id=booking.business_customer_id,
        visit_id=booking.visit_id,
    )


# What a Booking is made of: the item's other attributes (keys, index keys) are not decoded.
_BOOKING_FIELDS = (
    "booking_id", "business_id", "venue_id", "specialist_id", "specialist_requested", "service_id",
    "customer_user_id", "status", "start_at", "end_at", "occupied_start", "occupied_end", "timezone", "notes",
    "discount_code", "price_minor", "discount_minor", "currency", "venue_name", "venue_address", "service_name",
    "specialist_name", "cancelled_by", "created_at", "updated_at", "version", "exp_sk", "kind", "business_customer_id",
    "visit_id",
)  # fmt: skip


def booking_from_item(item: Mapping[str, Any], now: datetime | None = None) -> Booking:
    """A raw booking item (hot read path) to the domain object, decoded through the model.
    With ``now``, as a reader may show it then (retention.honour_deadline: no identifying
    attribute once its deadline has passed, before any sweep)."""
    v = db.decoder(BookingRecord, _BOOKING_FIELDS)(item)
    if now is not None:
        from chalicelib.store import retention

        v = retention.honour_deadline("BookingRecord", v, now)
    return Booking(
        booking_id=v["booking_id"],
        business_id=v["business_id"],
        venue_id=v["venue_id"],
        specialist_id=v["specialist_id"],
        specialist_requested=bool(v["specialist_requested"]),
        service_id=v["service_id"],
        customer_user_id=v["customer_user_id"],
        status=BookingStatus(v["status"]),
        start=v["start_at"],
        end=v["end_at"],
        occupied_start=v["occupied_start"],
        occupied_end=v["occupied_end"],
        timezone=v["timezone"],
        notes=v["notes"],
        discount_code=v["discount_code"],
        price_minor=int(v["price_minor"]),
        discount_minor=int(v["discount_minor"]),
        currency=v["currency"],
        venue_name=v["venue_name"],
        venue_address=v["venue_address"],
        service_name=v["service_name"],
        specialist_name=v["specialist_name"],
        cancelled_by=Actor(v["cancelled_by"]) if v["cancelled_by"] else None,
        created_at=v["created_at"],
        updated_at=v["updated_at"],
        version=int(v["version"] if v["version"] is not None else 1),
        kind="block" if v["kind"] == "block" else "booking",
        business_customer_id=v["business_customer_id"],
        visit_id=v["visit_id"],
    )


# --- reads -----------------------------------------------------------------------------------


def get_booking(booking_id: str, now: datetime | None = None) -> Booking | None:
    """One GetItem (strongly consistent: callers act on its version); ``now`` for a view."""
    item = db.get_raw(booking_pk(booking_id), BOOKING_SK)
    return booking_from_item(item, now) if item else None


def get_bookings(booking_ids: Sequence[str], now: datetime | None = None) -> list[Booking]:
    """Bookings by id: one BatchGetItem per 100 (consistent); missing ones are left out."""
    wanted = list(dict.fromkeys(booking_ids))
    found: list[Booking] = []
    for first in range(0, len(wanted), 100):
        items = db.batch_get_raw([(booking_pk(b), BOOKING_SK) for b in wanted[first : first + 100]])
        found += [booking_from_item(item, now) for item in items.values()]
    return sorted(found, key=lambda b: (b.start, b.booking_id))


def remove_notes(tx: db.Transaction, booking_id: str) -> None:
    """Remove a booking's notes (an erasure of the business's customer record), only if it still exists."""
    item = BookingRecord(booking_pk(booking_id), BOOKING_SK)
    tx.update(item, [BookingRecord.notes.remove()], role="booking", condition=BookingRecord.pk.exists())


@dataclass
class DayLock:
    """One specialist-day lock as read; ``version`` 0 means the item does not exist yet."""

    specialist_id: str
    day: date
    version: int = 0
    occupied: dict[str, Interval] = field(default_factory=dict)


HOLD_PREFIX = "HOLD#"  # a waitlist offer's hold: ``HOLD#<entry>#<expires>`` (store/waitlist.py)


def hold_active(key: str, now: datetime | None) -> bool:
    """Whether a lock map entry still occupies time at ``now``: a booking always, a waitlist
    hold until it expires (its key says when). Without ``now`` every entry counts."""
    if now is None or not key.startswith(HOLD_PREFIX):
        return True
    return codec.encode(now) < key.rpartition("#")[2]


def _lock_from_item(
    specialist_id: str, day: date, item: Mapping[str, Any] | None, now: datetime | None = None
) -> DayLock:
    if not item:
        return DayLock(specialist_id, day)
    values = db.decoder(SpecialistDayLock)(item)
    return DayLock(
        specialist_id,
        day,
        version=int(values["version"]),
        occupied={
            booking_id: _decode_interval(text)
            for booking_id, text in values["occupied"].items()
            if hold_active(booking_id, now)
        },
    )


@dataclass
class IdempotencyEntry:
    request_hash: str
    booking_id: str


def read_locks_and_discount(
    business_id: str,
    specialist_days: Mapping[str, Sequence[date]],
    discount_code: str | None,
    now: datetime | None = None,
) -> tuple[dict[tuple[str, date], DayLock], DiscountCode | None]:
    """The day locks of each candidate specialist and the discount code: one BatchGetItem.
    With ``now``, waitlist holds that expired by then are left out (they occupy nothing)."""
    from chalicelib.store import discounts

    keys = [(lock_pk(business_id, spec), lock_sk(day)) for spec, days in specialist_days.items() for day in days]
    wanted_discount = discounts.discount_keys(business_id, discount_code) if discount_code else None
    if wanted_discount:
        keys.append(wanted_discount)
    items = db.batch_get_raw(keys)
    locks = {
        (spec, day): _lock_from_item(spec, day, items.get((lock_pk(business_id, spec), lock_sk(day))), now)
        for spec, days in specialist_days.items()
        for day in days
    }
    found = items.get(wanted_discount) if wanted_discount else None
    return locks, discounts.discount_from_item(found) if found else None


def get_idempotency(user_id: str, key: str, now: datetime) -> IdempotencyEntry | None:
    """One GetItem. An expired record counts as absent (DynamoDB Local never expires TTL items)."""
    record = db.get(BookingIdempotencyRecord, *idempotency_keys(user_id, key))
    if record is None or record.expires_at is None or record.expires_at <= now:
        return None
    return IdempotencyEntry(request_hash=record.request_hash, booking_id=record.booking_id)


def busy_intervals(
    business_id: str,
    venue_id: str,
    specialist_ids: Iterable[str],
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> dict[str, list[Interval]]:
    """Live bookings' occupied intervals (buffers included) per specialist, overlapping
    [start, end), sorted. One Query per specialist over its day locks (no booking items read).

    ``venue_id`` is accepted for symmetry with the catalog; a specialist belongs to one venue."""
    del venue_id
    first_day = lock_sk((start.astimezone(UTC) - timedelta(days=1)).date())  # intervals cross midnight
    last_day = lock_sk((end.astimezone(UTC) - timedelta(microseconds=1)).date())
    lo, hi = codec.encode(start), codec.encode(end)  # fixed width: text order is time order
    result: dict[str, list[Interval]] = {}
    for spec in specialist_ids:
        seen: dict[str, tuple[str, str]] = {}
        condition = (TableItem.pk == lock_pk(business_id, spec)) & TableItem.sk.between(first_day, last_day)
        for item in db.query_raw_all(condition, projection=["occupied"]):
            for booking_id, value in item.get("occupied", {}).get("M", {}).items():
                s, _, e = value["S"].partition("/")
                if s < hi and lo < e and hold_active(booking_id, now):
                    seen[booking_id] = (s, e)
        result[spec] = [(codec.decode(s), codec.decode(e)) for s, e in sorted(seen.values())]
    return result


# --- transactional writes -----------------------------------------------------------------------


def _occupied_entry(booking_id: str) -> Any:
    """The lock map's entry for one booking, as a PynamoDB path (its stubs type it as the value)."""
    return cast(Any, SpecialistDayLock.occupied)[booking_id]


def _claim_lock(tx: db.Transaction, business_id: str, lock: DayLock, booking_id: str, interval: Interval) -> None:
    """Add ``interval`` to a lock, conditional on the version read (or on absence)."""
    _claim_lock_entries(tx, business_id, lock, {booking_id: interval})


def _claim_lock_entries(
    tx: db.Transaction,
    business_id: str,
    lock: DayLock,
    entries: Mapping[str, Interval],
    role: str = "lock",
    replaces: str | None = None,
) -> None:
    """Add several bookings' intervals to ONE lock in one write (a visit whose parts share a
    specialist-day: a transaction may touch an item once), conditional on the version read."""
    encoded = {booking_id: _encode_interval(interval) for booking_id, interval in entries.items()}
    item = SpecialistDayLock(lock_pk(business_id, lock.specialist_id), lock_sk(lock.day))
    if lock.version == 0:
        item.business_id = business_id
        item.specialist_id = lock.specialist_id
        item.day = codec.day(lock.day)
        item.occupied = encoded
        item.version = 1
        item.ttl = datetime.combine(lock.day, datetime.min.time(), UTC) + LOCK_TTL_AFTER_DAY
        tx.put(item, role=role, condition=SpecialistDayLock.pk.does_not_exist())
        return
    removed = [_occupied_entry(replaces).remove()] if replaces and replaces in lock.occupied else []
    tx.update(
        item,
        [
            *(_occupied_entry(b).set(text) for b, text in encoded.items()),
            *removed,
            SpecialistDayLock.version.set(lock.version + 1),
        ],
        role=role,
        condition=SpecialistDayLock.version == lock.version,
    )


def _release_lock(tx: db.Transaction, business_id: str, specialist_id: str, day: date, booking_id: str) -> None:
    """Remove a booking's interval from a lock. No version check: removal cannot create an overlap."""
    item = SpecialistDayLock(lock_pk(business_id, specialist_id), lock_sk(day))
    tx.update(item, [_occupied_entry(booking_id).remove()], role="release", condition=SpecialistDayLock.pk.exists())


def _commit(tx: db.Transaction) -> None:
    """Commit, turning a cancellation into the exception of the most meaningful failed item."""
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if "idempotency" in cancelled.failed:
            raise IdempotencyRace() from None
        if "booking" in cancelled.failed:
            raise BookingChanged() from None
        if "business-customer" in cancelled.failed:
            raise CustomerGone() from None
        if "waitlist" in cancelled.failed:
            raise OfferGone() from None
        if "discount" in cancelled.failed:
            raise DiscountRejected() from None
        raise LockConflict() from None


def _discount_use(tx: db.Transaction, business_id: str, code: str, now: datetime) -> None:
    from chalicelib.store.discounts import DiscountCodeRecord, discount_keys

    record = DiscountCodeRecord
    tx.update(
        record(*discount_keys(business_id, code)),
        [record.uses.add(1)],
        role="discount",
        condition=(record.active == True)  # noqa: E712 - a PynamoDB condition, not a comparison
        & (record.valid_from <= now)
        & (record.valid_until > now)
        & (record.max_uses.does_not_exist() | (record.uses < record.max_uses)),
    )


def _discount_return(tx: db.Transaction, business_id: str, code: str) -> None:
    from chalicelib.store.discounts import DiscountCodeRecord, discount_keys

    record = DiscountCodeRecord
    tx.update(
        record(*discount_keys(business_id, code)), [record.uses.add(-1)], role="discount-return",
        condition=record.uses > 0,
    )  # fmt: skip


def create_booking(
    booking: Booking,
    locks: Sequence[DayLock],
    *,
    now: datetime,
    idempotency: Idempotency | None = None,
    tx: db.Transaction | None = None,
    replaces_hold: str | None = None,
) -> None:
    """One TransactWriteItems: the booking, every touched lock, the discount use, the
    idempotency record (``(user_id, key, request_hash)``) and whatever the caller's ``tx``
    already holds (its domain events). ``replaces_hold``: the waitlist hold this booking
    takes over, removed from the locks in the same writes. Raises LockConflict,
    DiscountRejected or IdempotencyRace when a condition fails."""
    tx = tx if tx is not None else db.Transaction()
    tx.put(booking_record(booking), role="booking", condition=BookingRecord.pk.does_not_exist())
    for lock in locks:
        entries = {booking.booking_id: booking.occupied}
        _claim_lock_entries(tx, booking.business_id, lock, entries, replaces=replaces_hold)
    if booking.discount_code:
        _discount_use(tx, booking.business_id, booking.discount_code, now)
    _idempotency_put(tx, idempotency, booking.booking_id, now)
    _commit(tx)


def _conditional_gsi1(booking: Booking) -> list[Any]:
    """The customer index's sort key moves with the start, only where the booking has one."""
    return [BookingRecord.gsi1sk.set(_sort_key(booking))] if booking.customer_user_id else []


def _idempotency_put(tx: db.Transaction, idempotency: Idempotency | None, booking_id: str, now: datetime) -> None:
    """The key's record, in the change's own transaction (no call of its own): at most one
    request per key commits; a concurrent twin's transaction is cancelled (IdempotencyRace)."""
    if idempotency is None:
        return
    from chalicelib.store import retention

    user_id, key, request_hash = idempotency
    expires = now + IDEMPOTENCY_WINDOW
    record = BookingIdempotencyRecord(
        *idempotency_keys(user_id, key),
        user_id=user_id,
        request_hash=request_hash,
        booking_id=booking_id,
        created_at=now,
        expires_at=expires,
    )
    retention.set_expiry(record, expires)
    # A stale record (past its window, not yet swept) may be replaced.
    stale = BookingIdempotencyRecord.expires_at <= now
    tx.put(record, role="idempotency", condition=BookingIdempotencyRecord.pk.does_not_exist() | stale)


def _booking_update(tx: db.Transaction, old: Booking, new: Booking) -> None:
    """Rewrite the booking's mutable attributes, conditional on the version read."""
    r = BookingRecord
    sort_key = _sort_key(new)
    actions = [
        r.status.set(new.status.value),
        r.start_at.set(new.start),
        r.end_at.set(new.end),
        r.occupied_start.set(new.occupied_start),
        r.occupied_end.set(new.occupied_end),
        r.specialist_id.set(new.specialist_id),
        r.specialist_name.set(new.specialist_name),
        r.updated_at.set(new.updated_at),
        *_conditional_gsi1(new),
        r.gsi2sk.set(sort_key),
        r.gsi3pk.set(specialist_index_key(new.business_id, new.specialist_id)),
        r.gsi3sk.set(sort_key),
        r.version.set(new.version),
    ]
    if new.cancelled_by is not None:
        actions.append(r.cancelled_by.set(new.cancelled_by.value))
    tx.update(
        BookingRecord(booking_pk(new.booking_id), BOOKING_SK),
        actions,
        role="booking",
        condition=r.version == old.version,
    )


def _releases(tx: db.Transaction, booking: Booking, now: datetime, keep: set[tuple[str, date]] | None = None) -> None:
    if booking.occupied_end < now - RELEASE_HORIZON:
        return  # the lock may have expired; an interval that far back blocks nothing
    for day in lock_days(booking.occupied):
        if not keep or (booking.specialist_id, day) not in keep:
            _release_lock(tx, booking.business_id, booking.specialist_id, day, booking.booking_id)


def change_status(
    old: Booking,
    new: Booking,
    *,
    now: datetime,
    return_discount: bool,
    idempotency: Idempotency | None = None,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: the booking's new state and, when it stops being live, the
    release of its intervals (and of its discount use on cancellation), the idempotency
    record when a key was sent, with the caller's ``tx`` (its domain events)."""
    tx = tx if tx is not None else db.Transaction()
    _booking_update(tx, old, new)
    if old.live and not new.live:
        _releases(tx, old, now)
        if return_discount and old.discount_code:
            _discount_return(tx, old.business_id, old.discount_code)
    _idempotency_put(tx, idempotency, new.booking_id, now)
    _commit(tx)


def reschedule(
    old: Booking,
    new: Booking,
    new_locks: Sequence[DayLock],
    *,
    now: datetime,
    idempotency: Idempotency | None = None,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: the booking moves, the new interval is claimed in every lock
    it touches (version-checked), the old interval is released from locks the new one
    does not touch, the idempotency record when a key was sent, with the caller's ``tx``
    (its domain events). All or nothing: the old slot is freed only if the new one is taken."""
    tx = tx if tx is not None else db.Transaction()
    _booking_update(tx, old, new)
    for lock in new_locks:
        _claim_lock(tx, new.business_id, lock, new.booking_id, new.occupied)
    # A lock in both sets is overwritten by the claim above (same map entry): no release there.
    _releases(tx, old, now, keep={(lock.specialist_id, lock.day) for lock in new_locks})
    _idempotency_put(tx, idempotency, new.booking_id, now)
    _commit(tx)


# --- waitlist holds (issue #18, item 3): a held slot is occupancy in the same locks ---------------


def place_hold(tx: db.Transaction, business_id: str, locks: Sequence[DayLock], key: str, interval: Interval) -> None:
    """Claim ``interval`` for a waitlist offer in every touched lock, version-checked exactly
    like a booking (the caller commits ``tx`` with the entry's offer): a concurrent booking
    and the hold cannot both commit."""
    for lock in locks:
        _claim_lock_entries(tx, business_id, lock, {key: interval})


def commit_hold(tx: db.Transaction) -> None:
    """Commit a hold's transaction; LockConflict when a lock or the entry moved on."""
    _commit(tx)


def release_hold(business_id: str, specialist_id: str, interval: Interval, key: str) -> None:
    """Remove a lapsed hold from its locks (one UpdateItem per lock; no version check:
    removal cannot create an overlap, and readers already ignore an expired hold)."""
    for day in lock_days(interval):
        item = SpecialistDayLock(lock_pk(business_id, specialist_id), lock_sk(day))
        try:
            db.update(item, [_occupied_entry(key).remove()], condition=SpecialistDayLock.pk.exists())
        except db.ConditionFailed:
            continue


# --- multi-service visits (issue #18, item 2): every part in ONE transaction ---------------------


def _entries_by_lock(parts: Sequence[Booking]) -> dict[tuple[str, date], dict[str, Interval]]:
    """Each touched specialist-day with the parts' intervals in it (a transaction touches an item once)."""
    entries: dict[tuple[str, date], dict[str, Interval]] = {}
    for part in parts:
        for day in lock_days(part.occupied):
            entries.setdefault((part.specialist_id, day), {})[part.booking_id] = part.occupied
    return entries


def visit_lock_days(parts: Sequence[Booking]) -> dict[str, list[date]]:
    """The lock days to read: per specialist, every day any of their parts touches."""
    days: dict[str, list[date]] = {}
    for spec, day in _entries_by_lock(parts):
        days.setdefault(spec, []).append(day)
    return days


def create_visit(
    visit_id: str,
    parts: Sequence[Booking],
    locks: Mapping[tuple[str, date], DayLock],
    *,
    now: datetime,
    idempotency: Idempotency | None = None,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: every part's booking, every touched lock ONCE (all the parts'
    intervals in it, version-checked), the visit item, the idempotency record and the
    caller's ``tx`` (events, audit). All or nothing: when any lock moved on, no part is
    written (LockConflict). At most 5 parts of at most a day each: ≤ 5 bookings + 10 locks +
    visit + key + 5 events + 5 audit records = 27 items (limit 100)."""
    tx = tx if tx is not None else db.Transaction()
    for part in parts:
        tx.put(booking_record(part), role="booking", condition=BookingRecord.pk.does_not_exist())
    for (spec, day), entries in _entries_by_lock(parts).items():
        _claim_lock_entries(tx, parts[0].business_id, locks[(spec, day)], entries)
    visit = VisitRecord(
        visit_pk(visit_id),
        VISIT_SK,
        visit_id=visit_id,
        business_id=parts[0].business_id,
        booking_ids=[p.booking_id for p in parts],
        created_at=now,
    )
    tx.put(visit, role="visit", condition=VisitRecord.pk.does_not_exist())
    _idempotency_put(tx, idempotency, visit_id, now)
    _commit(tx)


def get_visit_parts(visit_id: str, now: datetime | None = None) -> list[Booking] | None:
    """The visit's parts in chain order: GetItem visit + one BatchGetItem; None when unknown."""
    visit = db.get(VisitRecord, visit_pk(visit_id), VISIT_SK)
    if visit is None:
        return None
    found = {b.booking_id: b for b in get_bookings(visit.booking_ids, now)}
    return [found[b] for b in visit.booking_ids if b in found]


def change_visit_status(
    old: Sequence[Booking],
    new: Sequence[Booking],
    *,
    now: datetime,
    idempotency: Idempotency | None = None,
    visit_id: str,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: every part's new state (version-checked) and, for the parts
    that stop being live, their intervals released, one write per touched lock."""
    tx = tx if tx is not None else db.Transaction()
    released: dict[tuple[str, date], list[str]] = {}
    for before, after in zip(old, new, strict=True):
        _booking_update(tx, before, after)
        if before.live and not after.live and before.occupied_end >= now - RELEASE_HORIZON:
            for day in lock_days(before.occupied):
                released.setdefault((before.specialist_id, day), []).append(before.booking_id)
    for (spec, day), booking_ids in released.items():
        item = SpecialistDayLock(lock_pk(old[0].business_id, spec), lock_sk(day))
        actions = [_occupied_entry(b).remove() for b in booking_ids]
        tx.update(item, actions, role="release", condition=SpecialistDayLock.pk.exists())
    _idempotency_put(tx, idempotency, visit_id, now)
    _commit(tx)


def reschedule_visit(
    old: Sequence[Booking],
    new: Sequence[Booking],
    locks: Mapping[tuple[str, date], DayLock],
    *,
    now: datetime,
    idempotency: Idempotency | None = None,
    visit_id: str,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: every live part moves (version-checked), every lock its new
    intervals touch is written ONCE (the new entries set, any old entry of the visit's parts
    in that lock removed, version-checked), the old intervals in locks the new ones do not
    touch are removed (one write per lock, no version check: removal cannot create an
    overlap), the idempotency record and the caller's ``tx`` (events, audit). All or
    nothing: the old times are freed only if every new one is taken. ≤ 5 parts: ≤ 5
    bookings + 10 claims + 10 releases + key + 5 events + 5 audit records = 36 items."""
    tx = tx if tx is not None else db.Transaction()
    for before, after in zip(old, new, strict=True):
        _booking_update(tx, before, after)
    claimed = _entries_by_lock(new)
    released: dict[tuple[str, date], list[str]] = {}
    for before in old:
        if before.occupied_end < now - RELEASE_HORIZON:
            continue  # the lock may have expired; an interval that far back blocks nothing
        for day in lock_days(before.occupied):
            released.setdefault((before.specialist_id, day), []).append(before.booking_id)
    business_id = old[0].business_id
    for key, entries in claimed.items():
        lock = locks[key]
        stale = [b for b in released.pop(key, []) if b not in entries and b in lock.occupied]
        if lock.version == 0 or not stale:
            _claim_lock_entries(tx, business_id, lock, entries)
            continue
        item = SpecialistDayLock(lock_pk(business_id, lock.specialist_id), lock_sk(lock.day))
        tx.update(
            item,
            [
                *(_occupied_entry(b).set(_encode_interval(i)) for b, i in entries.items()),
                *(_occupied_entry(b).remove() for b in stale),
                SpecialistDayLock.version.set(lock.version + 1),
            ],
            role="lock",
            condition=SpecialistDayLock.version == lock.version,
        )
    for (spec, day), booking_ids in released.items():
        item = SpecialistDayLock(lock_pk(business_id, spec), lock_sk(day))
        actions = [_occupied_entry(b).remove() for b in booking_ids]
        tx.update(item, actions, role="release", condition=SpecialistDayLock.pk.exists())
    _idempotency_put(tx, idempotency, visit_id, now)
    _commit(tx)


# --- lists --------------------------------------------------------------------------------------

_INDEX_KEYS = {
    "GSI1": (TableItem.gsi1pk, TableItem.gsi1sk),
    "GSI2": (TableItem.gsi2pk, TableItem.gsi2sk),
    "GSI3": (TableItem.gsi3pk, TableItem.gsi3sk),
}


def query_bookings(
    index: str,
    partition: str,
    *,
    lower: str | None = None,
    upper: str | None = None,
    ascending: bool = True,
    limit: int = 20,
    start_key: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[list[Booking], dict[str, Any] | None]:
    """One Query on a booking GSI (sort key ``<start>#<id>``), bounded by [lower, upper];
    ``now`` for a view (booking_from_item)."""
    hash_attr, sort_attr = _INDEX_KEYS[index]
    condition = hash_attr == partition
    if lower is not None and upper is not None:
        condition &= sort_attr.between(lower, upper)
    elif lower is not None:
        condition &= sort_attr >= lower
    elif upper is not None:
        condition &= sort_attr <= upper
    items, last = db.query_raw(condition, index=index, ascending=ascending, limit=limit, start_key=start_key)
    return [booking_from_item(item, now) for item in items], last
