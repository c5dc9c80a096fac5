"""Retention keys: the sparse ByExpiry index, expiry checks for readers, sweep cursors.

An item with a retention deadline carries
- ``exp_pk`` = ``EXPIRES#<yyyy-mm-dd>#<shard 00-63>`` (the UTC day it is due; shard: crc32
  of the item's pk, so restamping an item keeps its key),
- ``exp_sk`` = ``<instant>#<pk>#<sk>`` (due instant first, so a shard reads in due order),
- ``ttl`` (optional): DynamoDB's own TTL as a backstop a few days later, only for items
  the sweep deletes outright (never for items it anonymises or archives).

Only such items are in the index, so a sweep reads what is due and nothing else.
Readers call ``is_expired(item, now)`` and treat an expired item as absent: the sweep
may not have run yet, and DynamoDB Local never runs TTL on tables with a GSI. Readers of
an item the sweep anonymises instead (a booking kept for its business) pass its values
through ``honour_deadline(entity, values, now)``: once the deadline has passed they show
it as the sweep will leave it, without the attributes the manifest marks identifying.

Why shards: every item given a deadline is written to the index partition of its due day.
Unsharded, at the modelled peak (docs/capacity.md) that partition took about 1,860 WCU/s,
over DynamoDB's 1,000 per partition; ``SHARDS`` partitions take a 64th each. The shard
hashes the pk, not pk and sk: the items of one partition (an audit chain, whose records
leave only in chain order) share a shard, which the sweep reads in due order; no partition
writes deadlines fast enough for that to matter (an audit chain takes a few records/s).

Items stamped before the shards sit under the unsharded ``EXPIRES#<yyyy-mm-dd>``. Their
deadlines reach years ahead (audit records are kept five years), so ``partitions(day)``
includes that legacy key for every day, with no cut-over date: one more Query per day
swept (half a read unit when empty) is cheaper than a migration and cannot miss an item.
"""

from __future__ import annotations

import heapq
import re
import tomllib
import zlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.store import codec, db, items, objects
from chalicelib.store.codec import DayAttribute, InstantAttribute
from chalicelib.store.items import StoredItem
from chalicelib.store.table import TableItem

EXPIRES_PREFIX = "EXPIRES#"
SHARDS = 64  # index partitions per due day; chosen from the capacity model (docs/capacity.md)
_QUERY_THREADS = 8  # a day's shard Queries in flight at once (due_on)
TTL_BACKSTOP = window("ttl_backstop")


def instant(at: datetime) -> str:
    """The stored form of an instant (store/codec.py): fixed width, sorts as time does."""
    return codec.encode(at)


def expiry_keys(pk: str, sk: str, at: datetime) -> tuple[str, str]:
    """(exp_pk, exp_sk) for an item with key (pk, sk) due at ``at``."""
    return _partition(at.astimezone(UTC).date(), shard_of(pk)), f"{codec.encode(at)}#{pk}#{sk}"


def shard_of(pk: str) -> int:
    """Stable across processes and releases (crc32, not Python's salted hash)."""
    return zlib.crc32(pk.encode()) % SHARDS


def _partition(day: date, shard: int) -> str:
    return f"{_legacy_day_key(day)}#{shard:02d}"


def _legacy_day_key(day: date) -> str:
    # The unsharded key of items stamped before SHARDS (read for every day; see above).
    return f"{EXPIRES_PREFIX}{codec.day(day)}"


def partitions(day: date) -> list[str]:
    """Every index partition of ``day``: the legacy unsharded key first (older deadlines),
    then the shards."""
    return [_legacy_day_key(day), *(_partition(day, shard) for shard in range(SHARDS))]


def set_expiry(item: TableItem, at: datetime, *, ttl_backstop: bool = True) -> None:
    """Stamp ``item`` (not saved here) as due at ``at``.

    ``ttl_backstop`` also sets DynamoDB TTL a few days later, in case the sweep is down;
    pass False for items the sweep anonymises or archives instead of deleting.
    """
    item.exp_pk, item.exp_sk = expiry_keys(item.pk, item.sk, at)
    item.ttl = (at + TTL_BACKSTOP) if ttl_backstop else None


