"""Service-quality surveys (REV-3): the invitation, the answer (signed link or signed in) and
the operators' per-venue aggregates.

Every answer is one TransactWriteItems: the answer, conditional on the booking having none,
plus the venue's counters (store/surveys.py), so a second answer (a reused link, a second
POST) is refused with 409 and the counters stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain import surveys as rules
from chalicelib.domain.bookings import Booking
from chalicelib.domain.identity import Principal
from chalicelib.store import bookings as booking_store
from chalicelib.store import db
from chalicelib.store import surveys as store

VIA_LINK = "link"
VIA_APP = "app"


@dataclass(frozen=True)
class AnswerView:
    booking_id: str
    venue_id: str
    answer: rules.Answer
    via: str
    answered_at: datetime


@dataclass(frozen=True)
class LinkView:
    booking_id: str
    venue_name: str
    service_name: str
    start: datetime
    timezone: str
    expires_at: datetime
    answered: bool


def invite(event_id: str, payload: dict[str, Any], recorded_at: datetime) -> None:
    """The ``booking.completed`` subscriber: one invitation (SQS message id from the event
    id: idempotent). Calls: SendMessage."""
    from chalicelib.notify import surveys as links

    links.invite(
        event_id=event_id,
        booking_id=str(payload["booking_id"]),
        business_id=str(payload["business_id"]),
        customer_user_id=str(payload["customer_user_id"]),
        venue_name=str(payload.get("venue_name", "")),
        service_name=str(payload.get("service_name", "")),
        recorded_at=recorded_at,
    )


def _record(booking: Booking, user_id: str, answer: rules.Answer, via: str, now: datetime) -> AnswerView:
    rules.require_surveyable(booking)
    tx = db.Transaction()
    store.add_answer(
        tx,
        booking_id=booking.booking_id,
        business_id=booking.business_id,
        venue_id=booking.venue_id,
        user_id=user_id,
        answer=answer,
        via=via,
        now=now,
    )
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if store.ANSWER_ROLE in cancelled.failed:
            if via == VIA_LINK:
                raise rules.LinkUsed("This link has been used: the booking's survey is answered") from None
            raise rules.AlreadyAnswered("This booking's survey has already been answered") from None
        raise errors.Conflict("The survey changed meanwhile; try again") from None
    return AnswerView(booking.booking_id, booking.venue_id, answer, via, now)


def answer_as_customer(principal: Principal, booking_id: str, answer: rules.Answer, now: datetime) -> AnswerView:
    """Signed in: the caller's own attended booking. Calls: GetItem booking + TransactWriteItems
    (answer + counters)."""
    rules.check_answer(answer)
    booking = booking_store.get_booking(booking_id)
    if booking is None or booking.customer_user_id != principal.user_id:
        raise errors.NotFound("No such booking")
    return _record(booking, principal.user_id, answer, VIA_APP, now)


def _link(token: str, now: datetime) -> tuple[Any, Booking]:
    from chalicelib.notify import surveys as links

    try:
        link = links.read_token(token)
    except links.InvalidToken:
        raise errors.InvalidInput([errors.FieldError("token", "not a valid survey link")]) from None
    if link.expired(now):
        raise rules.LinkExpired(f"This survey link expired at {link.expires_at.isoformat()}")
    booking = booking_store.get_booking(link.booking_id)
    if booking is None or booking.customer_user_id != link.user_id:  # gone, or erased and anonymised
        raise errors.InvalidInput([errors.FieldError("token", "this survey link no longer applies")])
    return link, booking


def preview_link(token: str, now: datetime) -> LinkView:
    """What the link is about (changes nothing). Calls: GetItem booking + GetItem answer."""
    link, booking = _link(token, now)
    return LinkView(
        booking_id=booking.booking_id,
        venue_name=booking.venue_name,
        service_name=booking.service_name,
        start=booking.start,
        timezone=booking.timezone,
        expires_at=link.expires_at,
        answered=store.get_answer(booking.booking_id) is not None,
    )


def answer_by_link(token: str, answer: rules.Answer, now: datetime) -> AnswerView:
    """No sign-in: the signed link names the booking and its customer. Works once: a used link
    is a 409 (``survey-link-used``), an expired one 410, a forged one 422 naming the token.
    Calls: GetItem booking + TransactWriteItems (answer + counters)."""
    rules.check_answer(answer)
    link, booking = _link(token, now)
    return _record(booking, link.user_id, answer, VIA_LINK, now)


def get_mine(principal: Principal, booking_id: str) -> AnswerView:
    """Calls: GetItem answer."""
    found = store.get_answer(booking_id)
    if found is None or found.user_id != principal.user_id:
        raise errors.NotFound("No survey answer for this booking")
    return AnswerView(found.booking_id, found.venue_id, found.answer, found.via, found.answered_at)


def operator_totals(
    principal: Principal, venue_id: str | None, limit: int, after: dict[str, Any] | None
) -> tuple[list[rules.VenueTotals], dict[str, Any] | None]:
    """Operators only. One venue: one Query of its counters. All venues: one GSI1 Query for a
    page of venues, then one Query of counters per venue on the page (no Scan, no recount)."""
    from chalicelib.services import authz

    authz.require_operator(principal)
    if venue_id is not None:
        one = store.venue_totals(venue_id)
        return ([one] if one is not None else []), None
    venue_ids, last = store.venues_page(limit, after)
    found = [store.venue_totals(v) for v in venue_ids]
    return [t for t in found if t is not None], last
