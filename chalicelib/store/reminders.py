"""Booking reminders, keyed by the UTC day they fall due in, spread over shards.

    ReminderItem    PK ``REMIND#<yyyy-mm-dd>#<shard 00-63>`` (the due day in UTC; shard: a
                    stable hash of the booking id)
                    SK ``<due instant, codec>#<booking id>#<offset minutes>``
    ReminderCursor  PK ``REMIND#CURSOR``  SK ``CURSOR`` (the last instant the schedule finished)

The schedule reads, in each shard of the days between its cursor and now (normally one
day), only the sort-key range from the cursor's five-minute bucket to now, so its cost
grows with the reminders due, never with the table. A sent reminder's item is deleted;
the TTL is a backstop for items whose booking was cancelled or moved.

Why shards: every reminder is written (when planned) and deleted (when sent) in the
partition of its due time. Until now that was one partition per five-minute bucket; at the
modelled peak (docs/capacity.md: 10 million bookings a day, 5x peak hour, two reminders
each) it takes over 1,000 WCU/s, DynamoDB's limit per partition, whatever the bucket's
length: the rate is reminders due per second. ``SHARDS`` partitions take a 64th each (the model's
figure for the hottest shard is in docs/capacity.md).
Why a day, not five minutes, per partition: a run reads every shard of every partition
in its range, so 64 shards of five-minute buckets would cost 64 Queries per bucket (18,432
for the 24-hour catch-up); with the day in the key and the time in the sort key, a run
makes 64 Queries (128 across midnight), each returning only what fell due. The shard hashes
the booking id, so a retry of ``schedule`` rewrites the same items.

Items written before the shards existed sit under ``REMIND#<yyyy-mm-ddThh:mm>Z`` (the
five-minute bucket, no shard). ``due`` also reads that legacy partition, one Query per
bucket as before, for buckets before ``LEGACY_BUCKETS_BEFORE``: a reminder is planned at
most a venue's horizon (366 days at most) ahead, so none written before this change
(December 2026) falls due after it; from then on the extra Queries stop. No migration is
needed, locally (DynamoDB Local keeps its data across restarts) or deployed.

Each item is also on GSI1 under its customer (``USER#<u>`` / ``REMIND#<sk>``), one of the
places the privacy engine finds a data subject's items (store/subjects.py), so erasure
deletes a customer's pending reminders with the rest of their data.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

BUCKET_MINUTES = 5
SHARDS = 64  # partitions per due day; chosen from the capacity model (docs/capacity.md)
# Buckets before this instant are also read under their unsharded key (items from before SHARDS).
LEGACY_BUCKETS_BEFORE = datetime(2028, 1, 1, tzinfo=UTC)
_QUERY_THREADS = 8  # a day's shard Queries in flight at once
CURSOR_KEY = ("REMIND#CURSOR", "CURSOR")
# Kept this long after the booking's start in case nothing deleted them (TTL backstop).
TTL_AFTER_START = window("reminder")


def bucket_of(instant: datetime) -> datetime:
    instant = instant.astimezone(UTC)
    return instant.replace(minute=instant.minute - instant.minute % BUCKET_MINUTES, second=0, microsecond=0)


def _legacy_bucket_pk(bucket: datetime) -> str:
    # "yyyy-mm-ddThh:mm" is the first 16 characters of the codec's fixed-width text.
    return f"REMIND#{codec.encode(bucket)[:16]}Z"


def shard_of(booking_id: str) -> int:
    """Stable across processes and releases (crc32, not Python's salted hash)."""
    return zlib.crc32(booking_id.encode()) % SHARDS


def _partition(due: datetime, shard: int) -> str:
    return f"REMIND#{codec.encode(due)[:10]}#{shard:02d}"  # the codec's text starts "yyyy-mm-dd"


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
                pk=_partition(due, shard_of(booking_id)),
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
    """Reminders due from the start of ``since``'s five-minute bucket to ``until`` (inclusive),
    in due order: per UTC day, one Query per shard, run in parallel on a small thread pool
    (the boto3 client is thread-safe), plus the legacy buckets (see above), merged by sort
    key (it starts with the due instant)."""
    lower = codec.encode(bucket_of(since))
    upper = codec.encode(until) + "~"  # "~" sorts after "#": includes everything due at ``until``
    day = bucket_of(since).replace(hour=0, minute=0)
    with ThreadPoolExecutor(max_workers=_QUERY_THREADS) as pool:
        while day <= until:
            first, *others = [_partition(day, shard) for shard in range(SHARDS)]
            # The first in this thread: it builds PynamoDB's client once (session set-up is not thread-safe).
            found = [_due_in(first, lower, upper), *pool.map(lambda pk: _due_in(pk, lower, upper), others)]
            found += [_due_in(pk, lower, upper) for pk in _legacy_partitions(day, since, until)]
            for _, item in heapq.merge(*found, key=lambda entry: entry[0]):
                yield item
            day += timedelta(days=1)


def _legacy_partitions(day: datetime, since: datetime, until: datetime) -> list[str]:
    """The unsharded five-minute buckets of ``day`` between ``since``'s and ``until``'s."""
    bucket = max(bucket_of(since), day)
    last = min(bucket_of(until), day + timedelta(days=1) - timedelta(minutes=BUCKET_MINUTES))
    found = []
    while bucket <= last and bucket < LEGACY_BUCKETS_BEFORE:
        found.append(_legacy_bucket_pk(bucket))
        bucket += timedelta(minutes=BUCKET_MINUTES)
    return found


def _due_in(partition: str, lower: str, upper: str) -> list[tuple[str, DueReminder]]:
    """One partition's due reminders (a Query, paginated), by sort key."""
    return [
        (
            item.sk,
            DueReminder(
                booking_id=item.booking_id,
                business_id=item.business_id,
                customer_user_id=item.customer_user_id,
                offset_minutes=int(item.offset_minutes),
                due_at=item.due_at,
                booking_start=item.booking_start,
                params={str(k): str(v) for k, v in item.params.as_dict().items()},
                key=(item.pk, item.sk),
            ),
        )
        for item in db.query(ReminderItem, partition, ReminderItem.sk.between(lower, upper))
    ]


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