def clear_expiry(item: TableItem) -> None:
    item.exp_pk = None
    item.exp_sk = None
    item.ttl = None


def due_at(item: TableItem | StoredItem | dict[str, Any]) -> datetime | None:
    """The instant an item (model, StoredItem or dict of Python values) is due, if it has one."""
    if isinstance(item, StoredItem):
        values: Any = item.values
    elif isinstance(item, dict):
        values = item
    else:
        values = {"exp_sk": item.exp_sk, "ttl": item.ttl}
    exp_sk = values.get("exp_sk")
    if exp_sk:
        return codec.decode(str(exp_sk).split("#", 1)[0])
    ttl = values.get("ttl")
    if isinstance(ttl, datetime):
        return ttl
    if ttl is not None:
        return datetime.fromtimestamp(int(ttl), UTC)
    return None


def is_expired(item: TableItem | StoredItem | dict[str, Any], now: datetime) -> bool:
    """True when the item's retention deadline has passed: readers must treat it as gone."""
    deadline = due_at(item)
    return deadline is not None and deadline <= now


# The privacy manifest's entity files, read as files (as chalicelib/retention_rules.py reads
# the rules): the store sits below chalicelib.privacy and may not import it.
MANIFEST_DIR = Path(__file__).parent.parent / "privacy" / "manifest"


@cache
def identifying_attributes(entity: str) -> tuple[str, ...]:
    """What anonymisation strips from ``entity``: the attributes its manifest file marks
    ``identifying``, or every personal one when it marks none (the sweep's rule,
    ``EntityManifest.anonymise_attributes``). Empty for an entity without a manifest file."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", entity):
        return ()
    path = MANIFEST_DIR / f"{entity}.toml"
    if not path.is_file():
        return ()
    attributes: dict[str, dict[str, Any]] = tomllib.loads(path.read_text("utf-8")).get("attributes", {})
    marked = sorted(name for name, spec in attributes.items() if spec.get("identifying") is True)
    return tuple(marked or sorted(name for name, spec in attributes.items() if spec.get("personal") is True))


def honour_deadline(entity: str, values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``values`` (an item's decoded attributes, ``exp_sk`` among them) as a reader may show
    them at ``now``: unchanged while the item's deadline is ahead; once it has passed, every
    identifying attribute is blanked as the sweep's anonymisation leaves it (a required one
    gets the neutral value of its type, ``items.blank_for``; an optional one None), even if
    the sweep has not run yet."""
    shown = dict(values)
    if not is_expired(shown, now):
        return shown
    for name in identifying_attributes(entity):
        if name in shown:
            shown[name] = items.blank_for(entity, name)
    return shown


def stamp_expiry(pk: str, sk: str, at: datetime, *, ttl_backstop: bool = True) -> bool:
    """Set the deadline of an existing item (one UpdateItem); False if the item is gone.

    An earlier deadline already on the item is kept (never extend retention by accident).
    """
    exp_pk, exp_sk = expiry_keys(pk, sk, at)
    actions = [TableItem.exp_pk.set(exp_pk), TableItem.exp_sk.set(exp_sk)]
    if ttl_backstop:
        actions.append(TableItem.ttl.set(at + TTL_BACKSTOP))
    condition = TableItem.pk.exists() & (TableItem.exp_sk.does_not_exist() | (TableItem.exp_sk > exp_sk))
    try:
        db.update_raw(pk, sk, actions, condition=condition)
    except db.ConditionFailed:
        return False
    return True


# --- sweeps ------------------------------------------------------------------------


def due_in(partition: str, until: datetime, page_size: int = 100) -> Iterator[StoredItem]:
    """Items of one index partition (``partitions(day)``) due at or before ``until``, in due
    order, page by page as they are consumed (Query on ByExpiry)."""
    due = (TableItem.exp_pk == partition) & (TableItem.exp_sk <= f"{codec.encode(until)}#\uffff")
    for raw in db.query_raw_all(due, index="ByExpiry", limit=page_size):
        yield items.decode(raw)


