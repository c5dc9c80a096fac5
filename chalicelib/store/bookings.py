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

The low-level client is used on purpose: exact condition expressions, the cancellation
reasons of a transaction, and no per-attribute deserialisation cost on the hot read
(``busy_intervals`` feeds availability over thousands of bookings). The PynamoDB models
below still define every item's attributes (privacy manifest, exports, erasure).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.aws_clients import client
from chalicelib.domain.bookings import (
    IDEMPOTENCY_WINDOW,
    Actor,
    Booking,
    BookingStatus,
    Interval,
    lock_days,
)
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem

# A lock outlives its day so late status changes (attended, no-show) can still release it;
# release is skipped for intervals that ended longer ago than RELEASE_HORIZON.
LOCK_TTL_AFTER_DAY = timedelta(days=45)
RELEASE_HORIZON = timedelta(days=30)
BATCH_GET_LIMIT = 100


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
    start_at = UnicodeAttribute()
    end_at = UnicodeAttribute()
    occupied_start = UnicodeAttribute()
    occupied_end = UnicodeAttribute()
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
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute()


class SpecialistDayLock(TableItem, discriminator="SpecialistDayLock"):
    business_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute()
    day = UnicodeAttribute()
    # booking id -> "<start epoch>/<end epoch>": live bookings touching this UTC day.
    occupied = MapAttribute[str, str](default=dict)
    version = NumberAttribute()


class BookingIdempotencyRecord(TableItem, discriminator="BookingIdempotencyRecord"):
    user_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


# --- errors the service reacts to (never leave the service layer) ---------------------------


class LockConflict(Exception):
    """A lock changed since it was read (or a concurrent transaction touched it): re-read and retry."""


class BookingChanged(Exception):
    """The booking's version moved on since it was read."""


