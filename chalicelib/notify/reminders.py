"""The reminder run: every five minutes, queue the reminders that fell due.

Reads only the reminder buckets between the last run and now (chalicelib/store/reminders.py),
so its cost grows with the reminders due, not with the table. Before queueing, each
booking is read again (one GetItem): a cancelled booking, a moved one (its start differs
from the one the reminder was planned for) or one already begun gets no reminder.
Queued reminder ids are stable, so a run that is repeated after a crash queues
duplicates the consumer recognises and drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.notify import events, producer
from chalicelib.notify.messages import NotificationMessage
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import reminders as store


@dataclass(frozen=True)
class ReminderRun:
    queued: int
    skipped: int


def send_due_reminders(now: datetime) -> ReminderRun:
    from chalicelib.domain.bookings import LIVE_STATUSES
    from chalicelib.store import bookings

    earliest = now - timedelta(hours=get_settings().reminder_catch_up_hours)
    since = max(store.processed_until() or earliest, earliest)
    messages: list[NotificationMessage] = []
    handled: list[tuple[str, str]] = []
    skipped = 0
    for reminder in store.due(since, now):
        booking = bookings.get_booking(reminder.booking_id)
        if (
            booking is None
            or booking.status not in LIVE_STATUSES
            or booking.start.replace(microsecond=0) != reminder.booking_start.replace(microsecond=0)
            or booking.start <= now
        ):
            skipped += 1  # cancelled, moved, gone or already begun: never remind
        else:
            messages.append(
                events.reminder_message(
                    booking_id=reminder.booking_id,
                    business_id=reminder.business_id,
                    customer_user_id=reminder.customer_user_id,
                    offset_minutes=reminder.offset_minutes,
                    params=reminder.params,
                )
            )
        handled.append(reminder.key)
    producer.enqueue_many(messages)  # before the delete: a crash in between re-queues, never drops
    store.remove(handled)
    store.set_processed_until(now)
    logger.info("reminder run", extra={"count": len(messages), "status": f"{skipped} skipped"})
    return ReminderRun(queued=len(messages), skipped=skipped)
