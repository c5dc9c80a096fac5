"""Who reacts to which domain event: the one registry (chalicelib/services/events.py).

Adding a reaction to committed changes (reviews, surveys, waitlists, webhooks, wallet
pushes) is one ``Subscription`` here and a handler; no store code changes. Handlers must
be idempotent on ``event.event_id``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.notify.events import BOOKING_CANCELLED, BOOKING_KINDS, BOOKING_RESCHEDULED
from chalicelib.privacy.erasure import ERASURE_STARTED
from chalicelib.services.events import DomainEvent, Subscription


def notify_customer(event: DomainEvent, recorded_at: datetime) -> None:
    """The customer's booking notification (and reminders): one SQS message whose id is the
    event id, so a second run is a duplicate the consumer drops (NOTE-1)."""
    from chalicelib.notify import events as notifications

    booking = notifications.BookingEvent.from_payload(event.payload)
    if not booking.customer_user_id:  # a staff-made walk-in without an account, or a block
        return
    notifications.publish(event.kind, booking, recorded_at=recorded_at, notification_id=event.event_id)


def start_erasure_job(event: DomainEvent, recorded_at: datetime) -> None:
    """An accepted erasure (DELETE /v1/me) starts its background job: one "jobs" message.
    A second run queues a duplicate, which is harmless: the job's progress is on the request
    and each step's write is conditional on it (chalicelib/privacy/erasure.py)."""
    from chalicelib.privacy import erasure, jobs

    jobs.enqueue(erasure.job_message(str(event.payload["request_id"])))


def offer_to_waitlist(event: DomainEvent, recorded_at: datetime) -> None:
    """A cancellation or a reschedule may have opened a slot: offer the venue's waitlist its
    free starts, in join order (each offer a hold in the locks; services/waitlist.py).
    Idempotent: an entry with an open offer is left alone, and a hold is a conditional write."""
    from chalicelib import deps
    from chalicelib.services import waitlist

    waitlist.process_venue(str(event.payload["business_id"]), str(event.payload["venue_id"]), deps.clock().now())


def notify_waitlist_offer(event: DomainEvent, recorded_at: datetime) -> None:
    """The offer's message (Category WAITLIST); its id is the event's, so a rerun is a duplicate."""
    from chalicelib.services import waitlist

    waitlist.notify_offer({k: str(v) for k, v in event.payload.items()}, event.event_id)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", BOOKING_KINDS, notify_customer),
    Subscription("erasure_jobs", frozenset({ERASURE_STARTED}), start_erasure_job),
    # issue #18 (waitlist): opened slots are offered; offers are sent
    Subscription("waitlist", frozenset({BOOKING_CANCELLED, BOOKING_RESCHEDULED}), offer_to_waitlist),
    Subscription("waitlist_offers", frozenset({"waitlist.offered"}), notify_waitlist_offer),
)