class DiscountRejected(Exception):
    """The discount code's conditional increment failed: used up, expired or deactivated."""


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first."""


# --- encoding ---------------------------------------------------------------------------------

_TS = "%Y-%m-%dT%H:%M:%SZ"


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(_TS)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)  # C-speed; "Z" is understood since Python 3.11


def _encode_interval(interval: Interval) -> str:
    return f"{int(interval[0].timestamp())}/{int(interval[1].timestamp())}"


def _decode_interval(text: str) -> Interval:
    start, _, end = text.partition("/")
    return datetime.fromtimestamp(int(start), UTC), datetime.fromtimestamp(int(end), UTC)


def _table() -> str:
    return get_settings().resolved_table_name()


def booking_key(booking_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"BKG#{booking_id}"}, "sk": {"S": "BOOKING"}}


def lock_key(business_id: str, specialist_id: str, day: date) -> dict[str, Any]:
    return {"pk": {"S": f"BIZ#{business_id}#SPEC#{specialist_id}"}, "sk": {"S": f"DAY#{day.isoformat()}"}}


def idempotency_key(user_id: str, key: str) -> dict[str, Any]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {"pk": {"S": f"IDEM#{user_id}"}, "sk": {"S": f"KEY#{digest}"}}


def _sort_key(booking: Booking) -> str:
    return f"{iso(booking.start)}#{booking.booking_id}"


def customer_index_key(user_id: str) -> str:
    return f"CUST#{user_id}"


def venue_index_key(business_id: str, venue_id: str) -> str:
    return f"BIZ#{business_id}#VENUE#{venue_id}#BKG"


def specialist_index_key(business_id: str, specialist_id: str) -> str:
    return f"BIZ#{business_id}#SPEC#{specialist_id}#BKG"


def booking_item(booking: Booking) -> dict[str, Any]:
    """The booking as a DynamoDB item (serialised through its PynamoDB model)."""
    sort_key = _sort_key(booking)
    record = BookingRecord(
        pk=f"BKG#{booking.booking_id}",
        sk="BOOKING",
        gsi1pk=customer_index_key(booking.customer_user_id),
        gsi1sk=sort_key,
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
        start_at=iso(booking.start),
        end_at=iso(booking.end),
        occupied_start=iso(booking.occupied_start),
        occupied_end=iso(booking.occupied_end),
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
        created_at=iso(booking.created_at),
        updated_at=iso(booking.updated_at),
        version=booking.version,
    )
    return record.serialize()


def _s(item: Mapping[str, Any], name: str) -> str:
    return str(item[name]["S"])


def _opt_s(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None or "NULL" in value else str(value["S"])


def _n(item: Mapping[str, Any], name: str, default: int = 0) -> int:
    value = item.get(name)
    return default if value is None else int(value["N"])


def booking_from_item(item: Mapping[str, Any]) -> Booking:
    cancelled_by = _opt_s(item, "cancelled_by")
    return Booking(
        booking_id=_s(item, "booking_id"),
        business_id=_s(item, "business_id"),
        venue_id=_s(item, "venue_id"),
        specialist_id=_s(item, "specialist_id"),
        specialist_requested=bool(item.get("specialist_requested", {}).get("BOOL", False)),
        service_id=_s(item, "service_id"),
        customer_user_id=_s(item, "customer_user_id"),
        status=BookingStatus(_s(item, "status")),
        start=parse_iso(_s(item, "start_at")),
        end=parse_iso(_s(item, "end_at")),
        occupied_start=parse_iso(_s(item, "occupied_start")),
        occupied_end=parse_iso(_s(item, "occupied_end")),
        timezone=_s(item, "timezone"),
        notes=_opt_s(item, "notes"),
        discount_code=_opt_s(item, "discount_code"),
        price_minor=_n(item, "price_minor"),
        discount_minor=_n(item, "discount_minor"),
        currency=_s(item, "currency"),
        venue_name=_s(item, "venue_name"),
        venue_address=_s(item, "venue_address"),
        service_name=_s(item, "service_name"),
        specialist_name=_s(item, "specialist_name"),
        cancelled_by=Actor(cancelled_by) if cancelled_by else None,
        created_at=parse_iso(_s(item, "created_at")),
        updated_at=parse_iso(_s(item, "updated_at")),
        version=_n(item, "version", 1),
    )


# --- reads -----------------------------------------------------------------------------------


def get_booking(booking_id: str) -> Booking | None:
    """One GetItem (strongly consistent: callers act on its version)."""
    answer = client("dynamodb").get_item(TableName=_table(), Key=booking_key(booking_id), ConsistentRead=True)
    item = answer.get("Item")
    return booking_from_item(item) if item else None


@dataclass
class DayLock:
    """One specialist-day lock as read; ``version`` 0 means the item does not exist yet."""

    specialist_id: str
    day: date
    version: int = 0
    occupied: dict[str, Interval] = field(default_factory=dict)


def _lock_from_item(specialist_id: str, day: date, item: Mapping[str, Any] | None) -> DayLock:
    if not item:
        return DayLock(specialist_id, day)
    raw = item.get("occupied", {}).get("M", {})
    return DayLock(
        specialist_id,
        day,
        version=_n(item, "version"),
        occupied={booking_id: _decode_interval(value["S"]) for booking_id, value in raw.items()},
    )


@dataclass
class IdempotencyEntry:
    request_hash: str
    booking_id: str


def _batch_get(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BatchGetItem (consistent), following UnprocessedKeys; ceil(len/100) calls or more."""
    dynamodb = client("dynamodb")
    table = _table()
    found: list[dict[str, Any]] = []
    for offset in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, Any] = {table: {"Keys": keys[offset : offset + BATCH_GET_LIMIT], "ConsistentRead": True}}
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            found += answer.get("Responses", {}).get(table, [])
            request = answer.get("UnprocessedKeys") or {}
    return found


def read_locks_and_discount(
    business_id: str,
    specialist_days: Mapping[str, Sequence[date]],
    discount_code: str | None,
) -> tuple[dict[tuple[str, date], DayLock], dict[str, Any] | None]:
    """The day locks of each candidate specialist and the discount code item: one BatchGetItem."""
    from chalicelib.store.discounts import discount_key

    keys = [lock_key(business_id, spec, day) for spec, days in specialist_days.items() for day in days]
    wanted_discount = discount_key(business_id, discount_code) if discount_code else None
    if wanted_discount:
        keys.append(wanted_discount)
    items = {(item["pk"]["S"], item["sk"]["S"]): item for item in _batch_get(keys)}
    locks = {}
    for spec, days in specialist_days.items():
        for day in days:
            key = lock_key(business_id, spec, day)
            locks[(spec, day)] = _lock_from_item(spec, day, items.get((key["pk"]["S"], key["sk"]["S"])))
    discount = None
    if wanted_discount:
        discount = items.get((wanted_discount["pk"]["S"], wanted_discount["sk"]["S"]))
    return locks, discount


def get_idempotency(user_id: str, key: str, now: datetime) -> IdempotencyEntry | None:
    """One GetItem. An expired record counts as absent (DynamoDB Local never expires TTL items)."""
    answer = client("dynamodb").get_item(TableName=_table(), Key=idempotency_key(user_id, key), ConsistentRead=True)
    item = answer.get("Item")
    if not item or _n(item, "ttl") <= int(now.timestamp()):
        return None
    return IdempotencyEntry(request_hash=_s(item, "request_hash"), booking_id=_s(item, "booking_id"))


