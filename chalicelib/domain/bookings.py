"""Bookings: states, who may move a booking where, prices with discount codes, day locks.

Pure rules: no AWS, no clock (``now`` is passed in). Instants are timezone-aware UTC.
The store enforces the no-overlap invariant with conditional transactions; the helpers
here only describe what a booking occupies and which transitions are allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from chalicelib import errors

NOTES_MAX_CHARS = 500  # DATA-3: notes to the venue are length-limited free text
IDEMPOTENCY_KEY_MAX_CHARS = 255

# IDEMPOTENCY_WINDOW: a retry with the same key within it returns the same booking, and the
# record is kept exactly that long: the manifest's "idempotency" retention rule (24 hours).
# Read on first use, so importing the domain (app.py does) parses no TOML.
if TYPE_CHECKING:
    IDEMPOTENCY_WINDOW: timedelta
else:

    def __getattr__(name: str) -> timedelta:
        if name == "IDEMPOTENCY_WINDOW":
            from chalicelib.retention_rules import window

            globals()[name] = value = window("idempotency")
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Interval = tuple[datetime, datetime]
BookingKind = Literal["booking", "block"]
BLOCK_MAX = timedelta(hours=24)  # a personal block spans at most a day (two day locks at most)


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


LIVE_STATUSES: frozenset[BookingStatus] = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})


class Actor(StrEnum):
    CUSTOMER = "customer"
    BUSINESS = "business"


# --- errors: each a distinct problem type, so clients can tell them apart ------------------


class SlotTaken(errors.Conflict):
    slug = "slot-taken"
    title = "The time is no longer free"


class SlotBusy(errors.Conflict):
    """Too many concurrent writers on one specialist-day; the client may simply retry."""

    slug = "slot-contended"
    title = "The calendar changed while booking; try again"


class InvalidTransition(errors.Conflict):
    slug = "booking-state"
    title = "The booking cannot change that way in its current state"


class CancellationWindowClosed(errors.Conflict):
    slug = "cancellation-notice"
    title = "Too late to change this booking online"


class DiscountUnavailable(errors.Conflict):
    slug = "discount-unavailable"
    title = "The discount code cannot be used"


class IdempotencyKeyReused(errors.InvalidInput):
    slug = "idempotency-key-reused"
    title = "The Idempotency-Key was used with a different request"

    def __init__(self) -> None:
        super().__init__(
            [errors.FieldError("idempotency_key", "already used with a different request body")],
        )


# --- the booking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    booking_id: str
    business_id: str
    venue_id: str
    specialist_id: str
    service_id: str
    customer_user_id: str
    status: BookingStatus
    start: datetime  # UTC, the service itself
    end: datetime  # UTC
    occupied_start: datetime  # UTC, start minus buffer before
    occupied_end: datetime  # UTC, end plus buffer after
    timezone: str  # the venue's IANA zone (display, calendar export)
    created_at: datetime
    updated_at: datetime
    version: int = 1
    specialist_requested: bool = False  # DATA-3: did the customer choose the specialist?
    notes: str | None = None
    discount_code: str | None = None
    price_minor: int = 0
    discount_minor: int = 0
    currency: str = "EUR"
    # Snapshots of what was booked (shown in the calendar file and notifications without
    # re-reading the catalog; a renamed service does not rewrite history).
    venue_name: str = ""
    venue_address: str = ""
    service_name: str = ""
    specialist_name: str = ""
    cancelled_by: Actor | None = None
    # Staff-made (issue #18): "block" = a specialist's personal block (no customer, no
    # service); ``business_customer_id`` = the customer record the business entered.
    kind: BookingKind = "booking"
    business_customer_id: str | None = None
    visit_id: str | None = None  # a part of a multi-service visit (the parts share it)

    @property
    def staff_made(self) -> bool:
        """Made by the business (walk-in, phone call, block): its card is the business's own record."""
        return self.kind == "block" or self.business_customer_id is not None

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def total_minor(self) -> int:
        return max(0, self.price_minor - self.discount_minor)

    @property
    def occupied(self) -> Interval:
        return (self.occupied_start, self.occupied_end)


