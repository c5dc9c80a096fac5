"""Waitlists (issue #18, item 3): join, list, leave; offers of opened slots in join order.

An offer HOLDS its slot in the specialist-day lock items (store.bookings.place_hold: the
same version-checked claim as a booking, committed with the entry's offer and the offer's
domain event), so until it expires nobody else can book that time: customers ("any"
included), staff walk-ins (decision: staff do not override a hold; they see it as taken)
and visits all meet the same overlap check. The holder books it with ``waitlist_entry_id``
(services/bookings.py), which replaces the hold in the same transaction and removes the
entry. An offer that lapsed passes to the next entry when the venue is processed again: on
the next booking event of the venue, or by the ``waitlist_offers`` schedule (every minute)
for offers that lapsed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.domain import availability
from chalicelib.domain.bookings import first_overlap, lock_days
from chalicelib.domain.catalog import Service, Specialist, Venue
from chalicelib.domain.identity import Principal
from chalicelib.store import bookings as booking_store
from chalicelib.store import codec, db
from chalicelib.store import waitlist as store

MAX_WINDOW = timedelta(days=14)
EARLIEST_START = timedelta(days=12)  # a window may start in the past, but not long ago
OFFERED = "waitlist.offered"


def join(
    principal: Principal,
    venue_id: str,
    service_id: str,
    specialist_id: str | None,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> store.Entry:
    """Calls: Query GSI1 (venue) + GetItem (service) + [GetItem specialist] + PutItem (entry)."""
    from chalicelib.store import catalog

    start, end = window_start.astimezone(UTC), window_end.astimezone(UTC)
    if not start < end:
        raise errors.InvalidInput([errors.FieldError("window_end", "after window_start")])
    if end - start > MAX_WINDOW:
        raise errors.InvalidInput([errors.FieldError("window_end", "at most 14 days after window_start")])
    if end <= now:
        raise errors.InvalidInput([errors.FieldError("window_end", "in the future")])
    if start < now - EARLIEST_START:
        raise errors.InvalidInput([errors.FieldError("window_start", "not more than 12 days ago")])
    venue = catalog.find_venue(venue_id)
    service = catalog.get_service(venue.business_id, venue.venue_id, service_id)
    if specialist_id is not None:
        if service.specialist_ids and specialist_id not in service.specialist_ids:
            raise errors.NotFound("This specialist does not perform this service")
        if not catalog.get_specialists(venue.business_id, venue.venue_id, [specialist_id]):
            raise errors.NotFound("No such specialist")
    entry = store.Entry(
        entry_id=uuid.uuid4().hex,
        user_id=principal.user_id,
        business_id=venue.business_id,
        venue_id=venue.venue_id,
        service_id=service.service_id,
        specialist_id=specialist_id,
        window_start=start,
        window_end=end,
        joined_at=now,
    )
    store.add(entry)
    return entry


def mine(principal: Principal, now: datetime) -> list[store.Entry]:
    """One Query (GSI1, the caller's partition)."""
    return store.of_user(principal.user_id, now)


def leave(principal: Principal, entry_id: str, now: datetime) -> None:
    """Calls: Query GSI1 + DeleteItem (+ UpdateItem per held lock, when an offer was open)."""
    entry = store.find(principal.user_id, entry_id, now)
    if entry is None:
        raise errors.NotFound("No such waitlist entry")
    store.remove(entry)
    _release(entry)


def _release(entry: store.Entry) -> None:
    if entry.offer_hold and entry.offer_start and entry.offer_specialist_id:
        interval = _held_interval(entry)
        if interval is not None:
            booking_store.release_hold(entry.business_id, entry.offer_specialist_id, interval, entry.offer_hold)


def _held_interval(entry: store.Entry) -> availability.Interval | None:
    from chalicelib.store import catalog

    try:
        service = catalog.get_service(entry.business_id, entry.venue_id, entry.service_id)
    except errors.NotFound:
        return None
    return availability.occupied_interval(service, entry.offer_start or entry.window_start)


def process_venue(business_id: str, venue_id: str, now: datetime) -> int:
    """Offer opened slots to the venue's waitlist, in join order; returns how many offers were
    made. An entry whose window passed is removed. A lapsed offer's hold is released, its start
    is never offered to that entry again, and the entry waits for a later run (the turn passes
    to the next in line). An entry without an open offer is offered the earliest free start in
    its window (availability over the same locks, holds included) with one TransactWriteItems:
    the hold in every touched lock (version-checked), the entry's offer (conditional) and the
    offer's domain event. Calls: GetItem venue + Query catalog + Query entries + per entry to
    offer: one Query per candidate (busy intervals) + BatchGetItem locks + TransactWriteItems."""
    from chalicelib.settings import get_settings
    from chalicelib.store import catalog

    try:
        venue = catalog.get_venue(business_id, venue_id)
    except errors.NotFound:
        return 0
    services, specialists = catalog.venue_catalog(business_id, venue_id)
    by_id = {s.service_id: s for s in services}
    hold_for = timedelta(minutes=get_settings().waitlist_hold_minutes)
    offered = 0
    for entry in store.of_venue(business_id, venue_id):
        if entry.window_end <= now:
            store.remove(entry)
            _release(entry)
            continue
        if entry.open_offer(now):
            continue
        if entry.offer_hold is not None:
            # Lapsed: release the hold and pass the turn to the next in line (this entry is
            # offered again, never the same start, at a later opening).
            _release(entry)
            store.lapse(entry)
            continue
        service = by_id.get(entry.service_id)
        if service is None:
            continue
        candidates = [
            s
            for s in specialists
            if (not service.specialist_ids or s.specialist_id in service.specialist_ids)
            and (entry.specialist_id is None or s.specialist_id == entry.specialist_id)
        ]
        if candidates and _offer(venue, service, candidates, entry, now, hold_for):
            offered += 1
    return offered


def _offer(
    venue: Venue, service: Service, candidates: list[Specialist], entry: store.Entry, now: datetime, hold_for: timedelta
) -> bool:
    """Hold the earliest free start in the entry's window for it (one transaction); False when
    none fits or a concurrent writer got there first (the next run tries again)."""
    first_day = availability.local_date(venue, max(entry.window_start, now))
    last_day = availability.local_date(venue, entry.window_end)
    lo, hi = availability.day_bounds(venue, first_day, last_day)
    ids = [c.specialist_id for c in candidates]
    busy = booking_store.busy_intervals(
        venue.business_id, venue.venue_id, ids, lo - timedelta(days=1), hi + timedelta(days=1), now
    )
    duration = timedelta(minutes=service.duration_minutes)
    slots = availability.union_free_starts(venue, service, candidates, busy, first_day, last_day, now)
    fitting = [
        (start, who)
        for start, who in slots
        if entry.window_start <= start and start + duration <= entry.window_end
        and codec.encode(start) not in entry.passed
    ]  # fmt: skip
    if not fitting:
        return False
    start, who = fitting[0]
    specialist_id = who[0]
    interval = availability.occupied_interval(service, start)
    days = lock_days(interval)
    expires = now + hold_for
    key = store.hold_key(entry.entry_id, expires)
    locks, _ = booking_store.read_locks_and_discount(venue.business_id, {specialist_id: days}, None, now)
    occupied: dict[str, availability.Interval] = {}
    for day in days:
        occupied.update(locks[(specialist_id, day)].occupied)
    if first_overlap(interval, occupied) is not None:
        return False
    tx = db.Transaction()
    booking_store.place_hold(tx, venue.business_id, [locks[(specialist_id, day)] for day in days], key, interval)
    store.offer_in(tx, entry, start, specialist_id, key, expires)
    _record_offer(tx, venue, service, entry, start, now)
    try:
        booking_store.commit_hold(tx)
    except (booking_store.LockConflict, booking_store.OfferGone, booking_store.BookingChanged):
        return False
    return True


def _record_offer(
    tx: db.Transaction, venue: Venue, service: Service, entry: store.Entry, start: datetime, now: datetime
) -> None:
    """The offer's domain event, in the hold's transaction: its subscriber sends the
    notification (Category WAITLIST); the id names the entry and the start (one per offer)."""
    from chalicelib.services import events
    from chalicelib.settings import get_settings

    payload = {
        "entry_id": entry.entry_id,
        "user_id": entry.user_id,
        "business_id": entry.business_id,
        "venue_name": venue.name,
        "service_name": service.name,
        "start": start.astimezone(UTC).isoformat(),
        "timezone": venue.timezone,
        "hold_minutes": str(get_settings().waitlist_hold_minutes),
    }
    event_id = f"{entry.entry_id}:offered:{start.astimezone(UTC).strftime('%Y%m%dT%H%MZ')}"
    events.record(tx, events.DomainEvent(OFFERED, event_id, payload), now)


def notify_offer(payload: dict[str, str], event_id: str) -> None:
    """The offer's message to the customer (one SQS message; its id is the event's)."""
    from chalicelib.notify import producer
    from chalicelib.notify.messages import Category, NotificationMessage

    params = {k: payload[k] for k in ("venue_name", "service_name", "start", "timezone", "hold_minutes")}
    producer.enqueue(
        NotificationMessage(
            notification_id=event_id,
            kind=OFFERED,
            category=Category.WAITLIST,
            user_id=payload["user_id"],
            partner_id=payload["business_id"],
            params=params,
        )
    )


def process_lapsed(now: datetime) -> int:
    """The schedule: every venue with an offer that lapsed by ``now`` is processed again
    (its next entry offered). Calls: one Query (GSI2 open offers) + process_venue's per venue."""
    return sum(process_venue(business_id, venue_id, now) for business_id, venue_id in store.offers_due(now))


def open_offer_for(principal: Principal, entry_id: str, now: datetime) -> store.Entry:
    """The caller's entry with its open offer (a booking takes it): 409 when there is none."""
    from chalicelib.domain.bookings import SlotTaken

    entry = store.find(principal.user_id, entry_id, now)
    if entry is None or not entry.open_offer(now) or entry.offer_start is None:
        raise SlotTaken("The waitlist offer is no longer open")
    return entry


def book_offer(principal: Principal, entry_id: str, idempotency_key: str | None, now: datetime) -> Any:
    """Take the slot an open offer holds for the caller: a booking of exactly that start,
    service and specialist (services/bookings.create_booking with the entry: the claim
    replaces the hold and the entry leaves, in one transaction). 409 once the offer lapsed.
    Calls: Query GSI1 (the offer) + create_booking's (one Query GSI1 more for the entry)."""
    from chalicelib.services import bookings

    entry = open_offer_for(principal, entry_id, now)
    request = bookings.NewBooking(
        venue_id=entry.venue_id,
        service_id=entry.service_id,
        start=entry.offer_start or entry.window_start,
        specialist_id=entry.offer_specialist_id,
        waitlist_entry_id=entry.entry_id,
    )
    return bookings.create_booking(principal, request, idempotency_key, now)