def busy_intervals(
    business_id: str,
    venue_id: str,
    specialist_ids: Iterable[str],
    start: datetime,
    end: datetime,
) -> dict[str, list[Interval]]:
    """Live bookings' occupied intervals (buffers included) per specialist, overlapping
    [start, end), sorted. One Query per specialist over its day locks (no booking items read).

    ``venue_id`` is accepted for symmetry with the catalog; a specialist belongs to one venue."""
    del venue_id
    dynamodb = client("dynamodb")
    table = _table()
    first_day = (start.astimezone(UTC) - timedelta(days=1)).date().isoformat()  # intervals cross midnight
    last_day = (end.astimezone(UTC) - timedelta(microseconds=1)).date().isoformat()
    lo, hi = int(start.timestamp()), int(end.timestamp())
    result: dict[str, list[Interval]] = {}
    for spec in specialist_ids:
        seen: dict[str, tuple[int, int]] = {}
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"BIZ#{business_id}#SPEC#{spec}"},
                ":lo": {"S": f"DAY#{first_day}"},
                ":hi": {"S": f"DAY#{last_day}"},
            },
            "ProjectionExpression": "occupied",
        }
        while True:
            answer = dynamodb.query(**kwargs)
            for item in answer.get("Items", []):
                for booking_id, value in item.get("occupied", {}).get("M", {}).items():
                    s_text, _, e_text = value["S"].partition("/")
                    s, e = int(s_text), int(e_text)
                    if s < hi and lo < e:
                        seen[booking_id] = (s, e)
            if "LastEvaluatedKey" not in answer:
                break
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        result[spec] = [
            (datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in sorted(seen.values())
        ]
    return result


# --- transactional writes -----------------------------------------------------------------------


def _claim_lock(business_id: str, lock: DayLock, booking_id: str, interval: Interval) -> dict[str, Any]:
    """Add ``interval`` to a lock, conditional on the version read (or on absence)."""
    key = lock_key(business_id, lock.specialist_id, lock.day)
    encoded = {"S": _encode_interval(interval)}
    if lock.version == 0:
        ttl = datetime.combine(lock.day, datetime.min.time(), UTC) + LOCK_TTL_AFTER_DAY
        return {
            "Update": {
                "TableName": _table(),
                "Key": key,
                "UpdateExpression": (
                    "SET occupied = :occ, version = :one, entity = :entity, business_id = :biz,"
                    " specialist_id = :spec, #day = :day, #ttl = :ttl"
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ExpressionAttributeNames": {"#day": "day", "#ttl": "ttl"},
                "ExpressionAttributeValues": {
                    ":occ": {"M": {booking_id: encoded}},
                    ":one": {"N": "1"},
                    ":entity": {"S": "SpecialistDayLock"},
                    ":biz": {"S": business_id},
                    ":spec": {"S": lock.specialist_id},
                    ":day": {"S": lock.day.isoformat()},
                    ":ttl": {"N": str(int(ttl.timestamp()))},
                },
            }
        }
    return {
        "Update": {
            "TableName": _table(),
            "Key": key,
            "UpdateExpression": "SET occupied.#booking = :interval, version = :next",
            "ConditionExpression": "version = :read",
            "ExpressionAttributeNames": {"#booking": booking_id},
            "ExpressionAttributeValues": {
                ":interval": encoded,
                ":read": {"N": str(lock.version)},
                ":next": {"N": str(lock.version + 1)},
            },
        }
    }


def _release_lock(business_id: str, specialist_id: str, day: date, booking_id: str) -> dict[str, Any]:
    """Remove a booking's interval from a lock. No version check: removal cannot create an overlap."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": lock_key(business_id, specialist_id, day),
            "UpdateExpression": "REMOVE occupied.#booking",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#booking": booking_id},
        }
    }


def _transact(items: list[dict[str, Any]]) -> list[str | None]:
    """TransactWriteItems; returns None on success, else the per-item cancellation codes."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            if exc.response.get("Error", {}).get("Code") == "TransactionConflictException":
                return ["TransactionConflict"] * len(items)
            raise
        reasons = exc.response.get("CancellationReasons") or []
        codes: list[str | None] = [(reason or {}).get("Code") for reason in reasons]
        codes = [None if code in (None, "None") else code for code in codes]
        if not any(codes):
            # Emulators do not always itemise the reasons: treat it as a concurrent writer.
            return ["TransactionConflict"] * len(items)
        return codes
    return []


def _raise_for(codes: list[str | None], roles: list[str]) -> None:
    """Turn cancellation codes into the exception of the most meaningful failing item."""
    failed = {role for code, role in zip(codes, roles, strict=False) if code}
    conditional = {role for code, role in zip(codes, roles, strict=False) if code == "ConditionalCheckFailed"}
    if "idempotency" in conditional:
        raise IdempotencyRace()
    if "booking" in conditional:
        raise BookingChanged()
    if "discount" in conditional:
        raise DiscountRejected()
    if failed:
        raise LockConflict()


def _discount_use(business_id: str, code: str, now: datetime) -> dict[str, Any]:
    from chalicelib.store.discounts import discount_key

    return {
        "Update": {
            "TableName": _table(),
            "Key": discount_key(business_id, code),
            "UpdateExpression": "SET uses = uses + :one",
            "ConditionExpression": (
                "active = :true AND valid_from <= :now AND valid_until > :now"
                " AND (attribute_not_exists(max_uses) OR uses < max_uses)"
            ),
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":true": {"BOOL": True}, ":now": {"S": iso(now)}},
        }
    }


def _discount_return(business_id: str, code: str) -> dict[str, Any]:
    from chalicelib.store.discounts import discount_key

    return {
        "Update": {
            "TableName": _table(),
            "Key": discount_key(business_id, code),
            "UpdateExpression": "SET uses = uses - :one",
            "ConditionExpression": "uses > :zero",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}},
        }
    }


