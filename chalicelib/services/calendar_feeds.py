"""Calendar feeds (issue #18, item 4): subscribable ICS URLs for a specialist's or a venue's
bookings (staff) and for a customer's own bookings.

The token in the URL is the credential (no auth header, no cookie: calendar clients send
neither); only its SHA-256 is stored (store/calendar_feeds.py). A feed ends when it is
revoked or replaced, and, for staff, as soon as the member leaves the business or loses the
role it needs: membership is read on every fetch, never trusted from the grant.

What a business feed shows of a customer is their FIRST name only (no phone, e-mail or
notes): less than the calendar view (SHARE-1), because a subscribed calendar copies the
data onto devices and third-party calendar services. Each staff feed fetch that shows a
customer is an audited read (SEC-6), like the calendar view.

A feed lists the bookings of the next ``FEED_DAYS`` days (from ``FEED_LOOKBACK`` ago, so
today's earlier visits stay in the day view), at most ``FEED_MAX_BOOKINGS``; cancelled ones
are left out, so a subscribed client drops them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chalicelib import errors
from chalicelib.domain import ics
from chalicelib.domain.bookings import Booking, BookingStatus, card_for_business
from chalicelib.domain.identity import Principal, Role
from chalicelib.store import bookings as booking_store
from chalicelib.store import calendar_feeds as store

FEED_DAYS = 90
FEED_LOOKBACK = timedelta(hours=12)
FEED_MAX_BOOKINGS = 200
TOKEN_BYTES = 32  # 256 bits: unguessable; 43 URL-safe characters
VENUE_ROLES = frozenset({Role.OWNER, Role.MANAGER})
SPECIALIST_ROLES = frozenset(Role)
Scope = Literal["customer", "venue", "specialist"]
SCOPE_CUSTOMER: Scope = "customer"
SCOPE_VENUE: Scope = "venue"
SCOPE_SPECIALIST: Scope = "specialist"


@dataclass(frozen=True)
class IssuedFeed:
    """A new feed's token (shown once: only its hash is kept) and what it lists."""

    token: str
    scope: Scope
    venue_id: str | None = None
    specialist_id: str | None = None


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _issue(grant: store.Grant, target: str, now: datetime) -> str:
    """GetItem slot + TransactWriteItems (grant, slot, replaced grant); one retry on a race."""
    for attempt in range(2):
        token = _new_token()
        try:
            store.issue(grant, target, token, store.current_hash(grant.user_id, target), now)
            return token
        except store.FeedChanged:
            if attempt:
                raise errors.Conflict("This feed is being changed right now; try again") from None
    raise AssertionError("unreachable")


def _revoke(user_id: str, target: str) -> None:
    """GetItem slot + (TransactWriteItems slot and grant, when there is one); idempotent."""
    for _ in range(2):
        current = store.current_hash(user_id, target)
        if current is None:
            return
        try:
            store.revoke(user_id, target, current)
            return
        except store.FeedChanged:
            continue
    raise errors.Conflict("This feed is being changed right now; try again")


def _business_target(
    principal: Principal, business_id: str, venue_id: str, specialist_id: str | None
) -> tuple[store.Grant, str]:
    """Who may subscribe to what: a venue's feed needs an owner or manager; a specialist's
    feed any staff role, and a member with the specialist role only their own. Calls:
    GetItem membership (+ Query when not a member) + GetItem venue or specialist."""
    from chalicelib.services import authz
    from chalicelib.store import catalog

    if specialist_id is None:
        authz.require_staff(principal, business_id, VENUE_ROLES)
        catalog.get_venue(business_id, venue_id)  # NotFound for another tenant's venue
        grant = store.Grant(principal.user_id, SCOPE_VENUE, business_id, venue_id, None)
        return grant, store.venue_target(business_id, venue_id)
    role = authz.require_staff(principal, business_id, SPECIALIST_ROLES)
    specialist = catalog.get_specialist(business_id, venue_id, specialist_id)
    if role is Role.SPECIALIST and specialist.user_id != principal.user_id:
        raise errors.Forbidden("A specialist may subscribe to their own calendar only")
    grant = store.Grant(principal.user_id, SCOPE_SPECIALIST, business_id, venue_id, specialist_id)
    return grant, store.specialist_target(business_id, specialist_id)


def issue_business_feed(
    principal: Principal, business_id: str, venue_id: str, specialist_id: str | None, now: datetime
) -> IssuedFeed:
    """A new feed URL for a venue (``specialist_id`` None) or a specialist; replaces the
    caller's earlier one for the same target. Calls: as ``_business_target`` + GetItem slot
    + TransactWriteItems (grant, slot, replaced grant)."""
    grant, target = _business_target(principal, business_id, venue_id, specialist_id)
    scope = SCOPE_VENUE if specialist_id is None else SCOPE_SPECIALIST
    return IssuedFeed(_issue(grant, target, now), scope, venue_id, specialist_id)


