"""Booking reminders, keyed by the five-minute bucket they fall due in.

    ReminderItem    PK ``REMIND#<yyyy-mm-ddThh:mm>Z`` (due time floored to 5 min: the codec's
                    text of the bucket start, cut after the minutes)
                    SK ``<due instant, codec>#<booking id>#<offset minutes>``
    ReminderCursor  PK ``REMIND#CURSOR``  SK ``CURSOR`` (the last instant the schedule finished)

The schedule queries only the buckets between its cursor and now (normally one or two),
so its cost grows with the reminders due, never with the table. A sent reminder's item is
deleted; the TTL is a backstop for items whose booking was cancelled or moved.

Each item is also on GSI1 under its customer (``USER#<u>`` / ``REMIND#<sk>``), one of the
places the privacy engine finds a data subject's items (store/subjects.py), so erasure
deletes a customer's pending reminders with the rest of their data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

BUCKET_MINUTES = 5
CURSOR_KEY = ("REMIND#CURSOR", "CURSOR")
# Kept this long after the booking's start in case nothing deleted them (TTL backstop).
TTL_AFTER_START = window("reminder")


def bucket_of(instant: datetime) -> datetime:
    instant = instant.astimezone(UTC)
    return instant.replace(minute=instant.minute - instant.minute % BUCKET_MINUTES, second=0, microsecond=0)


def _bucket_pk(bucket: datetime) -> str:
    # "yyyy-mm-ddThh:mm" is the first 16 characters of the codec's fixed-width text.
    return f"REMIND#{codec.encode(bucket)[:16]}Z"


class ReminderItem(TableItem, discriminator="ReminderItem"):
    booking_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    customer_user_id = UnicodeAttribute()
    offset_minutes = NumberAttribute()
    due_at = InstantAttribute()
    booking_start = InstantAttribute()
    params = MapAttribute[str, str](default=dict)


class ReminderCursor(TableItem, discriminator="ReminderCursor"):
    processed_until = InstantAttribute()


@dataclass(frozen=True)
class DueReminder:
    booking_id: str
    business_id: str
    customer_user_id: str
    offset_minutes: int
    due_at: datetime
    booking_start: datetime
    params: dict[str, str]
    key: tuple[str, str]


def schedule(
    *,
    booking_id: str,
    business_id: str,
    customer_user_id: str,
    start: datetime,
    offsets_minutes: Sequence[int],
    params: dict[str, str],
    now: datetime,
) -> int:
    """Write one item per offset whose due time is still ahead (one BatchWriteItem).

    Idempotent: the key names the booking, start and offset, so a retry overwrites the same
    items. Returns how many were written."""
    items = []
    for offset in sorted(set(offsets_minutes)):
        due = start.astimezone(UTC) - timedelta(minutes=offset)
        if due <= now:
            continue  # never a reminder for a time already past
        sort_key = f"{codec.encode(due)}#{booking_id}#{offset}"
        items.append(
            ReminderItem(
                pk=_bucket_pk(bucket_of(due)),
                sk=sort_key,
                gsi1pk=f"USER#{customer_user_id}",  # found with the customer's data (erasure)
                gsi1sk=f"REMIND#{sort_key}",
                booking_id=booking_id,
                business_id=business_id,
                customer_user_id=customer_user_id,
                offset_minutes=offset,
                due_at=due,
                booking_start=start,
                params=dict(params),
                ttl=start + TTL_AFTER_START,
            )
        )
    if items:
        with db.sdk_errors(), ReminderItem.batch_write() as batch:
            for item in items:
                batch.save(item)
    return len(items)


def due(since: datetime, until: datetime) -> Iterator[DueReminder]:
    """Reminders due at or before ``until`` in the buckets from ``since``'s to ``until``'s:
    one Query per bucket (the sort key starts with the due instant)."""
    bucket = bucket_of(since)
    last = bucket_of(until)
    limit = codec.encode(until) + "~"  # "~" sorts after "#": includes everything due at ``until``
    while bucket <= last:
        for item in db.query(ReminderItem, _bucket_pk(bucket), ReminderItem.sk <= limit):
            yield DueReminder(
                booking_id=item.booking_id,
                business_id=item.business_id,
                customer_user_id=item.customer_user_id,
                offset_minutes=int(item.offset_minutes),
                due_at=item.due_at,
                booking_start=item.booking_start,
                params={str(k): str(v) for k, v in item.params.as_dict().items()},
                key=(item.pk, item.sk),
            )
        bucket += timedelta(minutes=BUCKET_MINUTES)


def remove(keys: Sequence[tuple[str, str]]) -> None:
    """Delete handled reminders (BatchWriteItem, 25 per call)."""
    if not keys:
        return
    with db.sdk_errors(), ReminderItem.batch_write() as batch:
        for pk, sk in keys:
            batch.delete(ReminderItem(pk=pk, sk=sk))


def processed_until() -> datetime | None:
    cursor = db.get(ReminderCursor, *CURSOR_KEY, consistent=False)
    return None if cursor is None else cursor.processed_until


def set_processed_until(instant: datetime) -> None:
    db.put(ReminderCursor(pk=CURSOR_KEY[0], sk=CURSOR_KEY[1], processed_until=instant))