def create_booking(
    booking: Booking,
    locks: Sequence[DayLock],
    *,
    now: datetime,
    idempotency: tuple[str, str, str] | None = None,
    outbox: dict[str, Any] | None = None,
) -> None:
    """One TransactWriteItems: the booking, every touched lock, the discount use, the
    idempotency record (``(user_id, key, request_hash)``) and the outbox event (a
    store.outbox.put_operation). Raises LockConflict, DiscountRejected or IdempotencyRace
    when a condition fails."""
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": _table(),
                "Item": booking_item(booking),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    roles = ["booking"]
    for lock in locks:
        items.append(_claim_lock(booking.business_id, lock, booking.booking_id, booking.occupied))
        roles.append("lock")
    if booking.discount_code:
        items.append(_discount_use(booking.business_id, booking.discount_code, now))
        roles.append("discount")
    if idempotency is not None:
        user_id, key, request_hash = idempotency
        expires = now + IDEMPOTENCY_WINDOW
        items.append(
            {
                "Put": {
                    "TableName": _table(),
                    "Item": {
                        **idempotency_key(user_id, key),
                        "entity": {"S": "BookingIdempotencyRecord"},
                        "user_id": {"S": user_id},
                        "request_hash": {"S": request_hash},
                        "booking_id": {"S": booking.booking_id},
                        "created_at": {"S": iso(now)},
                        "ttl": {"N": str(int(expires.timestamp()))},
                        "exp_pk": {"S": f"EXPIRES#{expires.date().isoformat()}"},
                        "exp_sk": {"S": f"{iso(expires)}#IDEM#{user_id}"},
                    },
                    # A stale record (past its TTL, not yet deleted) may be replaced.
                    "ConditionExpression": "attribute_not_exists(pk) OR #ttl <= :now",
                    "ExpressionAttributeNames": {"#ttl": "ttl"},
                    "ExpressionAttributeValues": {":now": {"N": str(int(now.timestamp()))}},
                }
            }
        )
        roles.append("idempotency")
    _add_outbox(items, roles, outbox)
    codes = _transact(items)
    if codes:
        _raise_for(codes, roles)