def lock_days(occupied: Interval) -> list[date]:
    """UTC dates whose specialist-day lock must record an occupied interval.

    An interval is recorded in every UTC day it intersects, so two overlapping intervals
    always share at least one lock item (the day of any common instant)."""
    start, end = occupied
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    days = []
    day = first
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open intervals: a booking ending at 10:00 does not overlap one starting at 10:00."""
    return a[0] < b[1] and b[0] < a[1]


def first_overlap(candidate: Interval, occupied: Mapping[str, Interval], ignore: str | None = None) -> str | None:
    """The id of an occupied interval that overlaps ``candidate`` (``ignore`` = the booking
    being moved), or None."""
    for booking_id, interval in occupied.items():
        if booking_id != ignore and overlaps(candidate, interval):
            return booking_id
    return None


@dataclass(frozen=True)
class CustomerCard:
    """What a business may know about the customer of its booking (SHARE-1): name and phone.

    Read from the account when a staff view is built, never copied onto the booking, so a
    correction (RIGHT-3) shows at once; see ``card_for_business`` for closed accounts."""

    name: str
    phone: str | None = None  # E.164
    account_open: bool = True


def card_for_business(card: CustomerCard | None, booking: Booking, now: datetime) -> CustomerCard | None:
    """The card a business sees on ``booking``. A closed account (RIGHT-4) keeps its name and
    phone only so the business can act on bookings that were still to happen (RET-2: kept up
    to 30 days, then the retention sweep removes them); its other bookings show no card."""
    if card is None or (not card.account_open and not (booking.live and booking.end > now)):
        return None
    return card


# --- transitions --------------------------------------------------------------------------------

_BUSINESS_TARGETS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.CONFIRMED: frozenset({BookingStatus.PENDING}),
    BookingStatus.CANCELLED: LIVE_STATUSES,
    BookingStatus.COMPLETED: LIVE_STATUSES,
    BookingStatus.NO_SHOW: LIVE_STATUSES,
}


def transition(booking: Booking, target: BookingStatus, actor: Actor, now: datetime, notice: timedelta) -> Booking:
    """The booking after ``actor`` moves it to ``target`` at ``now``, or a domain error.

    Customers may only cancel, and only until ``notice`` before the start. The business
    confirms pending bookings, cancels live ones at any time, and marks a live booking
    attended (completed) or no-show once it has started."""
    if actor is Actor.CUSTOMER:
        if target is not BookingStatus.CANCELLED:
            raise errors.Forbidden("Customers can only cancel their bookings")
        allowed_from: frozenset[BookingStatus] = LIVE_STATUSES
    else:
        allowed_from = _BUSINESS_TARGETS.get(target, frozenset())
    if booking.kind == "block" and target is not BookingStatus.CANCELLED:
        raise InvalidTransition("A block can only be cancelled")
    if booking.status not in allowed_from:
        raise InvalidTransition(f"A {booking.status.value} booking cannot become {target.value}")
    if actor is Actor.CUSTOMER:
        ensure_customer_may_change(booking, now, notice)
    if target in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW) and now < booking.start:
        raise InvalidTransition("Attendance can be recorded once the booking has started")
    return replace(
        booking,
        status=target,
        updated_at=now,
        version=booking.version + 1,
        cancelled_by=actor if target is BookingStatus.CANCELLED else booking.cancelled_by,
    )


def ensure_customer_may_change(booking: Booking, now: datetime, notice: timedelta) -> None:
    if now > booking.start - notice:
        hours = notice.total_seconds() / 3600
        raise CancellationWindowClosed(
            f"Changes online are possible until {hours:g} h before the start; contact the venue"
        )


def moved(booking: Booking, start: datetime, occupied: Interval, duration: timedelta, now: datetime) -> Booking:
    """The booking at a new start (same service, same specialist)."""
    return replace(
        booking,
        start=start,
        end=start + duration,
        occupied_start=occupied[0],
        occupied_end=occupied[1],
        updated_at=now,
        version=booking.version + 1,
    )


# --- discount codes -------------------------------------------------------------------------


class DiscountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True)
class DiscountCode:
    business_id: str
    code: str  # normalised: upper case
    kind: DiscountKind
    value: int  # percent (1..100) or an amount in minor units
    valid_from: datetime
    valid_until: datetime  # exclusive
    created_at: datetime
    currency: str | None = None  # fixed amounts only
    max_uses: int | None = None  # None = unlimited
    uses: int = 0
    active: bool = True


def normalise_code(code: str) -> str:
    return code.strip().upper()


def discount_amount(code: DiscountCode, price_minor: int, currency: str, now: datetime) -> int:
    """What the code takes off ``price_minor`` at ``now``; raises when it cannot be used.

    The usage limit is checked here for a clear message, and enforced atomically by the
    store (a conditional increment inside the booking transaction)."""
    if not code.active or not (code.valid_from <= now < code.valid_until):
        raise DiscountUnavailable("The discount code is not valid now")
    if code.max_uses is not None and code.uses >= code.max_uses:
        raise DiscountUnavailable("The discount code has been used up")
    if code.kind is DiscountKind.PERCENT:
        return min(price_minor, price_minor * code.value // 100)
    if code.currency != currency:
        raise DiscountUnavailable("The discount code is for another currency")
    return min(price_minor, code.value)


# --- choosing a specialist for "any" ----------------------------------------------------------------


def pick_specialist(candidates: Iterable[str], load: Mapping[str, int]) -> str | None:
    """The free candidate with the fewest live bookings that day (ties: the smallest id),
    spreading work across the team."""
    ordered = sorted(candidates, key=lambda spec: (load.get(spec, 0), spec))
    return ordered[0] if ordered else None
