"""Booking use cases: create, read, cancel, confirm, attendance, reschedule, lists, calendar file.

Business-side answers carry the customer's card (name and phone, SHARE-1), read from the
account at view time: never stored on the booking, so corrections and erasure show at once.

Every write is one conditional transaction in the store (no read-then-write races: the
store conditions on the versions these functions read). A change the customer is told about
records a domain event in that same transaction (services/events.py); its subscribers (the
notification, NOTE-1) run after the commit. Its audit record (SEC-6, pseudonymous ids only)
is one more put in that same transaction: no extra DynamoDB call, and no change without its
record. An audited staff read writes its record alone (one PutItem).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.domain import availability
from chalicelib.domain.bookings import (
    NOTES_MAX_CHARS,
    Actor,
    Booking,
    BookingStatus,
    CustomerCard,
    DiscountCode,
    DiscountUnavailable,
    IdempotencyKeyReused,
    Interval,
    InvalidTransition,
    SlotBusy,
    SlotTaken,
    card_for_business,
    discount_amount,
    ensure_customer_may_change,
    first_overlap,
    lock_days,
    moved,
    normalise_code,
    pick_specialist,
    transition,
)
from chalicelib.domain.catalog import Service, Specialist, Venue
from chalicelib.domain.idempotency import check_key as _check_idempotency_key
from chalicelib.domain.idempotency import fingerprint as _fingerprint
from chalicelib.domain.identity import Principal, Role
from chalicelib.store import bookings as store
from chalicelib.store import codec, db

# Optimistic concurrency: a writer that lost a race re-reads and re-checks. Each failed
# attempt means another writer committed, so a handful suffices under real contention.
MAX_ATTEMPTS = 6
STAFF_ROLES: frozenset[Role] = frozenset(Role)


@dataclass(frozen=True)
class NewBooking:
    venue_id: str
    service_id: str
    start: datetime
    specialist_id: str | None = None  # None = any free specialist
    notes: str | None = None
    discount_code: str | None = None
    waitlist_entry_id: str | None = None  # takes the slot a waitlist offer holds for the caller

    def fingerprint(self) -> str:
        """What an Idempotency-Key is bound to: a retry must send the same request."""
        return _fingerprint(
            {
                "venue_id": self.venue_id,
                "service_id": self.service_id,
                "start": codec.encode(self.start),
                "specialist_id": self.specialist_id,
                "notes": self.notes,
                "discount_code": normalise_code(self.discount_code) if self.discount_code else None,
                **({"waitlist_entry_id": self.waitlist_entry_id} if self.waitlist_entry_id else {}),
            }
        )


@dataclass(frozen=True)
class Created:
    booking: Booking
    replayed: bool  # True when an Idempotency-Key retry returned the earlier booking


@dataclass(frozen=True)
class Changed:
    """A change to an existing booking (cancel, reschedule) as its customer made it."""

    booking: Booking
    replayed: bool = False  # True when an Idempotency-Key retry returned the booking as it is now


@dataclass(frozen=True)
class Page:
    bookings: list[Booking]
    last_key: dict[str, Any] | None
    # Business calendar only: booking id -> the customer's card as the business sees it
    # (domain.card_for_business). Empty for the customer's own list.
    customers: Mapping[str, CustomerCard] = field(default_factory=dict)


@dataclass(frozen=True)
class StaffView:
    """A booking as its business sees it: with the customer's card (domain.card_for_business)."""

    booking: Booking
    customer: CustomerCard | None
    replayed: bool = False  # True when an Idempotency-Key retry returned the booking as it is now


def _staff_view(changed: Booking | Changed, now: datetime) -> StaffView:
    """One GetItem (the customer's account, projected to name and phone)."""
    from chalicelib.store import users

    found = changed if isinstance(changed, Changed) else Changed(changed)
    if found.booking.staff_made:  # the business's own record, never the account (issue #18)
        return StaffView(
            found.booking, _business_cards([found.booking], now).get(found.booking.booking_id), found.replayed
        )
    card = card_for_business(users.customer_card(found.booking.customer_user_id), found.booking, now)
    return StaffView(found.booking, card, found.replayed)