def _booking_update(old: Booking, new: Booking) -> dict[str, Any]:
    """Rewrite the booking's mutable attributes, conditional on the version read."""
    sort_key = _sort_key(new)
    values: dict[str, Any] = {
        ":status": {"S": new.status.value},
        ":start": {"S": iso(new.start)},
        ":end": {"S": iso(new.end)},
        ":ostart": {"S": iso(new.occupied_start)},
        ":oend": {"S": iso(new.occupied_end)},
        ":spec": {"S": new.specialist_id},
        ":specname": {"S": new.specialist_name},
        ":updated": {"S": iso(new.updated_at)},
        ":sort": {"S": sort_key},
        ":g3": {"S": specialist_index_key(new.business_id, new.specialist_id)},
        ":read": {"N": str(old.version)},
        ":next": {"N": str(new.version)},
    }
    expression = (
        "SET #status = :status, start_at = :start, end_at = :end, occupied_start = :ostart,"
        " occupied_end = :oend, specialist_id = :spec, specialist_name = :specname, updated_at = :updated,"
        " gsi1sk = :sort, gsi2sk = :sort, gsi3pk = :g3, gsi3sk = :sort, version = :next"
    )
    if new.cancelled_by is not None:
        expression += ", cancelled_by = :by"
        values[":by"] = {"S": new.cancelled_by.value}
    return {
        "Update": {
            "TableName": _table(),
            "Key": booking_key(new.booking_id),
            "UpdateExpression": expression,
            "ConditionExpression": "version = :read",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
    }


def _releases(booking: Booking, now: datetime, keep: set[tuple[str, date]] | None = None) -> list[dict[str, Any]]:
    if booking.occupied_end < now - RELEASE_HORIZON:
        return []  # the lock may have expired; an interval that far back blocks nothing
    return [
        _release_lock(booking.business_id, booking.specialist_id, day, booking.booking_id)
        for day in lock_days(booking.occupied)
        if not keep or (booking.specialist_id, day) not in keep
    ]


def _add_outbox(items: list[dict[str, Any]], roles: list[str], outbox: dict[str, Any] | None) -> None:
    if outbox is not None:
        items.append(outbox)
        roles.append("outbox")


def change_status(
    old: Booking, new: Booking, *, now: datetime, return_discount: bool, outbox: dict[str, Any] | None = None
) -> None:
    """One TransactWriteItems: the booking's new state and, when it stops being live, the
    release of its intervals (and of its discount use on cancellation), and the outbox event."""
    items = [_booking_update(old, new)]
    roles = ["booking"]
    if old.live and not new.live:
        releases = _releases(old, now)
        items += releases
        roles += ["release"] * len(releases)
        if return_discount and old.discount_code:
            items.append(_discount_return(old.business_id, old.discount_code))
            roles.append("discount-return")
    _add_outbox(items, roles, outbox)
    codes = _transact(items)
    if codes:
        _raise_for(codes, roles)


def reschedule(
    old: Booking, new: Booking, new_locks: Sequence[DayLock], *, now: datetime, outbox: dict[str, Any] | None = None
) -> None:
    """One TransactWriteItems: the booking moves, the new interval is claimed in every lock
    it touches (version-checked), the old interval is released from locks the new one
    does not touch, and the outbox event is recorded. All or nothing: the old slot is freed
    only if the new one is taken."""
    items = [_booking_update(old, new)]
    roles = ["booking"]
    for lock in new_locks:
        items.append(_claim_lock(new.business_id, lock, new.booking_id, new.occupied))
        roles.append("lock")
    # A lock in both sets is overwritten by the claim above (same map entry): no release there.
    releases = _releases(old, now, keep={(lock.specialist_id, lock.day) for lock in new_locks})
    items += releases
    roles += ["release"] * len(releases)
    _add_outbox(items, roles, outbox)
    codes = _transact(items)
    if codes:
        _raise_for(codes, roles)


# --- lists --------------------------------------------------------------------------------------


def query_bookings(
    index: str,
    partition: str,
    *,
    lower: str | None = None,
    upper: str | None = None,
    ascending: bool = True,
    limit: int = 20,
    start_key: dict[str, Any] | None = None,
) -> tuple[list[Booking], dict[str, Any] | None]:
    """One Query on a booking GSI (sort key ``<start>#<id>``), bounded by [lower, upper)."""
    names = {"GSI1": ("gsi1pk", "gsi1sk"), "GSI2": ("gsi2pk", "gsi2sk"), "GSI3": ("gsi3pk", "gsi3sk")}
    pk_name, sk_name = names[index]
    condition = f"{pk_name} = :pk"
    values: dict[str, Any] = {":pk": {"S": partition}}
    if lower is not None and upper is not None:
        condition += f" AND {sk_name} BETWEEN :lo AND :hi"
        values[":lo"], values[":hi"] = {"S": lower}, {"S": upper}
    elif lower is not None:
        condition += f" AND {sk_name} >= :lo"
        values[":lo"] = {"S": lower}
    elif upper is not None:
        condition += f" AND {sk_name} <= :hi"
        values[":hi"] = {"S": upper}
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": ascending,
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**kwargs)
    bookings = [booking_from_item(item) for item in answer.get("Items", [])]
    return bookings, answer.get("LastEvaluatedKey")


def sort_bound(instant: datetime) -> str:
    """A GSI sort-key bound at an instant: every ``<start>#<id>`` at or after ``instant`` is >= it."""
    return iso(instant)
