"""Who reacts to which domain event: the one registry (chalicelib/services/events.py).

Adding a reaction to committed changes (reviews, surveys, waitlists, webhooks, wallet
pushes) is one ``Subscription`` here and a handler; no store code changes. Handlers must
be idempotent on ``event.event_id``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.notify.events import BOOKING_KINDS
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


def notify_ticket_used(event: DomainEvent, recorded_at: datetime) -> None:
    """The holder's "ticket used" message (NOTE-4, category ``ticket_uses``): one SQS message
    whose id is the event id, so a second run is a duplicate the consumer drops."""
    from chalicelib.notify import producer
    from chalicelib.notify.messages import Category, NotificationMessage
    from chalicelib.settings import get_settings

    payload = event.payload
    producer.enqueue(
        NotificationMessage(
            notification_id=event.event_id,
            kind="ticket.used",
            category=Category.TICKET_USES,
            user_id=str(payload["user_id"]),
            params={
                "product_name": str(payload["product_name"]),
                "place": str(payload["place"]),
                "start": str(payload["scanned_at"]),
                "timezone": get_settings().ticket_timezone,
            },
        )
    )


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", BOOKING_KINDS, notify_customer),
    Subscription("erasure_jobs", frozenset({ERASURE_STARTED}), start_erasure_job),
    Subscription("ticket_used", frozenset({"ticket.used"}), notify_ticket_used),
)


# --- wallet pushes (NOTE-4): "top-up credited" and "payment made" --------------------------------


def notify_wallet_movement(event: DomainEvent, recorded_at: datetime) -> None:
    """A top-up credited or a payment made: one SQS message whose id is the event id (the
    entry's), so a second relay is a duplicate the consumer drops (NOTE-4)."""
    from chalicelib.services import wallet

    wallet.publish_movement(event)


SUBSCRIPTIONS = (
    *SUBSCRIPTIONS,
    Subscription("wallet_pushes", frozenset({"wallet.credited", "wallet.debited"}), notify_wallet_movement),
)