def due_on(day: date, until: datetime, page_size: int = 100) -> Iterator[StoredItem]:
    """Items due on ``day`` at or before ``until``, in due order across the day: one Query per
    partition (the legacy key and every shard), run in parallel on a small thread pool (the
    boto3 client is thread-safe), merged by ``exp_sk`` (it starts with the due instant).
    Each partition's items are held in memory: for a day's full volume use ``due_in`` per
    partition, as the sweep does."""
    first, *others = partitions(day)

    def read(partition: str) -> list[StoredItem]:
        return list(due_in(partition, until, page_size))

    # The first in this thread: it builds the client once (session set-up is not thread-safe).
    found = [read(first)]
    with ThreadPoolExecutor(max_workers=_QUERY_THREADS) as pool:
        found += pool.map(read, others)
    yield from heapq.merge(*found, key=lambda item: str(item.values.get("exp_sk", "")))


class SweepCursor(TableItem, discriminator="SweepCursor"):
    """The last day a sweep finished completely: the next run resumes after it."""

    sweep = UnicodeAttribute()
    last_complete_day = DayAttribute()
    removed_total = NumberAttribute(default=0)
    updated_at = InstantAttribute()


def _cursor_key(sweep: str) -> tuple[str, str]:
    return "SWEEP", f"CURSOR#{sweep}"


def get_cursor(sweep: str) -> date | None:
    cursor = db.get(SweepCursor, *_cursor_key(sweep))
    return cursor.last_complete_day if cursor is not None else None


def save_cursor(sweep: str, day: date, removed: int, now: datetime) -> None:
    """Advance the cursor (never backwards: a slower concurrent run cannot rewind it).

    ``now`` is the real clock: a day that has not ended by then is refused (a run told a
    future time must not make later runs skip days), and a cursor already beyond it (saved
    before that rule) is replaced."""
    today = now.astimezone(UTC).date()
    if day >= today:
        return
    pk, sk = _cursor_key(sweep)
    cursor = SweepCursor(pk=pk, sk=sk, sweep=sweep, last_complete_day=day, removed_total=removed, updated_at=now)
    ahead = SweepCursor.last_complete_day >= today
    with suppress(db.ConditionFailed):
        db.put(cursor, condition=SweepCursor.pk.does_not_exist() | (SweepCursor.last_complete_day <= day) | ahead)


# --- what a sweep does to one due item (each call conditional on the deadline it read) ---


def _still_due(item: StoredItem) -> Any:
    # The item must still carry the deadline the sweep read: if its owner moved or
    # cleared the deadline in the meantime, the sweep leaves it alone.
    return TableItem.exp_sk == item.values.get("exp_sk")


def delete_due(item: StoredItem) -> bool:
    """DeleteItem on condition the deadline is unchanged; False if it changed or is gone."""
    return items.delete(item.pk, item.sk, condition=_still_due(item))


def anonymise_due(item: StoredItem, remove: list[str], blank: dict[str, Any]) -> bool:
    """Remove (or blank, for required attributes) the named attributes and the deadline,
    in one UpdateItem on condition the deadline is unchanged. The item leaves the index."""
    removals = {"exp_pk", "exp_sk", "ttl", *remove}
    return items.update(item.pk, item.sk, set_values=blank, remove=removals, condition=_still_due(item))


def archive_due(item: StoredItem, bucket: str, object_key: str) -> bool:
    """Copy the item (as plain JSON, store/items.json_value) to passive storage: the S3
    bucket of logical name ``bucket``; then delete it from the table."""
    document = {"pk": item.pk, "sk": item.sk, "entity": item.entity, "values": items.json_value(item.values)}
    objects.put_json(bucket, object_key, document, sort_keys=True)
    return delete_due(item)
