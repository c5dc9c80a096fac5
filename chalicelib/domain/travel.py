"""Travel-service requests (TRV-1): the request's values and its state machine. Pure.

A customer files a request with a travel business; staff of that business review it, reply,
quote and move it on; the customer may cancel their own while it is open. ``transition`` is
the one place a status change is allowed or refused: every pair of statuses not listed in
``TRANSITIONS`` (for the acting side) is refused (tests/unit/travel/test_state_machine.py
walks every pair).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from chalicelib import errors


class ServiceType(StrEnum):
    TOUR = "tour"
    FLIGHT_TICKETS = "flight_tickets"
    HOTEL = "hotel"
    VISA_SUPPORT = "visa_support"
    TRANSFER = "transfer"


class RequestStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    QUOTED = "quoted"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Side(StrEnum):
    """Who acts: the request's customer or the business's staff."""

    CUSTOMER = "customer"
    STAFF = "staff"


class DocumentKind(StrEnum):
    PASSPORT_SCAN = "passport_scan"
    VISA_FORM = "visa_form"
    TICKET = "ticket"
    OTHER = "other"


S = RequestStatus
# (from, to) -> who may make that move. Anything else is refused.
TRANSITIONS: dict[tuple[RequestStatus, RequestStatus], frozenset[Side]] = {
    (S.NEW, S.IN_REVIEW): frozenset({Side.STAFF}),
    (S.NEW, S.QUOTED): frozenset({Side.STAFF}),  # a quote straight away
    (S.IN_REVIEW, S.QUOTED): frozenset({Side.STAFF}),
    (S.QUOTED, S.IN_REVIEW): frozenset({Side.STAFF}),  # back to work on a new offer
    (S.QUOTED, S.CONFIRMED): frozenset({Side.CUSTOMER}),  # only by accepting a quote
    (S.CONFIRMED, S.COMPLETED): frozenset({Side.STAFF}),
    (S.NEW, S.CANCELLED): frozenset({Side.CUSTOMER, Side.STAFF}),
    (S.IN_REVIEW, S.CANCELLED): frozenset({Side.CUSTOMER, Side.STAFF}),
    (S.QUOTED, S.CANCELLED): frozenset({Side.CUSTOMER, Side.STAFF}),
    (S.CONFIRMED, S.CANCELLED): frozenset({Side.CUSTOMER, Side.STAFF}),
}
OPEN: frozenset[RequestStatus] = frozenset({S.NEW, S.IN_REVIEW, S.QUOTED, S.CONFIRMED})
CLOSED: frozenset[RequestStatus] = frozenset({S.COMPLETED, S.CANCELLED})
# Staff may quote while the request is being worked on (a second quote replaces the offer).
QUOTABLE: frozenset[RequestStatus] = frozenset({S.NEW, S.IN_REVIEW, S.QUOTED})

# Bounds of what a customer files (the API states them too).
MAX_TRAVELLERS = 20
DESTINATION_MAX_CHARS = 120
NOTES_MAX_CHARS = 2000
MESSAGE_MAX_CHARS = 2000
MAX_MESSAGES = 200  # per request: a thread, not a chat log
MAX_DOCUMENTS = 20  # per request: closing stamps them all in one transaction
FILENAME_MAX_CHARS = 120
MAX_QUOTE_LINES = 20
# Document types a presigned upload may carry (the policy pins the one declared).
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class InvalidTransition(errors.Conflict):
    slug = "invalid-transition"
    title = "This status change is not allowed"


def transition(current: RequestStatus, target: RequestStatus, side: Side) -> RequestStatus:
    """``target`` if ``side`` may move a request from ``current`` to it; else InvalidTransition."""
    allowed = TRANSITIONS.get((current, target))
    if allowed is None or side not in allowed:
        raise InvalidTransition(f"A request that is {current.value} cannot become {target.value} by {side.value}")
    return target


@dataclass(frozen=True)
class TravelRequest:
    request_id: str
    business_id: str
    customer_user_id: str
    service_type: ServiceType
    destination: str
    start_date: date
    end_date: date
    travellers: int
    notes: str | None
    status: RequestStatus
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime
    version: int = 1
    assignee_user_id: str | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_by: Side | None = None
    latest_quote_id: str | None = None
    accepted_quote_id: str | None = None
    documents: int = 0  # registered documents (bounded by MAX_DOCUMENTS)
    messages: int = 0
    request_hash: str | None = None  # filed with an Idempotency-Key: the request it is bound to
    # Messages posted with an Idempotency-Key: their (key-derived) id -> sent instant, so a
    # retry finds its message (one GetItem). Bounded by MAX_MESSAGES.
    message_keys: Mapping[str, datetime] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def check_dates(start: date, end: date, today: date, horizon_days: int) -> list[errors.FieldError]:
    """A trip from today to the horizon, ending on or after it starts."""
    problems = []
    latest = today + timedelta(days=horizon_days)
    if start < today or start > latest:
        problems.append(errors.FieldError("start_date", f"must be from {today} to {latest}"))
    if end < start or end > latest:
        problems.append(errors.FieldError("end_date", f"must be from start_date to {latest}"))
    return problems


def first_response_due(created_at: datetime, hours: int) -> datetime:
    """When staff should first answer (a service level, shown to staff; not enforced)."""
    return created_at + timedelta(hours=hours)
