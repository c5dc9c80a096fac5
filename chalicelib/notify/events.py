"""Domain events become notification messages: the producer API other areas call.

Booking changes do not call SQS themselves: the bookings service records a domain event in
the change's transaction (chalicelib/services/events.py), and the event relay runs the
notification subscriber (services/subscribers.py), which calls ``publish``. ``publish`` sends one SQS message;
creation and rescheduling also write the booking's reminder items (one BatchWriteItem),
which the reminder schedule picks up when they are due (chalicelib/schedules.py).
Notification ids are derived from the event, so a relay that runs twice sends a duplicate
the consumer recognises and delivers once.

Messages carry only what the recipient needs (SHARE-2): venue, service, specialist name,
time and zone; never the customer's own contact data (the consumer resolves the address).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.notify import producer
from chalicelib.notify.messages import Category, Channel, NotificationMessage

DEFAULT_REMINDER_OFFSETS_MINUTES: tuple[int, ...] = (24 * 60, 2 * 60)
# NOTE-5: a material policy change is announced at least this long before it applies.
POLICY_NOTICE_DAYS = 30
POLICY_NOTICE_CHANNELS = (Channel.EMAIL, Channel.TELEGRAM)


@dataclass(frozen=True)
class BookingEvent:
    """What a booking notification may say (SHARE-2: no customer contact data)."""

    booking_id: str
    business_id: str
    venue_id: str
    customer_user_id: str
    venue_name: str
    service_name: str
    specialist_name: str | None
    start: datetime  # timezone-aware; stored and sent as UTC
    timezone: str  # the venue's IANA zone: templates show local time there
    reminder_offsets_minutes: Sequence[int] = field(default=DEFAULT_REMINDER_OFFSETS_MINUTES)
    status: str = "confirmed"
    # "block": a specialist's personal block (no customer; subscribers that message the
    # customer skip it, as they skip a walk-in without an account: empty customer_user_id).
    booking_kind: str = "booking"
    # A multi-service visit's part (issue #18): every part's event names the visit; only the
    # visit's lead part (the first part the change touched) carries the visit's summary and
    # is told to the customer, so a visit is ONE message (and one set of reminders), while
    # webhooks and the waitlist still see every part.
    visit_id: str | None = None
    visit_lead: bool = False
    visit_services: str | None = None  # lead only: "Cut + Trim"
    visit_specialists: str | None = None  # lead only: "Anna, Ben" (each once, in order)

    def to_payload(self) -> dict[str, Any]:
        """The outbox item's JSON: plain values, the start in UTC."""
        values = asdict(self)
        values["start"] = self.start_utc().isoformat()
        values["reminder_offsets_minutes"] = list(self.reminder_offsets_minutes)
        return values

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> BookingEvent:
        values = dict(payload)
        values["start"] = datetime.fromisoformat(values["start"])
        values["reminder_offsets_minutes"] = tuple(values["reminder_offsets_minutes"])
        return cls(**values)

    def start_utc(self) -> datetime:
        if self.start.tzinfo is None:
            raise ValueError("BookingEvent.start must be timezone-aware")
        return self.start.astimezone(UTC)

    def params(self) -> dict[str, str]:
        values = {
            "booking_id": self.booking_id,
            "venue_name": self.venue_name,
            "service_name": self.service_name,
            "start": self.start_utc().isoformat(),
            "timezone": self.timezone,
        }
        if self.specialist_name:
            values["specialist_name"] = self.specialist_name
        if self.visit_id and self.visit_lead:
            # One message for the whole visit: the templates name every service (and person).
            values["visit_id"] = self.visit_id
            values["service_name"] = self.visit_services or self.service_name
            if self.visit_specialists:
                values["specialist_name"] = self.visit_specialists
        return values

    def told_to_customer(self) -> bool:
        """Whether this event is the customer's message: not a visit's non-lead part."""
        return not self.visit_id or self.visit_lead


def _booking_message(event: BookingEvent, kind: str, notification_id: str) -> NotificationMessage:
    return NotificationMessage(
        notification_id=notification_id,
        kind=kind,
        category=Category.BOOKING_UPDATES,
        user_id=event.customer_user_id,
        partner_id=event.business_id,
        params=event.params(),
    )


def _start_key(event: BookingEvent) -> str:
    return event.start_utc().strftime("%Y%m%dT%H%MZ")