def _business_cards(found: Sequence[Booking], now: datetime) -> dict[str, CustomerCard]:
    """Cards of staff-made bookings from the business's own customer records: one BatchGetItem
    (no call when none of ``found`` names one). A block, or an erased record, has no card."""
    from chalicelib.store import business_customers

    named = [b for b in found if b.business_customer_id]
    if not named:
        return {}
    records = business_customers.get_many(named[0].business_id, [b.business_customer_id or "" for b in named], now)
    return {
        b.booking_id: CustomerCard(name=record.name, phone=record.phone)
        for b in named
        if (record := records.get(b.business_customer_id or ""))
    }


# --- create ------------------------------------------------------------------------------------


def create_booking(principal: Principal, request: NewBooking, idempotency_key: str | None, now: datetime) -> Created:
    """Calls: [GetItem idempotency] + Query venue + Query venue catalog + BatchGetItem locks
    (+ discount) + TransactWriteItems (booking, locks, event, audit); a lost race repeats the
    last two."""
    from chalicelib.store import catalog

    if idempotency_key is not None:
        _check_idempotency_key(idempotency_key)
        replay = _replay(principal, idempotency_key, request)
        if replay is not None:
            return replay
    if request.notes is not None and len(request.notes) > NOTES_MAX_CHARS:
        raise errors.InvalidInput([errors.FieldError("notes", f"at most {NOTES_MAX_CHARS} characters")])
    if request.start.tzinfo is None:
        raise errors.InvalidInput([errors.FieldError("start", "needs a UTC offset")])

    venue = catalog.find_venue(request.venue_id)
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    service = next((s for s in services if s.service_id == request.service_id), None)
    if service is None:
        raise errors.InvalidInput([errors.FieldError("service_id", "no such service at this venue")])
    start = request.start.astimezone(UTC)
    requested, hold = request.specialist_id, None
    if request.waitlist_entry_id is not None:  # the slot held for this caller (services/waitlist.py)
        offer = _held_offer(principal, request, venue, service, start, now)
        requested, hold = offer.offer_specialist_id, offer.offer_hold
    candidates = _candidates(service, specialists, requested)
    occupied = availability.occupied_interval(service, start)
    days = lock_days(occupied)
    code = normalise_code(request.discount_code) if request.discount_code else None
    booking_id = uuid.uuid4().hex
    fingerprint = request.fingerprint()

    for attempt in range(MAX_ATTEMPTS):
        locks, discount = store.read_locks_and_discount(
            venue.business_id, {spec.specialist_id: days for spec in candidates}, code, now
        )
        discount_minor = 0
        if code is not None:
            discount_minor = _discount(discount, service, now)
        try:
            chosen = _choose(venue, service, candidates, locks, days, start, now, requested=requested, moving=hold)
        except SlotTaken:
            # The interval in the way may be this very request, committed by a concurrent
            # retry with the same key after our first look: answer with that booking.
            replay = _replay(principal, idempotency_key, request) if idempotency_key is not None else None
            if replay is not None:
                return replay
            raise
        booking = Booking(
            booking_id=booking_id,
            business_id=venue.business_id,
            venue_id=venue.venue_id,
            specialist_id=chosen.specialist_id,
            specialist_requested=request.specialist_id is not None,
            service_id=service.service_id,
            customer_user_id=principal.user_id,
            status=BookingStatus.PENDING,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            occupied_start=occupied[0],
            occupied_end=occupied[1],
            timezone=venue.timezone,
            created_at=now,
            updated_at=now,
            notes=request.notes or None,
            discount_code=code,
            price_minor=service.price_minor,
            discount_minor=discount_minor,
            currency=service.currency,
            venue_name=venue.name,
            venue_address=venue.address,
            service_name=service.name,
            specialist_name=chosen.name,
        )
        tx = _with_event("booking.created", booking, venue, now)
        _audit(tx, principal, booking, "booking.created", now)
        if hold is not None and request.waitlist_entry_id is not None:
            _take_offer(tx, principal, request.waitlist_entry_id, hold, now)
        try:
            store.create_booking(
                booking,
                [locks[(chosen.specialist_id, day)] for day in days],
                now=now,
                idempotency=(principal.user_id, idempotency_key, fingerprint) if idempotency_key else None,
                tx=tx,
                replaces_hold=hold,
            )
        except store.LockConflict:
            _back_off(attempt)
            if idempotency_key is not None:
                replay = _replay(principal, idempotency_key, request)
                if replay is not None:
                    return replay
            continue
        except store.IdempotencyRace:
            replay = _replay(principal, idempotency_key or "", request)
            if replay is None:  # the winner's record expired at once: impossible within 24 h
                raise errors.Conflict("A request with this Idempotency-Key is being processed") from None
            return replay
        except store.DiscountRejected:
            raise DiscountUnavailable("The discount code has been used up or is no longer valid") from None
        except store.OfferGone:
            raise SlotTaken("The waitlist offer is no longer open") from None
        return Created(booking=booking, replayed=False)
    raise SlotBusy("Many people are booking this specialist right now; try again")