def revoke_business_feed(principal: Principal, business_id: str, venue_id: str, specialist_id: str | None) -> None:
    """End the caller's feed for a venue or specialist (idempotent). Calls: GetItem
    membership (+ Query when not a member) + GetItem slot + [TransactWriteItems]. A member
    who may no longer issue one may still revoke their own."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, SPECIALIST_ROLES)
    if specialist_id is None:
        target = store.venue_target(business_id, venue_id)
    else:
        target = store.specialist_target(business_id, specialist_id)
    _revoke(principal.user_id, target)


def issue_my_feed(principal: Principal, now: datetime) -> IssuedFeed:
    """A new feed URL of the caller's own bookings. Calls: GetItem slot + TransactWriteItems."""
    grant = store.Grant(principal.user_id, SCOPE_CUSTOMER, None, None, None)
    return IssuedFeed(_issue(grant, store.ME, now), SCOPE_CUSTOMER)


def revoke_my_feed(principal: Principal) -> None:
    """Calls: GetItem slot + [TransactWriteItems]."""
    _revoke(principal.user_id, store.ME)


# --- the public read ---------------------------------------------------------------------------


def _still_allowed(grant: store.Grant) -> bool:
    """The grant's holder still holds a role that may read it: one GetItem membership
    (consistent), one GetItem specialist for a member with the specialist role."""
    from chalicelib.store import catalog, memberships

    if grant.business_id is None or grant.venue_id is None:
        return False
    role = memberships.get_role(grant.business_id, grant.user_id)
    if role is None:
        return False
    if grant.scope == SCOPE_VENUE:
        return role in VENUE_ROLES
    if role is Role.SPECIALIST and grant.specialist_id is not None:
        try:
            specialist = catalog.get_specialist(grant.business_id, grant.venue_id, grant.specialist_id)
        except errors.NotFound:
            return False
        return specialist.user_id == grant.user_id
    return role in SPECIALIST_ROLES


def _upcoming(index: str, partition: str, now: datetime) -> list[Booking]:
    """One Query on a booking index over [now - lookback, now + FEED_DAYS], bounded."""
    lower = booking_store.sort_bound(now - FEED_LOOKBACK)
    upper = booking_store.sort_bound(now + timedelta(days=FEED_DAYS))
    found, _ = booking_store.query_bookings(
        index, partition, lower=lower, upper=upper, limit=FEED_MAX_BOOKINGS, now=now
    )
    return [b for b in found if b.status is not BookingStatus.CANCELLED]


def read_feed(token: str, now: datetime) -> str:
    """The feed's iCalendar text, or NotFound (unknown, revoked, replaced, or its holder left).

    Calls: GetItem grant; customer: + one GSI1 Query. Staff: + GetItem membership
    [+ GetItem specialist] + one GSI2 (venue) or GSI3 (specialist) Query; when it lists any
    booking, + BatchGetItem customer cards + PutItem audit (read)."""
    grant = store.find(token)
    if grant is None:
        raise errors.NotFound("No such feed")
    if grant.scope == SCOPE_CUSTOMER:
        found = _upcoming("GSI1", booking_store.customer_index_key(grant.user_id), now)
        entries = [
            ics.FeedEntry(
                b,
                summary=f"{b.service_name} at {b.venue_name}",
                description=f"Specialist: {b.specialist_name}" if b.specialist_name else "",
                location=b.venue_address,
            )
            for b in found
        ]
        return ics.feed_calendar("My bookings", entries, now)
    if not _still_allowed(grant) or grant.business_id is None:
        raise errors.NotFound("No such feed")  # a former member's URL is simply gone
    business_id = grant.business_id
    if grant.scope == SCOPE_SPECIALIST and grant.specialist_id is not None:
        found = _upcoming("GSI3", booking_store.specialist_index_key(business_id, grant.specialist_id), now)
        found = [b for b in found if b.venue_id == grant.venue_id]
    else:
        found = _upcoming("GSI2", booking_store.venue_index_key(business_id, str(grant.venue_id)), now)
    return ics.feed_calendar(_feed_name(found), _staff_entries(grant, found, now), now)


def _feed_name(found: list[Booking]) -> str:
    return f"Bookings: {found[0].venue_name}" if found else "Bookings"


def _staff_entries(grant: store.Grant, found: list[Booking], now: datetime) -> list[ics.FeedEntry]:
    from chalicelib.store import users

    if not found:
        return []
    cards = users.customer_cards(b.customer_user_id for b in found)
    entries: list[ics.FeedEntry] = []
    for b in found:
        card = card_for_business(cards.get(b.customer_user_id), b, now)
        first = ics.first_name(card.name) if card else ""
        summary = f"{b.service_name}: {first}" if first else b.service_name
        specialist = f"Specialist: {b.specialist_name}" if b.specialist_name else ""
        entries.append(ics.FeedEntry(b, summary=summary, description=specialist))
    _audit_feed_read(grant, len(found), now)
    return entries


def _audit_feed_read(grant: store.Grant, count: int, now: datetime) -> None:
    """A staff feed fetch shows customers' first names: an audited read (SEC-6, one PutItem)."""
    from chalicelib.privacy import audit

    audit.record_read(
        tenant=str(grant.business_id),
        actor=grant.user_id,
        action="booking.feed_read",
        entity=grant.scope,
        entity_id=str(grant.specialist_id or grant.venue_id),
        at=now,
        summary={"bookings": str(count)},
    )
