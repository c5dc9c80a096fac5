"""Free start times of a service at a venue, for one specialist or "any" (the union)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib import errors
from chalicelib.domain import availability
from chalicelib.domain.catalog import Service, Venue
from chalicelib.errors import FieldError
from chalicelib.store import catalog

ANY = "any"
MAX_DAYS = 31


@dataclass(frozen=True)
class Availability:
    venue: Venue
    service: Service
    slots: list[tuple[datetime, tuple[str, ...]]]  # UTC start, free specialist ids


def free_slots(
    venue_id: str, service_id: str, specialist_id: str, day_from: date, day_to: date, now: datetime
) -> Availability:
    """DynamoDB calls: GSI1 Query (venue), GetItem (service), GetItem/BatchGetItem or one
    Query (specialists), then the bookings store's busy intervals (one Query per specialist)."""
    from chalicelib.store import bookings

    if day_to < day_from:
        raise errors.InvalidInput([FieldError("to", "must not be before 'from'")])
    if (day_to - day_from).days >= MAX_DAYS:
        raise errors.InvalidInput([FieldError("to", f"at most {MAX_DAYS} days after 'from'")])
    venue = catalog.find_venue(venue_id)
    _within_horizon(venue, day_from, day_to, now)
    service = catalog.get_service(venue.business_id, venue.venue_id, service_id)
    if specialist_id != ANY:
        if service.specialist_ids and specialist_id not in service.specialist_ids:
            raise errors.NotFound("This specialist does not perform this service")
        specialists = catalog.get_specialists(venue.business_id, venue.venue_id, [specialist_id])
    elif service.specialist_ids:
        specialists = catalog.get_specialists(venue.business_id, venue.venue_id, service.specialist_ids)
    else:
        specialists = catalog.get_specialists(venue.business_id, venue.venue_id, None)
    # Busy intervals around the local days (a day's bounds in UTC, widened for long buffers).
    start, end = availability.day_bounds(venue, day_from, day_to)
    busy = (
        bookings.busy_intervals(
            venue.business_id,
            venue.venue_id,
            [s.specialist_id for s in specialists],
            start - timedelta(days=1),
            end + timedelta(days=1),
            now,  # a waitlist hold that expired occupies nothing (store.bookings.hold_active)
        )
        if specialists
        else {}
    )
    slots = availability.union_free_starts(venue, service, specialists, busy, day_from, day_to, now)
    return Availability(venue=venue, service=service, slots=slots)


def _within_horizon(venue: Venue, day_from: date, day_to: date, now: datetime) -> None:
    """The asked days must meet the venue's booking window: its local today up to the date
    ``horizon_days`` ahead (docs/catalog.md). A range reaching past either end is answered for
    the days inside; one wholly outside is refused, naming the field and the horizon."""
    today = availability.local_date(venue, now)
    last = availability.local_date(venue, now + timedelta(days=venue.horizon_days))
    if day_from > last:
        reason = f"after the venue's booking horizon of {venue.horizon_days} days (last bookable date {last})"
        raise errors.InvalidInput([FieldError("from", reason)])
    if day_to < today:
        raise errors.InvalidInput(
            [FieldError("to", f"before today ({today} in the venue's zone): nothing is bookable")]
        )


# --- multi-service visits (issue #18, item 2) ---------------------------------------------------


@dataclass(frozen=True)
class VisitAvailability:
    venue: Venue
    services: list[Service]
    slots: list[availability.ChainSlot]  # visit start, per part (start, free specialist ids)


def free_visit_slots(
    venue_id: str, service_ids: list[str], specialist_id: str, day_from: date, day_to: date, now: datetime
) -> VisitAvailability:
    """Starts where the whole chain of services fits, back to back (``specialist_id`` for the
    first part; later parts: any of their specialists). DynamoDB calls: GSI1 Query (venue),
    one Query (the venue's services and specialists), then one Query per candidate specialist
    (busy intervals from the day locks)."""
    from chalicelib.store import bookings

    if day_to < day_from:
        raise errors.InvalidInput([FieldError("to", "must not be before 'from'")])
    if (day_to - day_from).days >= MAX_DAYS:
        raise errors.InvalidInput([FieldError("to", f"at most {MAX_DAYS} days after 'from'")])
    venue = catalog.find_venue(venue_id)
    _within_horizon(venue, day_from, day_to, now)
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    by_id = {s.service_id: s for s in services}
    missing = [sid for sid in service_ids if sid not in by_id]
    if missing:
        raise errors.NotFound(f"No such service at this venue: {missing[0]}")
    chain = [by_id[sid] for sid in service_ids]
    parts: list[availability.ChainPart] = []
    for index, service in enumerate(chain):
        performing = [s for s in specialists if not service.specialist_ids or s.specialist_id in service.specialist_ids]
        if index == 0 and specialist_id != ANY:
            performing = [s for s in performing if s.specialist_id == specialist_id]
            if not performing:
                raise errors.NotFound("This specialist does not perform this service")
        parts.append((service, performing))
    wanted = sorted({p.specialist_id for _, people in parts for p in people})
    start, end = availability.day_bounds(venue, day_from, day_to)
    span = timedelta(seconds=availability.chain_offsets(chain)[-1])
    busy = (
        bookings.busy_intervals(venue.business_id, venue.venue_id, wanted, start - timedelta(days=1),
                                end + span + timedelta(days=1), now)
        if wanted
        else {}
    )  # fmt: skip
    slots = availability.chain_free_starts(venue, parts, busy, day_from, day_to, now)
    return VisitAvailability(venue=venue, services=chain, slots=slots)
