"""Venues, services and specialists of a business (staff side).

Every function first checks the caller's role in the business named in the path (one
GetItem), then touches only keys under that business: another tenant's ids are simply
not found (SEC-5). Managers and owners change the catalog; a specialist may change only
their own schedule. Changes to venues, prices, schedules are audited under the business:
the audit record is one more put in the change's own TransactWriteItems (a single put or
delete today is a one-action transaction plus the record), so both commit or neither does.

The API builds the commands below (``NewVenue``, ``VenueChanges``, ...) from its request
models; a ``...Changes`` names only the fields the client sent (the others are ``UNSET``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain.availability import is_known_zone
from chalicelib.domain.catalog import (
    MAX_NAMED_SPECIALISTS,
    DateException,
    Service,
    Specialist,
    TimeOff,
    Venue,
    WorkingPlan,
)
from chalicelib.domain.changes import UNSET, Unset, sent
from chalicelib.domain.identity import Principal, Role
from chalicelib.errors import FieldError
from chalicelib.privacy import audit
from chalicelib.services.authz import ANY_STAFF, MANAGERS, require_staff
from chalicelib.store import catalog as store
from chalicelib.store import db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Issue #18 follow-up: a change that may open bookable time (a specialist's hours, exceptions
# or time off; a venue's grid, notice or horizon) records this event in its own transaction;
# the waitlist subscriber offers the venue's waitlist the newly opened starts.
SCHEDULE_CHANGED = "catalog.schedule_changed"
_VENUE_OPENING_FIELDS = frozenset({"slot_interval_minutes", "min_notice_minutes", "horizon_days"})


def _schedule_event(
    tx: db.Transaction, business_id: str, venue_id: str, subject: str, revision: int, now: datetime
) -> None:
    """The schedule change's domain event, in the change's transaction (event id: the
    changed item and its new revision, so a retried change records it once)."""
    from chalicelib.services import events

    payload = {"business_id": business_id, "venue_id": venue_id, "subject": subject}
    events.record(tx, events.DomainEvent(SCHEDULE_CHANGED, f"{subject}:schedule:r{revision}", payload), now)


# --- commands ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NewVenue:
    name: str
    address: str
    city: str
    timezone: str  # IANA name; checked here
    latitude: float | None
    longitude: float | None
    categories: tuple[str, ...]
    slot_interval_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancellation_notice_minutes: int


@dataclass(frozen=True, kw_only=True)
class VenueChanges:
    """``None`` clears latitude and longitude; for any other field it is refused."""

    name: str | Unset | None = UNSET
    address: str | Unset | None = UNSET
    city: str | Unset | None = UNSET
    timezone: str | Unset | None = UNSET
    latitude: float | Unset | None = UNSET
    longitude: float | Unset | None = UNSET
    categories: tuple[str, ...] | Unset | None = UNSET
    slot_interval_minutes: int | Unset | None = UNSET
    min_notice_minutes: int | Unset | None = UNSET
    horizon_days: int | Unset | None = UNSET
    cancellation_notice_minutes: int | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class NewService:
    name: str
    duration_minutes: int
    price_minor: int
    currency: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    specialist_ids: tuple[str, ...]  # empty: every specialist


@dataclass(frozen=True, kw_only=True)
class ServiceChanges:
    """``None`` is refused for every field."""

    name: str | Unset | None = UNSET
    duration_minutes: int | Unset | None = UNSET
    price_minor: int | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    buffer_before_minutes: int | Unset | None = UNSET
    buffer_after_minutes: int | Unset | None = UNSET
    specialist_ids: tuple[str, ...] | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class NewSpecialist:
    name: str
    user_id: str | None
    plan: WorkingPlan
    exceptions: tuple[DateException, ...]  # at most one per day, in any order
    time_off: tuple[TimeOff, ...]  # in any order


@dataclass(frozen=True, kw_only=True)
class SpecialistChanges:
    """``None`` clears the user id, is refused for the name and leaves a schedule part as it is.
    Given schedule parts replace what is stored."""

    name: str | Unset | None = UNSET
    user_id: str | Unset | None = UNSET
    plan: WorkingPlan | Unset | None = UNSET
    exceptions: tuple[DateException, ...] | Unset | None = UNSET
    time_off: tuple[TimeOff, ...] | Unset | None = UNSET


def _audit(
    principal: Principal,
    business_id: str,
    action: str,
    entity: str,
    entity_id: str,
    now: datetime,
    summary: dict[str, str] | None = None,
) -> db.Transaction:
    """A transaction holding the change's audit record; the store adds the change and commits
    (one TransactWriteItems: the change and its record, or neither)."""
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=now,
        summary=summary,
    )
    return tx


def _check_zone(name: str) -> None:
    if not is_known_zone(name):
        raise errors.InvalidInput([FieldError("timezone", "not an IANA time zone name, e.g. Asia/Baku")])


def _store_naming_specialists(store_call: Any, service: Service, named: tuple[str, ...]) -> Service:
    """Run ``store_call(service, named)``: UnknownSpecialists becomes a 422 on
    ``specialist_ids`` naming each missing one."""
    if len(named) > MAX_NAMED_SPECIALISTS:
        raise errors.InvalidInput([FieldError("specialist_ids", f"at most {MAX_NAMED_SPECIALISTS} specialists")])
    try:
        saved: Service = store_call(service, named)
    except store.UnknownSpecialists as exc:
        missing = f"no such specialist at this venue: {', '.join(exc.ids)}"
        raise errors.InvalidInput([FieldError("specialist_ids", missing)]) from None
    return saved


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise errors.InvalidInput([FieldError("latitude", "give both latitude and longitude, or neither")])


# --- venues --------------------------------------------------------------------------


def create_venue(principal: Principal, business_id: str, form: NewVenue, now: datetime) -> Venue:
    require_staff(principal, business_id, MANAGERS)
    _check_zone(form.timezone)
    _check_coordinates(form.latitude, form.longitude)
    venue = Venue(
        business_id=business_id,
        venue_id=store.new_id(),
        name=form.name,
        address=form.address,
        city=form.city,
        timezone=form.timezone,
        latitude=form.latitude,
        longitude=form.longitude,
        categories=tuple(dict.fromkeys(form.categories)),
        slot_interval_minutes=form.slot_interval_minutes,
        min_notice_minutes=form.min_notice_minutes,
        horizon_days=form.horizon_days,
        cancellation_notice_minutes=form.cancellation_notice_minutes,
    )
    return store.create_venue(
        venue, now, tx=_audit(principal, business_id, "venue.create", "venue", venue.venue_id, now)
    )


def get_venue(principal: Principal, business_id: str, venue_id: str) -> Venue:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_venue(business_id, venue_id)


def list_venues(
    principal: Principal, business_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Venue], dict[str, Any] | None]:
    require_staff(principal, business_id, ANY_STAFF)
    return store.list_venues(business_id, limit, after)


def update_venue(principal: Principal, business_id: str, venue_id: str, patch: VenueChanges, now: datetime) -> Venue:
    require_staff(principal, business_id, MANAGERS)
    current = store.get_venue(business_id, venue_id)
    changes = sent(patch)
    for name in (
        "name",
        "address",
        "city",
        "timezone",
        "categories",
        "slot_interval_minutes",
        "min_notice_minutes",
        "horizon_days",
        "cancellation_notice_minutes",
    ):
        if name in changes and changes[name] is None:
            raise errors.InvalidInput([FieldError(name, "cannot be cleared")])
    if "timezone" in changes:
        _check_zone(changes["timezone"])
    if "categories" in changes:
        changes["categories"] = tuple(dict.fromkeys(changes["categories"]))
    updated = replace(current, **changes)
    _check_coordinates(updated.latitude, updated.longitude)
    if updated == current:
        return current
    summary = {"fields": ",".join(sorted(changes))}
    tx = _audit(principal, business_id, "venue.update", "venue", venue_id, now, summary)
    if changes.keys() & _VENUE_OPENING_FIELDS:
        _schedule_event(tx, business_id, venue_id, f"venue:{venue_id}", current.revision + 1, now)
    return store.save_venue(current, updated, tx=tx)


def delete_venue(principal: Principal, business_id: str, venue_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    venue = store.get_venue(business_id, venue_id)
    store.delete_venue(venue, now, tx=_audit(principal, business_id, "venue.delete", "venue", venue_id, now))


# --- services ------------------------------------------------------------------------


def create_service(principal: Principal, business_id: str, venue_id: str, form: NewService, now: datetime) -> Service:
    require_staff(principal, business_id, MANAGERS)
    service = Service(
        business_id=business_id,
        venue_id=venue_id,
        service_id=store.new_id(),
        name=form.name,
        duration_minutes=form.duration_minutes,
        price_minor=form.price_minor,
        currency=form.currency,
        buffer_before_minutes=form.buffer_before_minutes,
        buffer_after_minutes=form.buffer_after_minutes,
        specialist_ids=tuple(dict.fromkeys(form.specialist_ids)),
    )
    tx = _audit(
        principal,
        business_id,
        "service.create",
        "service",
        service.service_id,
        now,
        {"price_minor": str(service.price_minor), "currency": service.currency},
    )
    return _store_naming_specialists(
        lambda svc, named: store.create_service(svc, named, tx=tx), service, service.specialist_ids
    )


def list_services(principal: Principal, business_id: str, venue_id: str) -> list[Service]:
    require_staff(principal, business_id, ANY_STAFF)
    store.get_venue(business_id, venue_id)
    services, _ = store.venue_catalog(business_id, venue_id)
    return services


def get_service(principal: Principal, business_id: str, venue_id: str, service_id: str) -> Service:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_service(business_id, venue_id, service_id)


def update_service(
    principal: Principal, business_id: str, venue_id: str, service_id: str, patch: ServiceChanges, now: datetime
) -> Service:
    require_staff(principal, business_id, MANAGERS)
    current = store.get_service(business_id, venue_id, service_id)
    changes = sent(patch)
    for name, value in changes.items():
        if value is None:
            raise errors.InvalidInput([FieldError(name, "cannot be cleared")])
    if "specialist_ids" in changes:
        changes["specialist_ids"] = tuple(dict.fromkeys(changes["specialist_ids"]))
    updated = replace(current, **changes)
    if updated == current:
        return current
    named = updated.specialist_ids if "specialist_ids" in changes else ()
    summary = {"fields": ",".join(sorted(changes))}
    if (updated.price_minor, updated.currency) != (current.price_minor, current.currency):
        summary |= {
            "price_minor": str(updated.price_minor),
            "currency": updated.currency,
            "previous_price_minor": str(current.price_minor),
            "previous_currency": current.currency,
        }
    tx = _audit(principal, business_id, "service.update", "service", service_id, now, summary)
    return _store_naming_specialists(lambda svc, names: store.save_service(svc, names, tx=tx), updated, named)


def delete_service(principal: Principal, business_id: str, venue_id: str, service_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    service = store.get_service(business_id, venue_id, service_id)
    store.delete_service(service, now, tx=_audit(principal, business_id, "service.delete", "service", service_id, now))


# --- specialists ---------------------------------------------------------------------


def _schedule_fields(
    plan: WorkingPlan | Unset | None,
    exceptions: tuple[DateException, ...] | Unset | None,
    time_off: tuple[TimeOff, ...] | Unset | None,
) -> dict[str, Any]:
    """The Specialist fields a schedule sets (UNSET or None: left as they are), in order."""
    fields: dict[str, Any] = {}
    if isinstance(plan, WorkingPlan):
        fields["plan"] = plan
    if isinstance(exceptions, tuple):
        days = [e.day for e in exceptions]
        if len(days) != len(set(days)):
            raise errors.InvalidInput([FieldError("exceptions", "one exception per date")])
        fields["exceptions"] = tuple(sorted(exceptions, key=lambda e: e.day))
    if isinstance(time_off, tuple):
        fields["time_off"] = tuple(sorted(time_off, key=lambda t: t.start))
    return fields


def create_specialist(
    principal: Principal, business_id: str, venue_id: str, form: NewSpecialist, now: datetime
) -> Specialist:
    require_staff(principal, business_id, MANAGERS)
    specialist = Specialist(
        business_id=business_id,
        venue_id=venue_id,
        specialist_id=store.new_id(),
        name=form.name,
        user_id=form.user_id,
        **_schedule_fields(form.plan, form.exceptions, form.time_off),
    )
    tx = _audit(principal, business_id, "specialist.create", "specialist", specialist.specialist_id, now)
    return store.create_specialist(specialist, tx=tx)


def list_specialists(principal: Principal, business_id: str, venue_id: str) -> list[Specialist]:
    require_staff(principal, business_id, ANY_STAFF)
    store.get_venue(business_id, venue_id)
    return store.get_specialists(business_id, venue_id, None)


def get_specialist(principal: Principal, business_id: str, venue_id: str, specialist_id: str) -> Specialist:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_specialist(business_id, venue_id, specialist_id)


def update_specialist(
    principal: Principal,
    business_id: str,
    venue_id: str,
    specialist_id: str,
    patch: SpecialistChanges,
    now: datetime,
) -> Specialist:
    role = require_staff(principal, business_id, ANY_STAFF)
    current = store.get_specialist(business_id, venue_id, specialist_id)
    given = sent(patch)
    if role is Role.SPECIALIST and (current.user_id != principal.user_id or given.keys() & {"name", "user_id"}):
        raise errors.Forbidden("Specialists may change only their own schedule")
    changes = _schedule_fields(patch.plan, patch.exceptions, patch.time_off)
    for name in ("name", "user_id"):
        if name in given:
            changes[name] = given[name]
    if "name" in changes and changes["name"] is None:
        raise errors.InvalidInput([FieldError("name", "cannot be cleared")])
    updated = replace(current, **changes)
    if updated == current:
        return current
    schedule = sorted({"plan": "weekly"}.get(k, k) for k in changes if k in ("plan", "exceptions", "time_off"))
    action = "specialist.schedule_change" if schedule else "specialist.update"
    tx = _audit(
        principal,
        business_id,
        action,
        "specialist",
        specialist_id,
        now,
        {"fields": ",".join(sorted({"plan": "weekly"}.get(k, k) for k in changes))},
    )
    if schedule:
        _schedule_event(tx, business_id, venue_id, f"specialist:{specialist_id}", current.revision + 1, now)
    return store.save_specialist(updated, tx=tx)


def delete_specialist(principal: Principal, business_id: str, venue_id: str, specialist_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    specialist = store.get_specialist(business_id, venue_id, specialist_id)
    tx = _audit(principal, business_id, "specialist.delete", "specialist", specialist_id, now)
    store.delete_specialist(specialist, now, tx=tx)