# Outbox kinds, each with its event id (one event per booking state or start).
BOOKING_CREATED = "booking.created"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_RESCHEDULED = "booking.rescheduled"
BOOKING_KINDS = frozenset({BOOKING_CREATED, BOOKING_CONFIRMED, BOOKING_CANCELLED, BOOKING_RESCHEDULED})
# A visit's outcome, set by the business: recorded as domain events for their subscribers
# (review and survey invitations, business webhooks); the customer gets no booking message.
BOOKING_COMPLETED = "booking.completed"
BOOKING_NO_SHOW = "booking.no_show"
OUTCOME_KINDS = frozenset({BOOKING_COMPLETED, BOOKING_NO_SHOW})


def outbox_event_id(kind: str, event: BookingEvent) -> str:
    if kind == BOOKING_RESCHEDULED:
        return f"{event.booking_id}:rescheduled:{_start_key(event)}"
    if kind in (BOOKING_CREATED, BOOKING_CONFIRMED, BOOKING_CANCELLED, BOOKING_COMPLETED, BOOKING_NO_SHOW):
        return f"{event.booking_id}:{kind.removeprefix('booking.')}"
    raise ValueError(f"not an outbox kind: {kind}")


# Created and rescheduled plan the booking's reminders. A cancelled or moved booking's
# pending reminders need no clean-up: the schedule re-reads the booking before sending.
PLANS_REMINDERS = frozenset({BOOKING_CREATED, BOOKING_RESCHEDULED})


def publish(kind: str, event: BookingEvent, *, recorded_at: datetime, notification_id: str | None = None) -> None:
    """What the notification subscriber does with a booking event: one SQS message (id: the
    domain event's id, ``outbox_event_id``), plus one BatchWriteItem of reminders for
    created/rescheduled (``event.start`` is the new start). ``recorded_at`` (the commit time)
    decides which reminders are still ahead, as it did when this ran inside the request."""
    if kind not in BOOKING_KINDS:  # an outcome (completed, no-show) sends the customer nothing
        raise ValueError(f"not a customer notification kind: {kind}")
    message_id = notification_id or outbox_event_id(kind, event)
    producer.enqueue(_booking_message(event, kind, message_id))
    if kind in PLANS_REMINDERS:
        _schedule_reminders(event, recorded_at)


def _schedule_reminders(event: BookingEvent, now: datetime) -> None:
    from chalicelib.store import reminders

    reminders.schedule(
        booking_id=event.booking_id,
        business_id=event.business_id,
        customer_user_id=event.customer_user_id,
        start=event.start_utc(),
        offsets_minutes=event.reminder_offsets_minutes,
        params=event.params(),
        now=now,
    )


def reminder_message(
    *, booking_id: str, business_id: str, customer_user_id: str, offset_minutes: int, params: dict[str, str]
) -> NotificationMessage:
    """The reminder the schedule enqueues; its id names the booking, the start and the offset."""
    start_key = datetime.fromisoformat(params["start"]).astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return NotificationMessage(
        notification_id=f"{booking_id}:reminder:{start_key}:{offset_minutes}",
        kind="booking.reminder",
        category=Category.REMINDERS,
        user_id=customer_user_id,
        partner_id=business_id,
        params=params,
    )


def policy_change_notice(
    *, user_ids: Iterable[str], policy_version: str, effective_on: date, url: str, now: datetime
) -> int:
    """Announce a material policy change by e-mail and Telegram (NOTE-5).

    Refuses a change that takes effect less than 30 days from ``now``. It is an account
    notice (Category.ACCOUNT): preferences cannot mute it. Returns how many were queued;
    messages go out in SendMessageBatch calls of 10.
    """
    earliest = (now.astimezone(UTC) + timedelta(days=POLICY_NOTICE_DAYS)).date()
    if effective_on < earliest:
        raise errors.InvalidInput(
            [errors.FieldError("effective_on", f"must be on or after {earliest.isoformat()} (30 days' notice)")]
        )
    messages = [
        NotificationMessage(
            notification_id=f"policy:{policy_version}:{user_id}",
            kind="policy.change",
            category=Category.ACCOUNT,
            user_id=user_id,
            channels=list(POLICY_NOTICE_CHANNELS),
            params={"policy_version": policy_version, "effective_on": effective_on.isoformat(), "url": url},
        )
        for user_id in user_ids
    ]
    producer.enqueue_many(messages)
    return len(messages)