def _held_offer(
    principal: Principal, request: NewBooking, venue: Venue, service: Service, start: datetime, now: datetime
) -> Any:
    """The caller's open waitlist offer for exactly this venue, service and start (one Query):
    409 slot-taken when it lapsed, was taken or names another slot."""
    from chalicelib.store import waitlist

    entry = waitlist.find(principal.user_id, request.waitlist_entry_id or "", now)
    if entry is None or not entry.open_offer(now) or entry.offer_start is None:
        raise SlotTaken("The waitlist offer is no longer open")
    if (entry.venue_id, entry.service_id, entry.offer_start) != (venue.venue_id, service.service_id, start):
        raise SlotTaken("The waitlist offer is for another slot")
    if request.specialist_id is not None and request.specialist_id != entry.offer_specialist_id:
        raise SlotTaken("The waitlist offer is with another specialist")
    return entry


def _take_offer(tx: db.Transaction, principal: Principal, entry_id: str, hold: str, now: datetime) -> None:
    """The entry leaves the waitlist in the booking's transaction, only while it holds ``hold``."""
    from chalicelib.store import waitlist

    entry = waitlist.find(principal.user_id, entry_id, now)
    if entry is None:
        raise SlotTaken("The waitlist offer is no longer open")
    waitlist.remove_in(tx, entry, hold)


def _replay(principal: Principal, key: str, request: NewBooking) -> Created | None:
    booking_id = _replayed_id(principal, key, request.fingerprint())
    if booking_id is None:
        return None
    booking = store.get_booking(booking_id)
    if booking is None:
        raise errors.Conflict("The booking this Idempotency-Key created no longer exists")
    return Created(booking=booking, replayed=True)


def _replayed_id(principal: Principal, key: str, fingerprint: str) -> str | None:
    """The booking an earlier request with this key committed, or None (one GetItem). The
    same key with another request is refused (422, IdempotencyKeyReused)."""
    from chalicelib import deps

    entry = store.get_idempotency(principal.user_id, key, deps.clock().now())
    if entry is None:
        return None
    if entry.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return entry.booking_id


