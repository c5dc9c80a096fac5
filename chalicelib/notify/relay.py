"""The outbox relay: publish what a committed change recorded, then forget it.

Two callers, one function:
- the table stream (chalicelib/consumers.py ``handle_outbox_records``), within seconds;
- the stranded-event schedule (``relay_stranded``), every five minutes, for items older
  than STRANDED_AFTER that the stream did not deliver (relay failing past its retries,
  a relay deployed late, a local dispatcher that was down).

Each relay: one consistent GetItem, the publish (one SendMessage, plus one BatchWriteItem
of reminders for created/rescheduled), one conditional DeleteItem. Publishing before the
delete means a crash in between publishes again: the notification id is the same, and the
consumer delivers it once. No event is lost and none is delivered twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.notify import events
from chalicelib.observability import logger
from chalicelib.store import outbox

# The stream normally relays within seconds; the schedule leaves younger items to it.
STRANDED_AFTER = timedelta(minutes=2)


def relay(partition_key: str) -> bool:
    """Publish and delete one outbox event; False when there was nothing (already relayed)."""
    event = outbox.get(partition_key)
    if event is None:
        return False
    events.publish(event.kind, events.BookingEvent.from_payload(event.payload), recorded_at=event.recorded_at)
    outbox.delete(event)
    return True


def relay_stranded(now: datetime) -> int:
    """Relay events recorded before ``now - STRANDED_AFTER``; one failure does not stop the rest
    (it stays in the outbox for the next run). Returns how many were relayed."""
    relayed = failed = 0
    for partition_key in outbox.recorded_before(now - STRANDED_AFTER):
        try:
            relayed += relay(partition_key)
        except Exception:
            failed += 1
            logger.exception("stranded outbox event not relayed")
    logger.info("stranded outbox run", extra={"count": relayed, "status": f"{failed} failed"})
    if failed:
        raise RuntimeError(f"{failed} stranded outbox events failed; the next run retries them")
    return relayed
