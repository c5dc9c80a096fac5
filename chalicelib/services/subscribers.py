"""Who reacts to which domain event: the one registry (chalicelib/services/events.py).

Adding a reaction to committed changes (reviews, surveys, waitlists, webhooks, wallet
pushes) is one ``Subscription`` here and a handler; no store code changes. Handlers must
be idempotent on ``event.event_id``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.notify.events import BOOKING_COMPLETED, BOOKING_KINDS
from chalicelib.privacy.erasure import ERASURE_STARTED
from chalicelib.services.events import DomainEvent, Subscription


def notify_customer(event: DomainEvent, recorded_at: datetime) -> None:
    """The customer's booking notification (and reminders): one SQS message whose id is the
    event id, so a second run is a duplicate the consumer drops (NOTE-1)."""
    from chalicelib.notify import events as notifications

    booking = notifications.BookingEvent.from_payload(event.payload)
    notifications.publish(event.kind, booking, recorded_at=recorded_at, notification_id=event.event_id)


def start_erasure_job(event: DomainEvent, recorded_at: datetime) -> None:
    """An accepted erasure (DELETE /v1/me) starts its background job: one "jobs" message.
    A second run queues a duplicate, which is harmless: the job's progress is on the request
    and each step's write is conditional on it (chalicelib/privacy/erasure.py)."""
    from chalicelib.privacy import erasure, jobs

    jobs.enqueue(erasure.job_message(str(event.payload["request_id"])))


def invite_to_survey(event: DomainEvent, recorded_at: datetime) -> None:
    """A visit marked attended: one survey invitation (REV-3), its message id from the event id."""
    from chalicelib.services import surveys

    surveys.invite(event.event_id, event.payload, recorded_at)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", BOOKING_KINDS, notify_customer),
    Subscription("erasure_jobs", frozenset({ERASURE_STARTED}), start_erasure_job),
    Subscription("surveys", frozenset({BOOKING_COMPLETED}), invite_to_survey),
)
