"""What a business offers: venues, services, specialists and their working plans.

Plain frozen dataclasses shared by the catalog store, the availability rules and bookings.
Local wall-clock times (``time``) are in the venue's IANA zone; instants are UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

# A service's specialists are checked in the transaction that stores it (one ConditionCheck
# each, beside the venue check and the service itself: DynamoDB's limit is 100 items).
MAX_NAMED_SPECIALISTS = 98
MAX_SERVICE_MINUTES = 12 * 60  # the longest a service (so a booking) may last


@dataclass(frozen=True)
class Venue:
    business_id: str
    venue_id: str
    name: str
    address: str
    city: str
    timezone: str  # IANA name, resolved with the pinned tzdata package
    latitude: float | None = None
    longitude: float | None = None
    categories: tuple[str, ...] = ()
    slot_interval_minutes: int = 15
    min_notice_minutes: int = 60
    horizon_days: int = 60
    cancellation_notice_minutes: int = 24 * 60
    reminder_offsets_minutes: tuple[int, ...] = (24 * 60, 120)
    revision: int = 0  # optimistic concurrency: bumped by every stored change


@dataclass(frozen=True)
class Service:
    business_id: str
    venue_id: str
    service_id: str
    name: str
    duration_minutes: int
    price_minor: int  # in the currency's minor unit (cents)
    currency: str  # ISO 4217
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    specialist_ids: tuple[str, ...] = ()  # empty = every specialist of the venue
    revision: int = 0


@dataclass(frozen=True)
class TimeRange:
    """A local wall-clock interval within one day, start < end."""

    start: time
    end: time


@dataclass(frozen=True)
class WorkingPlan:
    """Weekly hours: weekday (0 = Monday) -> working intervals, minus breaks."""

    hours: dict[int, tuple[TimeRange, ...]] = field(default_factory=dict)
    breaks: dict[int, tuple[TimeRange, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DateException:
    """A specific date's hours replacing the weekly plan; empty ``hours`` = day off."""

    day: date
    hours: tuple[TimeRange, ...] = ()


@dataclass(frozen=True)
class TimeOff:
    start: datetime  # UTC
    end: datetime  # UTC


@dataclass(frozen=True)
class Specialist:
    business_id: str
    venue_id: str
    specialist_id: str
    name: str
    plan: WorkingPlan = field(default_factory=WorkingPlan)
    exceptions: tuple[DateException, ...] = ()
    time_off: tuple[TimeOff, ...] = ()
    user_id: str | None = None  # the staff account behind this specialist, if any
    revision: int = 0


@dataclass(frozen=True)
class PaymentDetails:
    """Where the business is paid (DATA-6). Personal for sole traders: owners only."""

    account_holder: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True)
class Business:
    """A tenant (DATA-6): name, address, tax number, payment details."""

    business_id: str
    name: str
    address: str = ""
    tax_number: str | None = None
    payment_details: PaymentDetails | None = None
    revision: int = 0
