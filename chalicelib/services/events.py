"""Domain events: a change records what happened in its own transaction; subscribers react
after the commit, each at least once and idempotently.

    record(tx, event, now)   in the change's transaction: an OUTBOX#<event id> item
                             (store/outbox.py), so the event exists exactly when the change
                             committed, and the request makes no call besides DynamoDB
    relay(partition_key)     from the table stream (consumers.handle_outbox_records) and the
                             stranded-event schedule (relay_stranded): runs the subscribers
                             of the event's kind, then deletes the item
    SUBSCRIPTIONS            who reacts to which kind: chalicelib/services/subscribers.py,
                             the one place to register one (no store code changes); the
                             wiring (consumers.py, schedules.py) hands it to the relay

A subscriber gets the event and the commit time. It must be idempotent on ``event.event_id``
(a crash between its work and the delete runs it again); the notification subscriber, for
one, uses the event id as the message id and the consumer delivers it once. When a
subscriber fails, the ones that already succeeded are remembered on the item (``done``),
so the retry runs only the rest; the failure propagates so the stream (or the schedule)
retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.observability import logger
from chalicelib.store import db, outbox

# The stream normally relays within seconds; the schedule leaves younger items to it.
STRANDED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, in plain JSON values.

    ``event_id`` is deterministic (e.g. ``<booking>:cancelled``): a retry of the same change
    records the same event once, and subscribers de-duplicate on it."""

    kind: str
    event_id: str
    payload: dict[str, Any]


Handler = Callable[[DomainEvent, datetime], None]


@dataclass(frozen=True)
class Subscription:
    name: str  # stable: remembered on a partly relayed event
    kinds: frozenset[str]
    handle: Handler


def record(tx: db.Transaction, event: DomainEvent, now: datetime) -> None:
    """Add ``event`` to the change's transaction (committed with it or not at all)."""
    outbox.add(tx, event.event_id, event.kind, event.payload, now)


def relay(partition_key: str, subscriptions: Iterable[Subscription]) -> bool:
    """Run one outbox event's subscribers, then delete it; False when there was nothing
    (already relayed). Calls: GetItem + the subscribers' own + DeleteItem (+ UpdateItem
    ``done`` only when a subscriber fails)."""
    pending = outbox.get(partition_key)
    if pending is None:
        return False
    event = DomainEvent(kind=pending.kind, event_id=pending.event_id, payload=pending.payload)
    ran: list[str] = []
    for subscription in subscriptions:
        if event.kind not in subscription.kinds or subscription.name in pending.done:
            continue
        try:
            subscription.handle(event, pending.recorded_at)
        except Exception:
            outbox.mark_done(pending, ran)
            raise
        ran.append(subscription.name)
    outbox.delete(pending)
    return True


def relay_stranded(now: datetime, subscriptions: Iterable[Subscription]) -> int:
    """Relay events recorded before ``now - STRANDED_AFTER``; one failure does not stop the rest
    (it stays in the outbox for the next run). Returns how many were relayed."""
    relayed = failed = 0
    for partition_key in outbox.recorded_before(now - STRANDED_AFTER):
        try:
            relayed += relay(partition_key, subscriptions)
        except Exception:
            failed += 1
            logger.exception("stranded outbox event not relayed")
    logger.info("stranded outbox run", extra={"count": relayed, "status": f"{failed} failed"})
    if failed:
        raise RuntimeError(f"{failed} stranded outbox events failed; the next run retries them")
    return relayed
