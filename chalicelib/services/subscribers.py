"""Who reacts to which domain event: the one registry (chalicelib/services/events.py).

Adding a reaction to committed changes (reviews, surveys, waitlists, webhooks, wallet
pushes) is one ``Subscription`` here and a handler; no store code changes. Handlers must
be idempotent on ``event.event_id``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.notify.events import (
    BOOKING_CANCELLED,
    BOOKING_COMPLETED,
    BOOKING_KINDS,
    BOOKING_RESCHEDULED,
    OUTCOME_KINDS,
)
from chalicelib.notify.travel import TRAVEL_KINDS
from chalicelib.privacy.erasure import ERASURE_STARTED
from chalicelib.services.events import DomainEvent, Subscription


def notify_customer(event: DomainEvent, recorded_at: datetime) -> None:
    """The customer's booking notification (and reminders): one SQS message whose id is the
    event id, so a second run is a duplicate the consumer drops (NOTE-1)."""
    from chalicelib.notify import events as notifications

    booking = notifications.BookingEvent.from_payload(event.payload)
    if not booking.customer_user_id:  # a staff-made walk-in without an account, or a block
        return
    if not booking.told_to_customer():  # a visit's other parts: its lead part's message covers them
        return
    notifications.publish(event.kind, booking, recorded_at=recorded_at, notification_id=event.event_id)


def start_erasure_job(event: DomainEvent, recorded_at: datetime) -> None:
    """An accepted erasure (DELETE /v1/me) starts its background job: one "jobs" message.
    A second run queues a duplicate, which is harmless: the job's progress is on the request
    and each step's write is conditional on it (chalicelib/privacy/erasure.py)."""
    from chalicelib.privacy import erasure, jobs

    jobs.enqueue(erasure.job_message(str(event.payload["request_id"])))


def notify_travel_customer(event: DomainEvent, recorded_at: datetime) -> None:
    """A travel request's reply, quote or status change told to its customer (TRV-1): one SQS
    message whose id is the event id (the consumer delivers a duplicate once)."""
    from chalicelib.notify import travel

    travel.publish(event.kind, event.event_id, event.payload)


def deliver_webhooks(event: DomainEvent, recorded_at: datetime) -> None:
    """The business's webhook endpoints: one "webhooks" message per subscribed endpoint
    (services/webhooks.py). A second run queues duplicates with the same webhook-id (the
    event id), which receivers de-duplicate on: delivery is at least once."""
    from chalicelib.services import webhooks

    webhooks.fan_out(event.kind, event.event_id, event.payload, recorded_at)


def offer_to_waitlist(event: DomainEvent, recorded_at: datetime) -> None:
    """A cancellation, a reschedule or a schedule change may have opened a slot: offer the venue's waitlist its
    free starts, in join order (each offer a hold in the locks; services/waitlist.py).
    Idempotent: an entry with an open offer is left alone, and a hold is a conditional write."""
    from chalicelib import deps
    from chalicelib.services import waitlist

    waitlist.process_venue(str(event.payload["business_id"]), str(event.payload["venue_id"]), deps.clock().now())


def notify_waitlist_offer(event: DomainEvent, recorded_at: datetime) -> None:
    """The offer's message (Category WAITLIST); its id is the event's, so a rerun is a duplicate."""
    from chalicelib.services import waitlist

    waitlist.notify_offer({k: str(v) for k, v in event.payload.items()}, event.event_id)


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


# --- wallet pushes (NOTE-4): "top-up credited" and "payment made" --------------------------------


def notify_wallet_movement(event: DomainEvent, recorded_at: datetime) -> None:
    """A top-up credited or a payment made: one SQS message whose id is the event id (the
    entry's), so a second relay is a duplicate the consumer drops (NOTE-4)."""
    from chalicelib.services import wallet

    wallet.publish_movement(event)


def invite_to_survey(event: DomainEvent, recorded_at: datetime) -> None:
    """A visit marked attended: one survey invitation (REV-3), its message id from the event id."""
    from chalicelib.services import surveys

    surveys.invite(event.event_id, event.payload, recorded_at)


def notify_support_reply(event: DomainEvent, recorded_at: datetime) -> None:
    """An operator answered a support ticket: one message to its requester (category
    ``support_replies``), its id the event's, so a second relay is a duplicate."""
    from chalicelib.notify import producer
    from chalicelib.notify.messages import Category, NotificationMessage

    producer.enqueue(
        NotificationMessage(
            notification_id=event.event_id,
            kind="support.reply",
            category=Category.SUPPORT_REPLIES,
            user_id=str(event.payload["user_id"]),
            params={"ticket_id": str(event.payload["ticket_id"])},
        )
    )


# --- the registry -----------------------------------------------------------------------------

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", BOOKING_KINDS, notify_customer),
    Subscription("erasure_jobs", frozenset({ERASURE_STARTED}), start_erasure_job),
    Subscription("travel_notifications", TRAVEL_KINDS, notify_travel_customer),
    # business webhooks (issue #18, item 5): every booking event, outcomes included
    Subscription("webhooks", BOOKING_KINDS | OUTCOME_KINDS, deliver_webhooks),
    # wallet pushes (NOTE-4)
    Subscription("wallet_pushes", frozenset({"wallet.credited", "wallet.debited"}), notify_wallet_movement),
    # issue #18 (waitlist): opened slots are offered; offers are sent
    Subscription("waitlist", frozenset({BOOKING_CANCELLED, BOOKING_RESCHEDULED}), offer_to_waitlist),
    Subscription("waitlist_offers", frozenset({"waitlist.offered"}), notify_waitlist_offer),
    # tickets (NOTE-4): "ticket used"
    Subscription("ticket_used", frozenset({"ticket.used"}), notify_ticket_used),
    # support (docs/support.md): an operator's reply is told to the requester
    Subscription("support_replies", frozenset({"support.replied"}), notify_support_reply),
    # surveys (REV-3): a visit marked attended
    Subscription("surveys", frozenset({BOOKING_COMPLETED}), invite_to_survey),
    # issue #18 follow-up: new working hours (or a wider venue horizon) may open slots too
    Subscription("waitlist_schedule", frozenset({"catalog.schedule_changed"}), offer_to_waitlist),
)