def _idempotent(
    principal: Principal,
    key: str | None,
    request: Mapping[str, Any],
    read: Callable[[str], Booking],
    change: Callable[[store.Idempotency | None], Booking],
) -> Changed:
    """Run ``change`` once per Idempotency-Key (create's idiom, for a change to an existing
    booking): with a key, its record commits in the change's own transaction, and a retry
    replays (``read`` of the booking as it is now) instead of changing again. Without a key
    nothing is read or written for it. Calls: [GetItem idempotency record, with a key]; a
    replay adds ``read``'s calls instead of ``change``'s; a refusal (409) looks again (one
    GetItem) in case a concurrent twin with the same key made the change first."""
    if key is None:
        return Changed(change(None))
    _check_idempotency_key(key)
    fingerprint = _fingerprint(request)
    booking_id = _replayed_id(principal, key, fingerprint)
    if booking_id is None:
        try:
            return Changed(change((principal.user_id, key, fingerprint)))
        except store.IdempotencyRace:  # a concurrent twin with the same key committed first
            booking_id = _replayed_id(principal, key, fingerprint)
            if booking_id is None:  # the winner's record expired at once: impossible within 24 h
                raise errors.Conflict("A request with this Idempotency-Key is being processed") from None
        except errors.Conflict:  # e.g. "already cancelled": by this very request's twin?
            booking_id = _replayed_id(principal, key, fingerprint)
            if booking_id is None:
                raise
    return Changed(read(booking_id), replayed=True)


def _candidates(service: Service, specialists: Sequence[Specialist], requested: str | None) -> list[Specialist]:
    performing = [
        spec for spec in specialists if not service.specialist_ids or spec.specialist_id in service.specialist_ids
    ]
    if requested is None:
        if not performing:
            raise errors.InvalidInput([errors.FieldError("service_id", "nobody performs this service")])
        return performing
    chosen = [spec for spec in performing if spec.specialist_id == requested]
    if not chosen:
        raise errors.InvalidInput([errors.FieldError("specialist_id", "no such specialist for this service")])
    return chosen


def _discount(code: DiscountCode | None, service: Service, now: datetime) -> int:
    if code is None:
        raise errors.InvalidInput([errors.FieldError("discount_code", "unknown discount code")])
    return discount_amount(code, service.price_minor, service.currency, now)


def _busy(
    locks: Mapping[tuple[str, date], store.DayLock], specialist_id: str, days: Sequence[date]
) -> dict[str, Interval]:
    occupied: dict[str, Interval] = {}
    for day in days:
        occupied.update(locks[(specialist_id, day)].occupied)
    return occupied


def _is_free_start(
    venue: Venue, service: Service, specialist: Specialist, busy: Sequence[Interval], start: datetime, now: datetime
) -> bool:
    local_day = availability.local_date(venue, start)
    return start in availability.free_starts(venue, service, specialist, busy, local_day, local_day, now)


def _choose(
    venue: Venue,
    service: Service,
    candidates: Sequence[Specialist],
    locks: Mapping[tuple[str, date], store.DayLock],
    days: Sequence[date],
    start: datetime,
    now: datetime,
    *,
    requested: str | None,
    moving: str | None = None,
) -> Specialist:
    """The specialist to book: the requested one, or the least-loaded free one.

    SlotTaken (409) when the start is bookable but taken; InvalidInput (422) when it is not
    a bookable start at all (outside hours, notice, horizon or the slot grid)."""
    occupied = availability.occupied_interval(service, start)
    free: dict[str, Specialist] = {}
    load: dict[str, int] = {}
    bookable_if_empty = False
    for spec in candidates:
        busy = _busy(locks, spec.specialist_id, days)
        if moving is not None:
            busy.pop(moving, None)
        clash = first_overlap(occupied, busy)
        if clash is None and _is_free_start(venue, service, spec, list(busy.values()), start, now):
            free[spec.specialist_id] = spec
            load[spec.specialist_id] = len(busy)
        elif clash is not None and _is_free_start(venue, service, spec, [], start, now):
            bookable_if_empty = True
    choice = pick_specialist(free, load)
    if choice is not None:
        return free[choice]
    if bookable_if_empty:
        raise SlotTaken("Another booking holds this time; pick another start")
    reason = "not a bookable start (working hours, notice, horizon or slot grid)"
    raise errors.InvalidInput([errors.FieldError("start", reason)])


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.005 * (2**attempt)))  # noqa: S311 - jitter, not security


# --- read ---------------------------------------------------------------------------------------


