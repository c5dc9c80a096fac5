"""Multi-service visits (issue #18, item 2): several services back to back, booked, shown and
cancelled as one visit.

Each part is an ordinary booking (its own specialist, the same lock items), linked by
``visit_id``; the whole chain commits in ONE TransactWriteItems (store.bookings.create_visit:
all parts, every touched lock once, the visit item, events and audit records), so a chain
never half-commits. The first part's start must be a bookable start (grid, notice, hours);
each later part starts where the previous one's service and buffers end
(domain.availability.chain_offsets) and must lie in its specialist's working time, free.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.domain import availability, idempotency
from chalicelib.domain.bookings import (
    NOTES_MAX_CHARS,
    Actor,
    Booking,
    BookingStatus,
    InvalidTransition,
    SlotBusy,
    SlotTaken,
    ensure_customer_may_change,
    first_overlap,
    lock_days,
    moved,
    pick_specialist,
    transition,
)
from chalicelib.domain.catalog import Service, Specialist, Venue
from chalicelib.domain.identity import Principal
from chalicelib.services import bookings
from chalicelib.store import bookings as store
from chalicelib.store import codec, db


@dataclass(frozen=True)
class PartRequest:
    service_id: str
    specialist_id: str | None = None  # None = any free specialist for this part


@dataclass(frozen=True)
class NewVisit:
    venue_id: str
    start: datetime
    parts: tuple[PartRequest, ...]
    notes: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "operation": "visit",
            "venue_id": self.venue_id,
            "start": codec.encode(self.start.astimezone(UTC)),
            "parts": [[p.service_id, p.specialist_id] for p in self.parts],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Visit:
    visit_id: str
    parts: list[Booking]
    replayed: bool = False


def create_visit(principal: Principal, request: NewVisit, idempotency_key: str | None, now: datetime) -> Visit:
    """Calls: [GetItem idempotency record, with a key] + Query GSI1 (venue) + Query (venue
    catalog) + BatchGetItem (every candidate's touched day locks) + TransactWriteItems (all
    parts, their locks once each, visit item, [idempotency record], one event and one audit
    record per part); a lost race repeats the last two (≤ 6 attempts). A replay: GetItem
    record + GetItem visit + BatchGetItem parts."""
    if not 2 <= len(request.parts) <= availability.MAX_VISIT_PARTS:
        raise errors.InvalidInput([errors.FieldError("parts", f"2 to {availability.MAX_VISIT_PARTS} services")])
    if request.notes is not None and len(request.notes) > NOTES_MAX_CHARS:
        raise errors.InvalidInput([errors.FieldError("notes", f"at most {NOTES_MAX_CHARS} characters")])
    fingerprint = request.fingerprint()
    if idempotency_key is not None:
        idempotency.check_key(idempotency_key)
        replayed = bookings._replayed_id(principal, idempotency_key, idempotency.fingerprint(fingerprint))
        if replayed is not None:
            return _replay(principal, replayed)
    from chalicelib.store import catalog

    venue = catalog.find_venue(request.venue_id)
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    by_id = {s.service_id: s for s in services}
    chain: list[Service] = []
    candidates: list[list[Specialist]] = []
    for index, part in enumerate(request.parts):
        service = by_id.get(part.service_id)
        if service is None:
            raise errors.InvalidInput([errors.FieldError(f"parts.{index}.service_id", "no such service at this venue")])
        chain.append(service)
        try:
            candidates.append(bookings._candidates(service, specialists, part.specialist_id))
        except errors.InvalidInput:
            raise errors.InvalidInput(
                [errors.FieldError(f"parts.{index}.specialist_id", "no such specialist for this service")]
            ) from None
    start = request.start.astimezone(UTC)
    intervals = availability.chain_intervals(chain, start)
    days = [lock_days(interval) for interval in intervals]
    wanted: dict[str, list[Any]] = {}
    for people, part_days in zip(candidates, days, strict=True):
        for person in people:
            wanted.setdefault(person.specialist_id, [])
            wanted[person.specialist_id] += [d for d in part_days if d not in wanted[person.specialist_id]]
    visit_id = uuid.uuid4().hex
    ids = [uuid.uuid4().hex for _ in chain]
    key = (principal.user_id, idempotency_key, idempotency.fingerprint(fingerprint)) if idempotency_key else None
    for attempt in range(bookings.MAX_ATTEMPTS):
        locks, _ = store.read_locks_and_discount(venue.business_id, wanted, None, now)
        chosen = _choose_all(venue, chain, candidates, locks, days, intervals, start, now, request.parts)
        made = [
            _part(principal, venue, service, person, booking_id, visit_id, interval, offset, asked, request, now)
            for service, person, booking_id, interval, offset, asked in zip(
                chain, chosen, ids, intervals, availability.chain_offsets(chain), request.parts, strict=True
            )
        ]
        tx = db.Transaction()
        _record(tx, principal, "booking.created", made, venue, now)
        try:
            store.create_visit(visit_id, made, locks, now=now, idempotency=key, tx=tx)
        except store.LockConflict:
            bookings._back_off(attempt)
            continue
        except store.IdempotencyRace:
            replayed = bookings._replayed_id(principal, idempotency_key or "", idempotency.fingerprint(fingerprint))
            if replayed is None:
                raise errors.Conflict("A request with this Idempotency-Key is being processed") from None
            return _replay(principal, replayed)
        return Visit(visit_id, made)
    raise SlotBusy("Many people are booking these specialists right now; try again")


def _choose_all(
    venue: Venue,
    chain: list[Service],
    candidates: list[list[Specialist]],
    locks: Any,
    days: list[list[Any]],
    intervals: list[availability.Interval],
    start: datetime,
    now: datetime,
    requested: tuple[PartRequest, ...],
) -> list[Specialist]:
    """The specialist of every part: the first as a single booking's (grid, notice, hours,
    free); each later one free for its interval and working then (least loaded first)."""
    first = bookings._choose(
        venue, chain[0], candidates[0], locks, days[0], start, now, requested=requested[0].specialist_id
    )
    chosen = [first]
    for index in range(1, len(chain)):
        free: dict[str, Specialist] = {}
        load: dict[str, int] = {}
        for person in candidates[index]:
            busy = bookings._busy(locks, person.specialist_id, days[index])
            if first_overlap(intervals[index], busy) is None and availability.fits_working_time(
                venue, person, intervals[index]
            ):
                free[person.specialist_id] = person
                load[person.specialist_id] = len(busy)
        pick = pick_specialist(free, load)
        if pick is None:
            raise SlotTaken(f"The visit does not fit: part {index + 1} has nobody free then")
        chosen.append(free[pick])
    return chosen


def _part(
    principal: Principal,
    venue: Venue,
    service: Service,
    person: Specialist,
    booking_id: str,
    visit_id: str,
    interval: availability.Interval,
    offset: int,
    asked: PartRequest,
    request: NewVisit,
    now: datetime,
) -> Booking:
    begin = request.start.astimezone(UTC) + timedelta(seconds=offset)
    return Booking(
        booking_id=booking_id,
        business_id=venue.business_id,
        venue_id=venue.venue_id,
        specialist_id=person.specialist_id,
        specialist_requested=asked.specialist_id is not None,
        service_id=service.service_id,
        customer_user_id=principal.user_id,
        status=BookingStatus.PENDING,
        start=begin,
        end=begin + timedelta(minutes=service.duration_minutes),
        occupied_start=interval[0],
        occupied_end=interval[1],
        timezone=venue.timezone,
        created_at=now,
        updated_at=now,
        notes=request.notes or None,
        price_minor=service.price_minor,
        currency=service.currency,
        venue_name=venue.name,
        venue_address=venue.address,
        service_name=service.name,
        specialist_name=person.name,
        visit_id=visit_id,
    )


def _record(
    tx: db.Transaction,
    principal: Principal,
    kind: str,
    parts: list[Booking],
    venue: Venue | None,
    now: datetime,
    previous_starts: list[datetime] | None = None,
) -> None:
    """Every changed part's domain event and audit record, in the visit's one transaction.
    Each event names the visit; the first changed part's is the lead, carrying the visit's
    summary: the customer gets one message for the visit (services/subscribers.py)."""
    from chalicelib.notify.events import outbox_event_id
    from chalicelib.services import events

    names = list(dict.fromkeys(p.specialist_name for p in parts if p.specialist_name))
    for index, part in enumerate(parts):
        payload = replace(bookings.booking_event(part, venue), visit_id=part.visit_id, visit_lead=index == 0)
        if index == 0:
            payload = replace(
                payload,
                visit_services=" + ".join(p.service_name for p in parts),
                visit_specialists=", ".join(names) or None,
            )
        events.record(tx, events.DomainEvent(kind, outbox_event_id(kind, payload), payload.to_payload()), now)
        previous = previous_starts[index] if previous_starts else None
        bookings._audit(tx, principal, part, kind, now, previous_start=previous)


def _replay(principal: Principal, visit_id: str) -> Visit:
    found = get_visit(principal, visit_id)
    return replace(found, replayed=True)


def get_visit(principal: Principal, visit_id: str, now: datetime | None = None) -> Visit:
    """The caller's own visit (anyone else's is not there). Calls: GetItem visit + BatchGetItem parts."""
    parts = store.get_visit_parts(visit_id, now)
    if not parts or parts[0].customer_user_id != principal.user_id:
        raise errors.NotFound("No such visit")
    return Visit(visit_id, parts)


def cancel_visit(principal: Principal, visit_id: str, now: datetime) -> Visit:
    """The customer cancels the whole visit (until the venue's notice before its first part).
    Calls: GetItem visit + BatchGetItem parts + GetItem venue + TransactWriteItems (every
    live part version-checked, their lock releases once per lock, one event and one audit
    record per part)."""
    from chalicelib.store import catalog

    visit = get_visit(principal, visit_id)
    live = [p for p in visit.parts if p.live]
    if not live:
        raise InvalidTransition("The visit has nothing left to cancel")
    try:
        notice = timedelta(minutes=catalog.get_venue(live[0].business_id, live[0].venue_id).cancellation_notice_minutes)
    except errors.NotFound:
        notice = timedelta(0)
    # The notice counts from each part's start; the first part's is the earliest, so it decides.
    updated = [transition(p, BookingStatus.CANCELLED, Actor.CUSTOMER, now, notice) for p in live]
    tx = db.Transaction()
    _record(tx, principal, "booking.cancelled", updated, None, now)
    try:
        store.change_visit_status(live, updated, now=now, visit_id=visit_id, tx=tx)
    except (store.BookingChanged, store.LockConflict):
        raise errors.Conflict("The visit changed meanwhile; read it again") from None
    by_id = {p.booking_id: p for p in updated}
    return Visit(visit_id, [by_id.get(p.booking_id, p) for p in visit.parts])


def reschedule_visit(
    principal: Principal, visit_id: str, new_start: datetime, now: datetime, idempotency_key: str | None = None
) -> Visit:
    """The customer moves the whole visit (until the venue's notice before its first live
    part): every live part shifts to the new chain start, keeping its specialist (a part
    whose specialist is not free then refuses the move, 409), in ONE transaction.

    A move to the start it already has is a no-op (no write, no event). Calls: [GetItem
    idempotency record, with a key] + GetItem visit + BatchGetItem parts + GetItem venue +
    Query (venue catalog) + (BatchGetItem new locks + TransactWriteItems: parts
    version-checked, each touched lock once, old intervals released, [key], one event and
    one audit record per part) per attempt (≤ 6). A replay: GetItem record + GetItem visit +
    BatchGetItem parts."""
    from chalicelib.store import catalog

    if new_start.tzinfo is None:
        raise errors.InvalidInput([errors.FieldError("start", "needs a UTC offset")])
    start = new_start.astimezone(UTC)
    fingerprint = idempotency.fingerprint({"operation": "visit-reschedule", "visit_id": visit_id,
                                         "start": codec.encode(start)})  # fmt: skip
    key: store.Idempotency | None = None
    if idempotency_key is not None:
        idempotency.check_key(idempotency_key)
        if bookings._replayed_id(principal, idempotency_key, fingerprint) is not None:
            return _replay(principal, visit_id)
        key = (principal.user_id, idempotency_key, fingerprint)
    visit = get_visit(principal, visit_id)
    live = [p for p in visit.parts if p.live]
    if not live:
        raise InvalidTransition("The visit has nothing left to move")
    if start == live[0].start:
        return visit
    venue = catalog.get_venue(live[0].business_id, live[0].venue_id)
    ensure_customer_may_change(live[0], now, timedelta(minutes=venue.cancellation_notice_minutes))
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    service_by_id = {s.service_id: s for s in services}
    people = {s.specialist_id: s for s in specialists}
    chain = [service_by_id.get(p.service_id) for p in live]
    kept = [people.get(p.specialist_id) for p in live]
    if None in chain or None in kept:
        raise errors.Conflict("A service or specialist of this visit no longer exists")
    chain_ = [s for s in chain if s is not None]
    kept_ = [s for s in kept if s is not None]
    intervals = availability.chain_intervals(chain_, start)
    days = [lock_days(interval) for interval in intervals]
    wanted: dict[str, list[Any]] = {}
    for person, part_days in zip(kept_, days, strict=True):
        have = wanted.setdefault(person.specialist_id, [])
        have += [d for d in part_days if d not in have]
    own = {p.booking_id for p in live}
    asked = tuple(PartRequest(p.service_id, p.specialist_id) for p in live)
    for attempt in range(bookings.MAX_ATTEMPTS):
        locks, _ = store.read_locks_and_discount(venue.business_id, wanted, None, now)
        # The visit's own parts do not stand in its way: check against everyone else's time.
        others = {k: replace(lock, occupied={b: i for b, i in lock.occupied.items() if b not in own})
                  for k, lock in locks.items()}  # fmt: skip
        _choose_all(venue, chain_, [[p] for p in kept_], others, days, intervals, start, now, asked)
        updated = [
            moved(part, start + timedelta(seconds=offset), interval, timedelta(minutes=service.duration_minutes), now)
            for part, service, interval, offset in zip(
                live, chain_, intervals, availability.chain_offsets(chain_), strict=True
            )
        ]
        tx = db.Transaction()
        _record(tx, principal, "booking.rescheduled", updated, venue, now, [p.start for p in live])
        try:
            store.reschedule_visit(live, updated, locks, now=now, idempotency=key, visit_id=visit_id, tx=tx)
        except store.LockConflict:
            bookings._back_off(attempt)
            continue
        except store.BookingChanged:
            raise errors.Conflict("The visit changed meanwhile; read it again") from None
        except store.IdempotencyRace:
            if bookings._replayed_id(principal, idempotency_key or "", fingerprint) is None:
                raise errors.Conflict("A request with this Idempotency-Key is being processed") from None
            return _replay(principal, visit_id)
        by_id = {p.booking_id: p for p in updated}
        return Visit(visit_id, [by_id.get(p.booking_id, p) for p in visit.parts])
    raise SlotBusy("Many people are booking these specialists right now; try again")
