"""Support correspondence (RET-6): ticket statuses as a pure state machine, and the rules
around them. No I/O.

    open ──────────────► waiting_on_customer ──► open (the customer answered, or an operator)
      │ ▲                       │
      │ └── resolved ◄──────────┘
      ▼        │
    closed ◄───┘          (closed is final: the correspondence's 5-year keep window starts)

Operators move a ticket along ``TRANSITIONS``; a requester's message to a ticket waiting on
them reopens it (``after_requester_message``). Anything not listed is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib import errors


class TicketStatus(StrEnum):
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketCategory(StrEnum):
    """The fixed set a ticket is filed under."""

    BOOKING = "booking"
    PAYMENT = "payment"
    ACCOUNT = "account"
    PRIVACY = "privacy"
    COMPLAINT = "complaint"
    BUSINESS = "business"
    OTHER = "other"


TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.WAITING_ON_CUSTOMER: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}

SUBJECT_MAX = 200
MESSAGE_MAX = 5000
MAX_MESSAGES = 500  # per ticket: bounds the close (every message gets its deadline then)
MAX_ATTACHMENTS = 20  # per ticket
# What an attachment may be (the presigned POST's Content-Type condition enforces it).
ATTACHMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "text/plain"})
RECORDING_TYPES = frozenset({"audio/mpeg", "audio/ogg", "audio/wav", "audio/mp4"})


class InvalidTicketTransition(errors.Conflict):
    slug = "ticket-state"
    title = "The ticket cannot change that way in its current status"


class TicketClosed(errors.Conflict):
    slug = "ticket-closed"
    title = "The ticket is closed"


class TicketFull(errors.Conflict):
    slug = "ticket-full"
    title = "The ticket has reached its limit"


def transition(current: TicketStatus, target: TicketStatus) -> TicketStatus:
    """``target`` when ``TRANSITIONS`` lists it from ``current``; otherwise refused."""
    if target not in TRANSITIONS[current]:
        raise InvalidTicketTransition(f"A ticket that is {current.value} cannot become {target.value}")
    return target


def after_requester_message(current: TicketStatus) -> TicketStatus:
    """The requester wrote: a ticket waiting on them (or resolved) is open again; closed refuses."""
    if current is TicketStatus.CLOSED:
        raise TicketClosed("This ticket is closed; open a new one")
    if current in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED):
        return transition(current, TicketStatus.OPEN)
    return current


def first_response_due(opened_at: datetime, hours: int) -> datetime:
    """When operators owe the first answer (a service target, not a keep window)."""
    return opened_at + timedelta(hours=hours)