def get_booking(principal: Principal, booking_id: str, now: datetime) -> Booking:
    """The customer's own booking, or a booking of a business the caller is staff of (that
    read is audited, SEC-6). Anyone else gets 404: ids are not confirmed to strangers."""
    booking = store.get_booking(booking_id, now)
    if booking is None:
        raise errors.NotFound("No such booking")
    if booking.customer_user_id != principal.user_id:
        _require_staff_or_not_found(principal, booking.business_id)
        _audit_read(principal, booking, now)
    return booking


def _require_staff_or_not_found(principal: Principal, business_id: str) -> None:
    from chalicelib.services import authz

    try:
        authz.require_staff(principal, business_id, STAFF_ROLES)
    except (errors.Forbidden, errors.NotFound):
        raise errors.NotFound("No such booking") from None


def get_business_booking(principal: Principal, business_id: str, booking_id: str, now: datetime) -> StaffView:
    """Calls: GetItem membership + GetItem booking + PutItem audit (read) + GetItem customer card."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, STAFF_ROLES)
    booking = _business_booking(business_id, booking_id, now)
    _audit_read(principal, booking, now)
    return _staff_view(booking, now)


def _business_booking(business_id: str, booking_id: str, now: datetime) -> Booking:
    booking = store.get_booking(booking_id, now)  # as the business may see it (retention deadlines)
    if booking is None or booking.business_id != business_id:
        raise errors.NotFound("No such booking")  # another tenant's booking is simply not there
    return booking


def calendar_file(principal: Principal, booking_id: str, now: datetime) -> str:
    from chalicelib.domain import ics

    return ics.booking_calendar(get_booking(principal, booking_id, now), now)


# --- status changes -------------------------------------------------------------------------------


def _own_booking(principal: Principal, booking_id: str) -> Booking:
    """One GetItem: the caller's own booking (anyone else's is simply not there)."""
    booking = store.get_booking(booking_id)
    if booking is None or booking.customer_user_id != principal.user_id:
        raise errors.NotFound("No such booking")
    return booking


def cancel_as_customer(
    principal: Principal, booking_id: str, now: datetime, idempotency_key: str | None = None
) -> Changed:
    """Calls: [GetItem idempotency record, with a key] + GetItem booking + GetItem venue +
    TransactWriteItems (with the audit record and the key's record). A replay: GetItem record
    + GetItem booking."""
    from chalicelib.store import catalog

    no_notice = timedelta(0)  # for a booking whose venue is gone: it holds nothing for the customer

    def cancel(idempotency: store.Idempotency | None) -> Booking:
        booking = _own_booking(principal, booking_id)
        try:
            notice = timedelta(
                minutes=catalog.get_venue(booking.business_id, booking.venue_id).cancellation_notice_minutes
            )
        except errors.NotFound:
            notice = no_notice
        return _apply(principal, booking, BookingStatus.CANCELLED, Actor.CUSTOMER, notice, now, idempotency)

    request = {"operation": "cancel", "booking_id": booking_id}
    return _idempotent(principal, idempotency_key, request, lambda found: _own_booking(principal, found), cancel)


# The status changes the customer is told about (the others need no message).
# Every status change a business makes is a domain event; confirm and cancel also notify the
# customer (the "notifications" subscription takes BOOKING_KINDS only).
_EVENT_STATUSES = {BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}


def change_as_business(
    principal: Principal,
    business_id: str,
    booking_id: str,
    target: BookingStatus,
    now: datetime,
    idempotency_key: str | None = None,
) -> StaffView:
    """Confirm, cancel, attended (completed) or no-show, by the business's staff.
    Calls: GetItem membership + [GetItem idempotency record, with a key] + GetItem booking +
    TransactWriteItems (with the audit record and the key's record) + GetItem customer card
    (after the commit). Every change puts its domain event in the transaction (outbox); confirm
    and cancel's is the customer's notification. A replay: GetItem membership + GetItem record +
    GetItem booking + GetItem card."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, STAFF_ROLES)
    no_notice = timedelta(0)  # the business has no cancellation notice to respect

    def change(idempotency: store.Idempotency | None) -> Booking:
        booking = _business_booking(business_id, booking_id, now)
        return _apply(principal, booking, target, Actor.BUSINESS, no_notice, now, idempotency)

    def read(found: str) -> Booking:
        return _business_booking(business_id, found, now)

    request = {"operation": target.value, "business_id": business_id, "booking_id": booking_id}
    return _staff_view(_idempotent(principal, idempotency_key, request, read, change), now)


def _apply(
    principal: Principal,
    booking: Booking,
    target: BookingStatus,
    actor: Actor,
    notice: timedelta,
    now: datetime,
    idempotency: store.Idempotency | None = None,
) -> Booking:
    if booking.visit_id and actor is Actor.CUSTOMER:
        raise InvalidTransition("This booking is part of a visit: cancel the visit (/v1/visits/{visit_id}/cancel)")
    updated = transition(booking, target, actor, now, notice)
    recorded = target in _EVENT_STATUSES
    tx = _with_event(f"booking.{target.value}", updated, None, now) if recorded else db.Transaction()
    _audit(tx, principal, updated, f"booking.{target.value}", now)
    try:
        store.change_status(
            booking,
            updated,
            now=now,
            return_discount=target is BookingStatus.CANCELLED,
            idempotency=idempotency,
            tx=tx,
        )
    except store.BookingChanged:
        raise errors.Conflict("The booking changed meanwhile; read it again") from None
    except store.LockConflict:
        raise errors.Conflict("The booking changed meanwhile; try again") from None
    return updated


# --- reschedule -----------------------------------------------------------------------------------


def _reschedule_request(booking_id: str, new_start: datetime, business_id: str | None) -> dict[str, Any]:
    """What a reschedule's Idempotency-Key is bound to (the route's business: None for the customer's)."""
    if new_start.tzinfo is None:
        raise errors.InvalidInput([errors.FieldError("start", "needs a UTC offset")])
    start = codec.encode(new_start.astimezone(UTC))
    return {"operation": "reschedule", "business_id": business_id, "booking_id": booking_id, "start": start}


def reschedule_as_customer(
    principal: Principal, booking_id: str, new_start: datetime, now: datetime, idempotency_key: str | None = None
) -> Changed:
    """Calls: [GetItem idempotency record, with a key] + GetItem booking + as ``_reschedule``.
    A replay: GetItem record + GetItem booking."""
    request = _reschedule_request(booking_id, new_start, None)

    def move(idempotency: store.Idempotency | None) -> Booking:
        return _reschedule(principal, _own_booking(principal, booking_id), new_start, Actor.CUSTOMER, now, idempotency)

    return _idempotent(principal, idempotency_key, request, lambda found: _own_booking(principal, found), move)


def reschedule_as_business(
    principal: Principal,
    business_id: str,
    booking_id: str,
    new_start: datetime,
    now: datetime,
    idempotency_key: str | None = None,
) -> StaffView:
    """Calls: GetItem membership + [GetItem idempotency record, with a key] + GetItem booking
    + as ``_reschedule`` + GetItem customer card (after the commit). A replay: GetItem
    membership + GetItem record + GetItem booking + GetItem card."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, STAFF_ROLES)
    request = _reschedule_request(booking_id, new_start, business_id)

    def move(idempotency: store.Idempotency | None) -> Booking:
        booking = _business_booking(business_id, booking_id, now)
        return _reschedule(principal, booking, new_start, Actor.BUSINESS, now, idempotency)

    def read(found: str) -> Booking:
        return _business_booking(business_id, found, now)

    return _staff_view(_idempotent(principal, idempotency_key, request, read, move), now)


def _reschedule(
    principal: Principal,
    booking: Booking,
    new_start: datetime,
    actor: Actor,
    now: datetime,
    idempotency: store.Idempotency | None = None,
) -> Booking:
    """Move a live booking to a new start with the same specialist, atomically.

    A move to the start it already has is a no-op that returns the booking: no call, no
    record, no event (the caller holds what it asked for; a retry whose first answer was
    lost lands here and converges).

    Calls: GetItem venue + Query venue catalog + (BatchGetItem new locks + TransactWriteItems)
    per attempt (the audit record and the key's record join the transaction)."""
    from chalicelib.store import catalog

    if not booking.live:
        raise InvalidTransition(f"A {booking.status.value} booking cannot be moved")
    if booking.kind == "block":
        raise InvalidTransition("A block cannot be moved; cancel it and block the new time")
    if booking.visit_id and actor is Actor.CUSTOMER:
        raise InvalidTransition("This booking is part of a visit: its parts move together")
    if new_start.tzinfo is None:
        raise errors.InvalidInput([errors.FieldError("start", "needs a UTC offset")])
    start = new_start.astimezone(UTC)
    if start == booking.start:
        return booking
    venue = catalog.get_venue(booking.business_id, booking.venue_id)
    if actor is Actor.CUSTOMER:
        ensure_customer_may_change(booking, now, timedelta(minutes=venue.cancellation_notice_minutes))
    services, specialists = catalog.venue_catalog(booking.business_id, booking.venue_id)
    service = next((s for s in services if s.service_id == booking.service_id), None)
    specialist = next((s for s in specialists if s.specialist_id == booking.specialist_id), None)
    if service is None or specialist is None:
        raise errors.Conflict("The service or specialist of this booking no longer exists")
    occupied = availability.occupied_interval(service, start)
    days = lock_days(occupied)
    for attempt in range(MAX_ATTEMPTS):
        locks, _ = store.read_locks_and_discount(booking.business_id, {specialist.specialist_id: days}, None, now)
        _choose(
            venue, service, [specialist], locks, days, start, now,
            requested=specialist.specialist_id, moving=booking.booking_id,
        )  # fmt: skip
        updated = moved(booking, start, occupied, timedelta(minutes=service.duration_minutes), now)
        tx = _with_event("booking.rescheduled", updated, venue, now)
        _audit(tx, principal, updated, "booking.rescheduled", now, previous_start=booking.start)
        try:
            store.reschedule(
                booking,
                updated,
                [locks[(specialist.specialist_id, day)] for day in days],
                now=now,
                idempotency=idempotency,
                tx=tx,
            )
        except store.LockConflict:
            _back_off(attempt)
            continue
        except store.BookingChanged:
            raise errors.Conflict("The booking changed meanwhile; read it again") from None
        return updated
    raise SlotBusy("Many people are booking this specialist right now; try again")


# --- lists ----------------------------------------------------------------------------------------


def list_mine(principal: Principal, scope: str, now: datetime, limit: int, start_key: dict[str, Any] | None) -> Page:
    """One GSI1 Query: upcoming (start >= now, soonest first) or past (newest first)."""
    partition = store.customer_index_key(principal.user_id)
    bound = store.sort_bound(now)
    if scope == "past":
        found, last = store.query_bookings(
            "GSI1", partition, upper=bound, ascending=False, limit=limit, start_key=start_key
        )
    else:
        found, last = store.query_bookings("GSI1", partition, lower=bound, limit=limit, start_key=start_key)
    return Page(found, last)


def list_for_business(
    principal: Principal,
    business_id: str,
    *,
    venue_id: str,
    specialist_id: str | None,
    day: date | None,
    now: datetime,
    limit: int,
    start_key: dict[str, Any] | None,
) -> Page:
    """The business calendar: GetItem membership + GetItem venue + one GSI Query (venue:
    GSI2, specialist: GSI3) over the venue's local day (or from now on); when the page is
    not empty, PutItem audit (read) + one BatchGetItem of the page's distinct customers' cards (a page
    holds at most 100 bookings, so one call; more only for UnprocessedKeys)."""
    from chalicelib.services import authz
    from chalicelib.store import catalog, users

    authz.require_staff(principal, business_id, STAFF_ROLES)
    venue = catalog.get_venue(business_id, venue_id)  # NotFound for another tenant's venue
    if day is not None:
        window_start, window_end = availability.day_bounds(venue, day, day)
        lower, upper = store.sort_bound(window_start), store.sort_bound(window_end)
    else:
        lower, upper = store.sort_bound(now), None
    if specialist_id is not None:
        index, partition = "GSI3", store.specialist_index_key(business_id, specialist_id)
    else:
        index, partition = "GSI2", store.venue_index_key(business_id, venue_id)
    found, last = store.query_bookings(
        index, partition, lower=lower, upper=upper, limit=limit, start_key=start_key, now=now
    )
    if specialist_id is not None:
        found = [b for b in found if b.venue_id == venue_id]
    if found:
        from chalicelib.privacy import audit

        audit.record_read(
            tenant=business_id,
            actor=principal.user_id,
            action="booking.calendar_read",
            entity="venue",
            entity_id=venue_id,
            at=now,
            summary={"bookings": str(len(found)), "day": day.isoformat() if day else "upcoming"},
        )
    own = [b for b in found if not b.staff_made]
    cards = users.customer_cards(b.customer_user_id for b in own)  # no call for an empty page
    customers = {b.booking_id: card for b in own if (card := card_for_business(cards.get(b.customer_user_id), b, now))}
    customers.update(_business_cards([b for b in found if b.staff_made], now))
    return Page(found, last, customers)


# --- audit and the notification (both inside the change's transaction) -----------------------------


def _summary(booking: Booking) -> dict[str, str]:
    return {
        "status": booking.status.value,
        "venue_id": booking.venue_id,
        "specialist_id": booking.specialist_id,
        "start": codec.encode(booking.start),
        "customer": booking.customer_user_id,
    }


def _audit(
    tx: db.Transaction,
    principal: Principal,
    booking: Booking,
    action: str,
    now: datetime,
    previous_start: datetime | None = None,
) -> None:
    """Add the change's audit record to its transaction (one more put, no extra call)."""
    from chalicelib.privacy import audit

    summary = _summary(booking)
    if previous_start is not None:
        summary["previous_start"] = codec.encode(previous_start)
    audit.record(
        tx,
        tenant=booking.business_id,
        actor=principal.user_id,
        action=action,
        entity="booking",
        entity_id=booking.booking_id,
        at=now,
        summary=summary,
    )


def _audit_read(principal: Principal, booking: Booking, now: datetime) -> None:
    """A staff read of a customer's booking: its record alone (one PutItem; nothing to join)."""
    from chalicelib.privacy import audit

    audit.record_read(
        tenant=booking.business_id,
        actor=principal.user_id,
        action="booking.read",
        entity="booking",
        entity_id=booking.booking_id,
        at=now,
        summary=_summary(booking),
    )


def booking_event(booking: Booking, venue: Venue | None) -> Any:
    from chalicelib.notify.events import DEFAULT_REMINDER_OFFSETS_MINUTES, BookingEvent

    return BookingEvent(
        booking_id=booking.booking_id,
        business_id=booking.business_id,
        venue_id=booking.venue_id,
        customer_user_id=booking.customer_user_id,
        venue_name=booking.venue_name,
        service_name=booking.service_name,
        specialist_name=booking.specialist_name or None,
        start=booking.start,
        timezone=booking.timezone,
        reminder_offsets_minutes=venue.reminder_offsets_minutes if venue else DEFAULT_REMINDER_OFFSETS_MINUTES,
        status=booking.status.value,
        booking_kind=booking.kind,
    )


def _with_event(kind: str, booking: Booking, venue: Venue | None, now: datetime) -> db.Transaction:
    """A transaction holding the change's domain event (no SQS call here): the event exists
    exactly when the change committed, and its subscribers run after (services/events.py)."""
    from chalicelib.notify.events import outbox_event_id
    from chalicelib.services import events

    payload = booking_event(booking, venue)
    tx = db.Transaction()
    events.record(tx, events.DomainEvent(kind, outbox_event_id(kind, payload), payload.to_payload()), now)
    return tx
