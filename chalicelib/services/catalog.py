"""Venues, services and specialists of a business (staff side).

Every function first checks the caller's role in the business named in the path (one
GetItem), then touches only keys under that business: another tenant's ids are simply
not found (SEC-5). Managers and owners change the catalog; a specialist may change only
their own schedule. Changes to venues, prices, schedules are audited under the business.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

from chalicelib import errors
from chalicelib.domain.availability import is_known_zone
from chalicelib.domain.catalog import (
    DateException,
    Service,
    Specialist,
    TimeOff,
    TimeRange,
    Venue,
    WorkingPlan,
)
from chalicelib.domain.identity import Principal, Role
from chalicelib.errors import FieldError
from chalicelib.privacy import audit
from chalicelib.schemas.catalog import (
    ServiceCreate,
    ServicePatch,
    SpecialistCreate,
    SpecialistPatch,
    TimeRangeIn,
    VenueCreate,
    VenuePatch,
    WeeklyPlan,
)
from chalicelib.security.authz import ANY_STAFF, MANAGERS, require_staff
from chalicelib.store import catalog as store

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _audit(
    principal: Principal,
    business_id: str,
    action: str,
    entity: str,
    entity_id: str,
    now: datetime,
    summary: dict[str, str] | None = None,
) -> None:
    audit.record(
        tenant=business_id,
        actor=principal.user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=now,
        summary=summary,
    )


def _check_zone(name: str) -> None:
    if not is_known_zone(name):
        raise errors.InvalidInput([FieldError("timezone", "not an IANA time zone name, e.g. Asia/Baku")])


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise errors.InvalidInput([FieldError("latitude", "give both latitude and longitude, or neither")])


# --- venues --------------------------------------------------------------------------


def create_venue(principal: Principal, business_id: str, form: VenueCreate, now: datetime) -> Venue:
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
    created = store.create_venue(venue, now)
    _audit(principal, business_id, "venue.create", "venue", created.venue_id, now)
    return created


def get_venue(principal: Principal, business_id: str, venue_id: str) -> Venue:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_venue(business_id, venue_id)


def list_venues(
    principal: Principal, business_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Venue], dict[str, Any] | None]:
    require_staff(principal, business_id, ANY_STAFF)
    return store.list_venues(business_id, limit, after)


def update_venue(principal: Principal, business_id: str, venue_id: str, patch: VenuePatch, now: datetime) -> Venue:
    require_staff(principal, business_id, MANAGERS)
    current = store.get_venue(business_id, venue_id)
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
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
    saved = store.save_venue(current, updated)
    _audit(principal, business_id, "venue.update", "venue", venue_id, now, {"fields": ",".join(sorted(changes))})
    return saved


def delete_venue(principal: Principal, business_id: str, venue_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    store.delete_venue(store.get_venue(business_id, venue_id))
    _audit(principal, business_id, "venue.delete", "venue", venue_id, now)


# --- services ------------------------------------------------------------------------


def create_service(
    principal: Principal, business_id: str, venue_id: str, form: ServiceCreate, now: datetime
) -> Service:
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
    created = store.create_service(service)
    _audit(
        principal,
        business_id,
        "service.create",
        "service",
        created.service_id,
        now,
        {"price_minor": str(created.price_minor), "currency": created.currency},
    )
    return created


def list_services(principal: Principal, business_id: str, venue_id: str) -> list[Service]:
    require_staff(principal, business_id, ANY_STAFF)
    store.get_venue(business_id, venue_id)
    services, _ = store.venue_catalog(business_id, venue_id)
    return services


def get_service(principal: Principal, business_id: str, venue_id: str, service_id: str) -> Service:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_service(business_id, venue_id, service_id)


def update_service(
    principal: Principal, business_id: str, venue_id: str, service_id: str, patch: ServicePatch, now: datetime
) -> Service:
    require_staff(principal, business_id, MANAGERS)
    current = store.get_service(business_id, venue_id, service_id)
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    for name, value in changes.items():
        if value is None:
            raise errors.InvalidInput([FieldError(name, "cannot be cleared")])
    if "specialist_ids" in changes:
        changes["specialist_ids"] = tuple(dict.fromkeys(changes["specialist_ids"]))
    updated = replace(current, **changes)
    if updated == current:
        return current
    saved = store.save_service(updated)
    summary = {"fields": ",".join(sorted(changes))}
    if (saved.price_minor, saved.currency) != (current.price_minor, current.currency):
        summary |= {
            "price_minor": str(saved.price_minor),
            "currency": saved.currency,
            "previous_price_minor": str(current.price_minor),
            "previous_currency": current.currency,
        }
    _audit(principal, business_id, "service.update", "service", service_id, now, summary)
    return saved


def delete_service(principal: Principal, business_id: str, venue_id: str, service_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    store.delete_service(store.get_service(business_id, venue_id, service_id))
    _audit(principal, business_id, "service.delete", "service", service_id, now)


# --- specialists ---------------------------------------------------------------------


def _wall(text: str) -> time:
    return time(0) if text == "24:00" else time.fromisoformat(text)


def _ranges(ranges: list[TimeRangeIn]) -> tuple[TimeRange, ...]:
    return tuple(TimeRange(_wall(r.start), _wall(r.end)) for r in ranges)


def working_plan(weekly: WeeklyPlan) -> WorkingPlan:
    hours: dict[int, tuple[TimeRange, ...]] = {}
    breaks: dict[int, tuple[TimeRange, ...]] = {}
    for weekday, name in enumerate(WEEKDAYS):
        day = getattr(weekly, name)
        if day is not None and day.hours:
            hours[weekday] = _ranges(day.hours)
            if day.breaks:
                breaks[weekday] = _ranges(day.breaks)
    return WorkingPlan(hours=hours, breaks=breaks)


def _schedule_fields(form: SpecialistCreate | SpecialistPatch, sent: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "weekly" in sent and form.weekly is not None:
        fields["plan"] = working_plan(form.weekly)
    if "exceptions" in sent and form.exceptions is not None:
        days = [e.date for e in form.exceptions]
        if len(days) != len(set(days)):
            raise errors.InvalidInput([FieldError("exceptions", "one exception per date")])
        fields["exceptions"] = tuple(
            DateException(day=e.date, hours=_ranges(e.hours)) for e in sorted(form.exceptions, key=lambda e: e.date)
        )
    if "time_off" in sent and form.time_off is not None:
        fields["time_off"] = tuple(
            TimeOff(start=t.start, end=t.end) for t in sorted(form.time_off, key=lambda t: t.start)
        )
    return fields


def create_specialist(
    principal: Principal, business_id: str, venue_id: str, form: SpecialistCreate, now: datetime
) -> Specialist:
    require_staff(principal, business_id, MANAGERS)
    specialist = Specialist(
        business_id=business_id,
        venue_id=venue_id,
        specialist_id=store.new_id(),
        name=form.name,
        user_id=form.user_id,
        **_schedule_fields(form, {"weekly", "exceptions", "time_off"}),
    )
    created = store.create_specialist(specialist)
    _audit(principal, business_id, "specialist.create", "specialist", created.specialist_id, now)
    return created


def list_specialists(principal: Principal, business_id: str, venue_id: str) -> list[Specialist]:
    require_staff(principal, business_id, ANY_STAFF)
    store.get_venue(business_id, venue_id)
    return store.get_specialists(business_id, venue_id, None)


def get_specialist(principal: Principal, business_id: str, venue_id: str, specialist_id: str) -> Specialist:
    require_staff(principal, business_id, ANY_STAFF)
    return store.get_specialist(business_id, venue_id, specialist_id)


def update_specialist(
    principal: Principal, business_id: str, venue_id: str, specialist_id: str, patch: SpecialistPatch, now: datetime
) -> Specialist:
    role = require_staff(principal, business_id, ANY_STAFF)
    current = store.get_specialist(business_id, venue_id, specialist_id)
    sent = set(patch.model_fields_set)
    if role is Role.SPECIALIST and (current.user_id != principal.user_id or sent & {"name", "user_id"}):
        raise errors.Forbidden("Specialists may change only their own schedule")
    changes = _schedule_fields(patch, sent)
    for name in ("name", "user_id"):
        if name in sent:
            changes[name] = getattr(patch, name)
    if "name" in changes and changes["name"] is None:
        raise errors.InvalidInput([FieldError("name", "cannot be cleared")])
    updated = replace(current, **changes)
    if updated == current:
        return current
    saved = store.save_specialist(updated)
    schedule = sorted({"plan": "weekly"}.get(k, k) for k in changes if k in ("plan", "exceptions", "time_off"))
    action = "specialist.schedule_change" if schedule else "specialist.update"
    _audit(
        principal,
        business_id,
        action,
        "specialist",
        specialist_id,
        now,
        {"fields": ",".join(sorted({"plan": "weekly"}.get(k, k) for k in changes))},
    )
    return saved


def delete_specialist(principal: Principal, business_id: str, venue_id: str, specialist_id: str, now: datetime) -> None:
    require_staff(principal, business_id, MANAGERS)
    store.delete_specialist(store.get_specialist(business_id, venue_id, specialist_id))
    _audit(principal, business_id, "specialist.delete", "specialist", specialist_id, now)
