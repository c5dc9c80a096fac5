"""The transactional outbox: domain events written in the same transaction as the change.

    OutboxEvent  PK ``OUTBOX#<event id>``  SK ``EVENT``
                 GSI1 ``OUTBOX#<shard 0-63>`` / ``<recorded_at>#<event id>`` (pending items only)

A change adds its events with ``add(tx, ...)`` (services/events.record), so an event exists
exactly when the change committed. The table's stream (keys only) hands the key to the
relay (chalicelib/services/events.py), which reads the item, runs its subscribers and
deletes it. ``done`` names the subscribers that already ran when an earlier relay failed
part-way, so a retry runs only the rest. The GSI1 entry lets the stranded-event schedule
find items the stream did not deliver with one Query per shard; 64 shards spread the
index writes of busy hours over partitions (docs/capacity.md: with 8, each took about a quarter of a
partition's 1,000 WCU/s at the modelled peak). Items written under 8 shards are in 0-7,
still read. The event id is deterministic, so writing the same event twice leaves one item.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from chalicelib import resources
from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

SORT_KEY = "EVENT"
INDEX_SHARDS = 64  # from the capacity model (docs/capacity.md)
# Backstop only: a relayed item is deleted at once; one nobody relayed is moot after this.
TTL = window("outbox")


class OutboxEvent(TableItem, discriminator="OutboxEvent"):
    kind = UnicodeAttribute()
    payload = UnicodeAttribute()  # JSON object
    recorded_at = InstantAttribute()
    done = UnicodeSetAttribute(null=True)  # subscribers that already ran (partial relays)


@dataclass(frozen=True)
class PendingEvent:
    partition_key: str
    event_id: str
    kind: str
    payload: dict[str, Any]
    recorded_at: datetime
    done: frozenset[str] = frozenset()


def partition_key(event_id: str) -> str:
    return f"{resources.OUTBOX_KEY_PREFIX}{event_id}"


def _index_partition(shard: int) -> str:
    return f"{resources.OUTBOX_KEY_PREFIX}{shard}"


def add(tx: db.Transaction, event_id: str, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """Record the event in ``tx``, unconditionally (same id, same event)."""
    shard = zlib.crc32(event_id.encode()) % INDEX_SHARDS
    item = OutboxEvent(
        partition_key(event_id),
        SORT_KEY,
        kind=kind,
        payload=json.dumps(payload, separators=(",", ":"), sort_keys=True),
        recorded_at=now,
        gsi1pk=_index_partition(shard),
        gsi1sk=f"{codec.encode(now)}#{event_id}",
        ttl=now + TTL,
    )
    tx.put(item, role="event")


def get(pk: str) -> PendingEvent | None:
    """One consistent GetItem: None once the event was relayed."""
    item = db.get(OutboxEvent, pk, SORT_KEY)
    if item is None:
        return None
    return PendingEvent(
        partition_key=pk,
        event_id=pk.removeprefix(resources.OUTBOX_KEY_PREFIX),
        kind=item.kind,
        payload=json.loads(item.payload),
        recorded_at=item.recorded_at,
        done=frozenset(item.done or ()),
    )


def mark_done(event: PendingEvent, subscribers: Iterable[str]) -> None:
    """Remember which subscribers ran (a relay failing part-way); no-op if it was rewritten."""
    names = set(subscribers) - event.done
    if not names:
        return
    # A rewrite of the same id meanwhile fails the condition: its own stream record relays it afresh.
    with contextlib.suppress(db.ConditionFailed):
        db.update(
            OutboxEvent(event.partition_key, SORT_KEY),
            [OutboxEvent.done.add(names)],
            condition=OutboxEvent.recorded_at == event.recorded_at,
        )


def delete(event: PendingEvent) -> bool:
    """DeleteItem, only if the item is still the one relayed. False when it was rewritten
    meanwhile (same id, later write): that write's own stream record relays it."""
    try:
        db.delete(OutboxEvent(event.partition_key, SORT_KEY), condition=OutboxEvent.recorded_at == event.recorded_at)
    except db.ConditionFailed:
        return False
    return True


def recorded_before(cutoff: datetime) -> Iterator[str]:
    """Partition keys of events recorded before ``cutoff``: one Query on GSI1 per shard
    (more only when a shard holds over 1 MB of them)."""
    for shard in range(INDEX_SHARDS):
        condition = (TableItem.gsi1pk == _index_partition(shard)) & (TableItem.gsi1sk < codec.encode(cutoff))
        for item in db.query_raw_all(condition, index="GSI1", projection=["pk"]):
            yield db.key_of_partition(item)
