"""Retention sweeps (RET-1..9): remove, anonymise or archive what is due, and nothing else.

One scheduled sweep walks the sparse ByExpiry index day by day, from the day after the
last fully swept day up to today, and reads only the items due by now. A day is
``store.partitions(day)``: the legacy unsharded key first, then its 64 shards handled in
parallel (``SWEEP_THREADS`` at once), each shard in due order (an audit chain's records
share one shard, so they leave in chain order). For each item the
retention rule of its entity (chalicelib/privacy/manifest) says what to do:
- ``delete``: DeleteItem (for an item holding an S3 file, ``subjects.ATTACHED_OBJECTS``: DeleteObject first);
- ``anonymise``: remove every attribute the manifest marks personal (RET-2 bookings);
- ``archive``: copy to passive storage, then delete (RET-8);
- audit records leave only in chain order, once sealed, moving the chain's retention
  pointer (SEC-6).

Every action is conditional on the deadline the sweep read, so running twice, or two runs
at once, is harmless (idempotent); an interrupted run resumes from its cursor, and what
it already handled has left the index (resumable). Reads per removed item stay ~1.

Throughput: a run handles at most ``budget`` items (default ``BUDGET_PER_SHARD`` per shard,
640,000), one conditional write each (an audit record: a read of its chain's pointer and a
transaction), ``SWEEP_THREADS`` at a time. At ~10 ms a write that is ~1,600 items/s, about
a million in the function's 10-minute timeout, against ~420,000 deadlines an hour on
average at the modelled scale (docs/capacity.md). It grows with the threads (the DynamoDB
client pools 50 connections) and, past one function, with runs that each take a range of
shards (not built). A run cut short, by its budget or its timeout, loses nothing: handled
items have left the index and the day's cursor has not moved.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice

from chalicelib.lazy import lazy_import
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.privacy import manifest as manifests
    from chalicelib.privacy.manifest import Manifest
    from chalicelib.store import items
    from chalicelib.store import retention as store
    from chalicelib.store.items import StoredItem
else:  # loaded when a sweep runs: registering the schedule must not load the store
    manifests = lazy_import("chalicelib.privacy.manifest")
    store = lazy_import("chalicelib.store.retention")
    items = lazy_import("chalicelib.store.items")

SWEEP_NAME = "expiry"
# With no cursor yet (first run), look back this far for items already past due.
FIRST_RUN_LOOKBACK_DAYS = 60
BUDGET_PER_SHARD = 10_000  # items a run may handle, per index shard (see Throughput above)
SWEEP_THREADS = 16  # shards handled at once (the client pools 50 connections)


@dataclass
class SweepReport:
    days: list[str] = field(default_factory=list)
    items_read: int = 0
    removed: int = 0
    anonymised: int = 0
    archived: int = 0
    skipped: int = 0
    complete: bool = True

    @property
    def handled(self) -> int:
        return self.removed + self.anonymised + self.archived

    def add(self, other: SweepReport) -> None:
        self.items_read += other.items_read
        self.removed += other.removed
        self.anonymised += other.anonymised
        self.archived += other.archived
        self.skipped += other.skipped


class _Budget:
    """The run's budget, shared by the shards' threads: a slot is taken before an item is
    handled and given back if nothing was done, so the run never handles more than it."""

    def __init__(self, limit: int) -> None:
        self._left = limit
        self._lock = threading.Lock()
        self.exhausted = False

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                self.exhausted = True
                return False
            self._left -= 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._left += 1


def anonymisation_plan(entity: str, item: StoredItem, manifest: Manifest) -> tuple[list[str], dict[str, Any]]:
    """Which attributes to remove and which to blank, from the manifest's personal flags.

    Required attributes of the entity's model are blanked (a neutral value of their type,
    ``items.blank_for``); the others are removed. Index keys that embed a personal value
    (e.g. ``USER#<id>`` of the customer) are removed too, so the anonymised item drops out
    of that person's index.
    """
    personal = manifest.entity(entity).anonymise_attributes if entity in manifest.entities else []
    remove: list[str] = []
    blank: dict[str, Any] = {}
    personal_values = set()
    for name in personal:
        if name not in item.values:
            continue
        if item.text(name):
            personal_values.add(item.text(name))
        neutral = items.blank_for(entity, name)
        if neutral is not None:
            blank[name] = neutral
        else:
            remove.append(name)
    for key in ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"):
        text = item.text(key)
        if text and any(value in text for value in personal_values):
            remove += [key, key[:-2] + ("sk" if key.endswith("pk") else "pk")]
    return sorted(set(remove)), blank


def _passive_location(item: StoredItem) -> tuple[str, str]:
    """(logical bucket, object key) of an archived item."""
    return "documents", f"passive/{item.entity}/{item.pk}/{item.sk}.json"


def passive_items_of(pk: str, manifest: Manifest) -> list[StoredItem]:
    """What the sweep archived from partition ``pk`` (RET-8): every entity whose rule archives,
    read back from passive storage (one ListObjectsV2 per such entity, one GetObject per item).
    The export includes them: archived data is still the person's."""
    from chalicelib.store import objects

    found = []
    for entity in sorted(manifest.entities):
        if manifest.rule_for(entity).action != "archive":
            continue
        for key in objects.keys_under("documents", f"passive/{entity}/{pk}/"):
            document = objects.read_json("documents", key)
            found.append(items.StoredItem(document["pk"], document["sk"], document["entity"], document["values"]))
    return found


def delete_passive_of(pk: str, manifest: Manifest) -> None:
    """Erase what the sweep archived from partition ``pk`` (the erasure of its owner): one
    ListObjectsV2 (+ DeleteObjects) per archived entity."""
    from chalicelib.store import objects

    for entity in sorted(manifest.entities):
        if manifest.rule_for(entity).action == "archive":
            objects.delete_under("documents", f"passive/{entity}/{pk}/")


def handle(item: StoredItem, manifest: Manifest, report: SweepReport) -> bool:
    """Apply the item's retention action; False if it was not (yet) possible."""
    entity = item.entity
    if entity == "AuditRecord":
        from chalicelib.store import audit

        seq = item.values.get("seq")
        # Sealed records only, next after the chain's retention pointer (an unsealed one waits).
        done = audit.remove_expired(item.pk, item.sk, int(seq) if seq is not None else None, item.text("hash") or None)
        report.removed += int(done)
        return done
    action = manifest.rule_for(entity).action if entity in manifest.entities else "delete"
    if action == "anonymise":
        remove, blank = anonymisation_plan(entity, item, manifest)
        done = store.anonymise_due(item, remove, blank)
        report.anonymised += int(done)
    elif action == "archive":
        bucket, key = _passive_location(item)
        done = store.archive_due(item, bucket, key)
        report.archived += int(done)
    else:
        from chalicelib.privacy import subjects

        subjects.delete_attached_object(item)  # a travel document's file goes with it (RET-9)
        done = store.delete_due(item)
        report.removed += int(done)
    return done


def run(
    now: datetime, *, budget: int | None = None, manifest: Manifest | None = None, wall: datetime | None = None
) -> SweepReport:
    """Sweep every day from the cursor to today, handling at most ``budget`` items
    (default ``BUDGET_PER_SHARD`` per index shard).

    ``now`` decides what is due; the cursor is bounded by ``wall``, the real clock
    (``deps.clock()`` unless given): a run told a future ``now`` (an operator previewing,
    a test) removes what would be due then, but never marks a day swept that has not
    ended on the real clock, so later real runs still sweep every day up to it.

    Calls: GetItem (cursor); per day one Query per index partition (paged); per item its
    action's conditional write (audit: GetItem + TransactWriteItems); PutItem (cursor) per
    day completed.
    """
    from chalicelib import deps

    manifest = manifest or manifests.load()
    report = SweepReport()
    allowance = _Budget(budget if budget is not None else BUDGET_PER_SHARD * store.SHARDS)
    today = now.date()
    wall = wall if wall is not None else deps.clock().now()
    wall_today = wall.date()
    cursor = store.get_cursor(SWEEP_NAME)
    day = first_due_day(cursor, today)
    with ThreadPoolExecutor(max_workers=SWEEP_THREADS) as pool:
        while day <= today:
            report.days.append(day.isoformat())
            legacy, *shards = store.partitions(day)

            def sweep(partition: str) -> SweepReport:
                return _sweep_partition(partition, now, manifest, allowance)

            # The legacy key first, in this thread: its deadlines are the older ones (an audit
            # chain's earlier records), and it builds the clients before the threads share them.
            parts = [sweep(legacy), *pool.map(sweep, shards)]
            for part in parts:
                report.add(part)
            if allowance.exhausted:
                report.complete = False
                break
            if day < min(today, wall_today) and not any(part.skipped for part in parts):
                # Not while an item was skipped (e.g. an audit record whose predecessor is not gone yet).
                store.save_cursor(SWEEP_NAME, day, report.handled, wall)
            day += timedelta(days=1)
    logger.info(
        "retention sweep",
        extra={"operation": "retention_sweep", "count": report.handled, "items_read": report.items_read},
    )
    return report


def _sweep_partition(partition: str, now: datetime, manifest: Manifest, allowance: _Budget) -> SweepReport:
    """One index partition's due items, in due order, while the budget lasts."""
    part = SweepReport()
    for item in store.due_in(partition, now):
        if not allowance.take():
            break
        part.items_read += 1
        if not handle(item, manifest, part):
            part.skipped += 1
            allowance.give_back()
    return part


def register(app: Chalice) -> None:
    """Wire the schedule into the Chalice app (called from app.py)."""
    from chalicelib import deps

    @app.schedule("rate(1 hour)", name="retention_sweep", description="Retention: remove what is due (RET-1..9)")
    def retention_sweep(event: Any) -> dict[str, int]:
        report = run(deps.clock().now())
        return {"read": report.items_read, "handled": report.handled, "skipped": report.skipped}


def first_due_day(cursor: date | None, today: date) -> date:
    """The day after the last fully swept one; a first run looks back a while.

    A cursor at or beyond ``today`` (saved by an older run told a future ``now``) is not
    trusted: the sweep then looks back as a first run would, so no day is skipped."""
    if cursor is None or cursor >= today:
        return today - timedelta(days=FIRST_RUN_LOOKBACK_DAYS)
    return cursor + timedelta(days=1)
