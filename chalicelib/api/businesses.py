"""Business side: the business (tenant), its staff, venues, services and specialists.

Every route under /v1/businesses/{business_id} checks the caller's role in that business
first; another tenant's staff get 404 and customers 403 (SEC-5, see services/authz.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.catalog import (
    Business,
    DateException,
    PaymentDetails,
    Service,
    Specialist,
    TimeOff,
    TimeRange,
    Venue,
    WorkingPlan,
)
from chalicelib.domain.changes import UNSET, Unset
from chalicelib.domain.identity import Role
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.schemas import catalog as schemas
    from chalicelib.schemas import pagination as paging
    from chalicelib.services import businesses, catalog
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    businesses = lazy_import("chalicelib.services.businesses")
    catalog = lazy_import("chalicelib.services.catalog")
    schemas = lazy_import("chalicelib.schemas.catalog")
    paging = lazy_import("chalicelib.schemas.pagination")

blueprint = Blueprint(__name__)
TAGS = ["businesses"]
BIZ = "/v1/businesses/{business_id}"
VENUE = BIZ + "/venues/{venue_id}"
# Errors every tenant route can answer: signed out, not allowed (role / customer), not found
# (including "another tenant's"), changed meanwhile.
READ_ERRORS = [401, 403, 404]
WRITE_ERRORS = [401, 403, 404, 409]


# --- requests -> commands ------------------------------------------------------------

T = TypeVar("T")
U = TypeVar("U")


def _sent(patch: BaseModel, name: str) -> Any:
    """A PATCH field as the commands take it: its value (``None`` included), or UNSET when
    the client did not send it."""
    return getattr(patch, name) if name in patch.model_fields_set else UNSET


def _map(value: T | Unset | None, convert: Callable[[T], U]) -> U | Unset | None:
    return value if value is None or isinstance(value, Unset) else convert(value)


def payment_details(form: schemas.PaymentDetailsIn) -> PaymentDetails:
    return PaymentDetails(account_holder=form.account_holder, iban=form.iban, bic=form.bic)


def new_business(body: schemas.BusinessCreate) -> businesses.NewBusiness:
    return businesses.NewBusiness(
        name=body.name,
        address=body.address,
        tax_number=body.tax_number,
        payment_details=None if body.payment_details is None else payment_details(body.payment_details),
    )


def business_changes(body: schemas.BusinessPatch) -> businesses.BusinessChanges:
    return businesses.BusinessChanges(
        name=_sent(body, "name"),
        address=_sent(body, "address"),
        tax_number=_sent(body, "tax_number"),
        payment_details=_map(_sent(body, "payment_details"), payment_details),
    )


def new_staff_member(body: schemas.StaffInvite) -> businesses.NewStaffMember:
    return businesses.NewStaffMember(role=Role(body.role), user_id=body.user_id, phone=body.phone)


def new_venue(body: schemas.VenueCreate) -> catalog.NewVenue:
    return catalog.NewVenue(
        name=body.name,
        address=body.address,
        city=body.city,
        timezone=body.timezone,
        latitude=body.latitude,
        longitude=body.longitude,
        categories=tuple(body.categories),
        slot_interval_minutes=body.slot_interval_minutes,
        min_notice_minutes=body.min_notice_minutes,
        horizon_days=body.horizon_days,
        cancellation_notice_minutes=body.cancellation_notice_minutes,
    )


def venue_changes(body: schemas.VenuePatch) -> catalog.VenueChanges:
    return catalog.VenueChanges(
        name=_sent(body, "name"),
        address=_sent(body, "address"),
        city=_sent(body, "city"),
        timezone=_sent(body, "timezone"),
        latitude=_sent(body, "latitude"),
        longitude=_sent(body, "longitude"),
        categories=_map(_sent(body, "categories"), tuple),
        slot_interval_minutes=_sent(body, "slot_interval_minutes"),
        min_notice_minutes=_sent(body, "min_notice_minutes"),
        horizon_days=_sent(body, "horizon_days"),
        cancellation_notice_minutes=_sent(body, "cancellation_notice_minutes"),
    )


def new_service(body: schemas.ServiceCreate) -> catalog.NewService:
    return catalog.NewService(
        name=body.name,
        duration_minutes=body.duration_minutes,
        price_minor=body.price_minor,
        currency=body.currency,
        buffer_before_minutes=body.buffer_before_minutes,
        buffer_after_minutes=body.buffer_after_minutes,
        specialist_ids=tuple(body.specialist_ids),
    )


def service_changes(body: schemas.ServicePatch) -> catalog.ServiceChanges:
    return catalog.ServiceChanges(
        name=_sent(body, "name"),
        duration_minutes=_sent(body, "duration_minutes"),
        price_minor=_sent(body, "price_minor"),
        currency=_sent(body, "currency"),
        buffer_before_minutes=_sent(body, "buffer_before_minutes"),
        buffer_after_minutes=_sent(body, "buffer_after_minutes"),
        specialist_ids=_map(_sent(body, "specialist_ids"), tuple),
    )


def _wall(text: str) -> time:
    return time(0) if text == "24:00" else time.fromisoformat(text)


def _time_ranges(ranges: list[schemas.TimeRangeIn]) -> tuple[TimeRange, ...]:
    return tuple(TimeRange(_wall(r.start), _wall(r.end)) for r in ranges)


def working_plan(weekly: schemas.WeeklyPlan) -> WorkingPlan:
    hours: dict[int, tuple[TimeRange, ...]] = {}
    breaks: dict[int, tuple[TimeRange, ...]] = {}
    for weekday, name in enumerate(catalog.WEEKDAYS):
        day = getattr(weekly, name)
        if day is not None and day.hours:
            hours[weekday] = _time_ranges(day.hours)
            if day.breaks:
                breaks[weekday] = _time_ranges(day.breaks)
    return WorkingPlan(hours=hours, breaks=breaks)


def date_exceptions(exceptions: list[schemas.DateExceptionIn]) -> tuple[DateException, ...]:
    return tuple(DateException(day=e.date, hours=_time_ranges(e.hours)) for e in exceptions)


def time_off(periods: list[schemas.TimeOffIn]) -> tuple[TimeOff, ...]:
    return tuple(TimeOff(start=t.start, end=t.end) for t in periods)


def new_specialist(body: schemas.SpecialistCreate) -> catalog.NewSpecialist:
    return catalog.NewSpecialist(
        name=body.name,
        user_id=body.user_id,
        plan=working_plan(body.weekly),
        exceptions=date_exceptions(body.exceptions),
        time_off=time_off(body.time_off),
    )


def specialist_changes(body: schemas.SpecialistPatch) -> catalog.SpecialistChanges:
    return catalog.SpecialistChanges(
        name=_sent(body, "name"),
        user_id=_sent(body, "user_id"),
        plan=_map(_sent(body, "weekly"), working_plan),
        exceptions=_map(_sent(body, "exceptions"), date_exceptions),
        time_off=_map(_sent(body, "time_off"), time_off),
    )


# --- mapping -------------------------------------------------------------------------


# SHARE-1, need to know: how much of the business's identifiers each role is shown. Bank
# details and the tax number of a sole trader identify a person; owners run the business
# and see them in full, managers (who may check an invoice) the last 4 characters, and
# specialists, who only serve bookings, nothing of them.
_FULL, _MASKED, _HIDDEN = "full", "masked", "hidden"
_IDENTIFIERS_SHOWN = {Role.OWNER: _FULL, Role.MANAGER: _MASKED, Role.SPECIALIST: _HIDDEN}


def _shown(value: str, role: Role) -> str | None:
    shown = _IDENTIFIERS_SHOWN.get(role, _HIDDEN)  # a role added later sees nothing until decided
    if shown == _FULL:
        return value
    if shown == _MASKED:
        return "•" * max(0, len(value) - 4) + value[-4:]
    return None


def _payment_view(payment: PaymentDetails | None, role: Role) -> schemas.PaymentDetailsOut | None:
    iban = None if payment is None else _shown(payment.iban, role)
    if payment is None or iban is None:
        return None
    return schemas.PaymentDetailsOut(account_holder=payment.account_holder, iban=iban, bic=payment.bic)


def business_view(business: Business, role: Role) -> schemas.BusinessOut:
    return schemas.BusinessOut(
        id=business.business_id,
        name=business.name,
        address=business.address,
        tax_number=None if business.tax_number is None else _shown(business.tax_number, role),
        payment_details=_payment_view(business.payment_details, role),
        your_role=role.value,
    )


def staff_view(entry: businesses.StaffEntry) -> schemas.StaffMember:
    return schemas.StaffMember(user_id=entry.user_id, role=entry.role.value, since=entry.since)


def venue_view(venue: Venue) -> schemas.VenueOut:
    return schemas.VenueOut(
        id=venue.venue_id,
        business_id=venue.business_id,
        name=venue.name,
        address=venue.address,
        city=venue.city,
        timezone=venue.timezone,
        latitude=venue.latitude,
        longitude=venue.longitude,
        categories=list(venue.categories),
        slot_interval_minutes=venue.slot_interval_minutes,
        min_notice_minutes=venue.min_notice_minutes,
        horizon_days=venue.horizon_days,
        cancellation_notice_minutes=venue.cancellation_notice_minutes,
    )


def service_view(service: Service) -> schemas.ServiceOut:
    return schemas.ServiceOut(
        id=service.service_id,
        venue_id=service.venue_id,
        name=service.name,
        duration_minutes=service.duration_minutes,
        price_minor=service.price_minor,
        currency=service.currency,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        specialist_ids=list(service.specialist_ids),
    )


def _ranges(ranges: tuple[TimeRange, ...]) -> list[schemas.TimeRangeOut]:
    def hm(value: time, end: bool) -> str:
        text = value.strftime("%H:%M")
        return "24:00" if end and text == "00:00" else text

    return [schemas.TimeRangeOut(start=hm(r.start, False), end=hm(r.end, True)) for r in ranges]


def specialist_view(specialist: Specialist) -> schemas.SpecialistOut:
    plan = specialist.plan
    return schemas.SpecialistOut(
        id=specialist.specialist_id,
        venue_id=specialist.venue_id,
        name=specialist.name,
        user_id=specialist.user_id,
        weekly={
            name: schemas.DayPlanOut(hours=_ranges(plan.hours[day]), breaks=_ranges(plan.breaks.get(day, ())))
            for day, name in enumerate(catalog.WEEKDAYS)
            if plan.hours.get(day)
        },
        exceptions=[schemas.DateExceptionOut(date=e.day, hours=_ranges(e.hours)) for e in specialist.exceptions],
        time_off=[schemas.TimeOffOut(start=t.start, end=t.end) for t in specialist.time_off],
    )


# --- business ------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/businesses",
    "POST",
    summary="Create a business; the caller becomes its owner",
    tags=TAGS,
    status=201,
    errors_=[401, 403, 409],
    auth=True,
)
def create_business(ctx: RequestContext, body: schemas.BusinessCreate) -> schemas.BusinessOut:
    business, role = businesses.create_business(ctx.principal, new_business(body), deps.clock().now())
    return business_view(business, role)


@endpoint(
    blueprint,
    BIZ,
    "GET",
    summary="The business profile",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def get_business(ctx: RequestContext, business_id: str) -> schemas.BusinessOut:
    business, role = businesses.get_business(ctx.principal, business_id)
    return business_view(business, role)


@endpoint(
    blueprint,
    BIZ,
    "PATCH",
    summary="Change the business profile (owners)",
    tags=TAGS,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_business(ctx: RequestContext, business_id: str, body: schemas.BusinessPatch) -> schemas.BusinessOut:
    business, role = businesses.update_business(ctx.principal, business_id, business_changes(body), deps.clock().now())
    return business_view(business, role)


# --- staff ---------------------------------------------------------------------------


@endpoint(
    blueprint,
    BIZ + "/staff",
    "POST",
    summary="Add an existing account as staff (owners: any role; managers: specialists)",
    tags=TAGS,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def add_staff(ctx: RequestContext, business_id: str, body: schemas.StaffInvite) -> schemas.StaffMember:
    return staff_view(businesses.add_staff(ctx.principal, business_id, new_staff_member(body), deps.clock().now()))


@endpoint(
    blueprint,
    BIZ + "/staff",
    "GET",
    summary="The business's staff and their roles",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def list_staff(ctx: RequestContext, business_id: str, query: paging.PageQuery) -> schemas.StaffPage:
    scope = f"staff:{business_id}"
    entries, last_key = businesses.list_staff(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return schemas.StaffPage(
        items=[staff_view(e) for e in entries], next_cursor=pagination.encode(last_key, scope=scope)
    )


@endpoint(
    blueprint,
    BIZ + "/staff/{user_id}",
    "PATCH",
    summary="Change a staff member's role (owners)",
    tags=TAGS,
    errors_=WRITE_ERRORS,
    auth=True,
)
def change_staff_role(
    ctx: RequestContext, business_id: str, user_id: str, body: schemas.StaffRoleChange
) -> schemas.StaffMember:
    entry = businesses.change_staff_role(ctx.principal, business_id, user_id, Role(body.role), deps.clock().now())
    return staff_view(entry)


@endpoint(
    blueprint,
    BIZ + "/staff/{user_id}",
    "DELETE",
    summary="Remove a staff member (owners)",
    tags=TAGS,
    status=204,
    errors_=WRITE_ERRORS,
    auth=True,
)
def remove_staff(ctx: RequestContext, business_id: str, user_id: str) -> None:
    businesses.remove_staff(ctx.principal, business_id, user_id, deps.clock().now())


# --- venues --------------------------------------------------------------------------


@endpoint(
    blueprint,
    BIZ + "/venues",
    "POST",
    summary="Add a venue",
    tags=TAGS,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_venue(ctx: RequestContext, business_id: str, body: schemas.VenueCreate) -> schemas.VenueOut:
    return venue_view(catalog.create_venue(ctx.principal, business_id, new_venue(body), deps.clock().now()))


@endpoint(
    blueprint,
    BIZ + "/venues",
    "GET",
    summary="The business's venues",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def list_venues(ctx: RequestContext, business_id: str, query: paging.PageQuery) -> schemas.VenuePage:
    scope = f"venues:{business_id}"
    venues, last_key = catalog.list_venues(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return schemas.VenuePage(
        items=[venue_view(v) for v in venues], next_cursor=pagination.encode(last_key, scope=scope)
    )


@endpoint(blueprint, VENUE, "GET", summary="A venue", tags=TAGS, errors_=READ_ERRORS, auth=True)
def get_venue(ctx: RequestContext, business_id: str, venue_id: str) -> schemas.VenueOut:
    return venue_view(catalog.get_venue(ctx.principal, business_id, venue_id))


@endpoint(
    blueprint,
    VENUE,
    "PATCH",
    summary="Change a venue",
    tags=TAGS,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_venue(ctx: RequestContext, business_id: str, venue_id: str, body: schemas.VenuePatch) -> schemas.VenueOut:
    return venue_view(
        catalog.update_venue(ctx.principal, business_id, venue_id, venue_changes(body), deps.clock().now())
    )


@endpoint(blueprint, VENUE, "DELETE", summary="Remove a venue", tags=TAGS, status=204, errors_=WRITE_ERRORS, auth=True)
def delete_venue(ctx: RequestContext, business_id: str, venue_id: str) -> None:
    catalog.delete_venue(ctx.principal, business_id, venue_id, deps.clock().now())


# --- services ------------------------------------------------------------------------


@endpoint(
    blueprint,
    VENUE + "/services",
    "POST",
    summary="Add a service to a venue",
    tags=TAGS,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_service(
    ctx: RequestContext, business_id: str, venue_id: str, body: schemas.ServiceCreate
) -> schemas.ServiceOut:
    return service_view(
        catalog.create_service(ctx.principal, business_id, venue_id, new_service(body), deps.clock().now())
    )


@endpoint(
    blueprint,
    VENUE + "/services",
    "GET",
    summary="A venue's services",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def list_services(ctx: RequestContext, business_id: str, venue_id: str) -> schemas.ServiceList:
    return schemas.ServiceList(
        items=[service_view(s) for s in catalog.list_services(ctx.principal, business_id, venue_id)]
    )


@endpoint(
    blueprint,
    VENUE + "/services/{service_id}",
    "GET",
    summary="A service",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def get_service(ctx: RequestContext, business_id: str, venue_id: str, service_id: str) -> schemas.ServiceOut:
    return service_view(catalog.get_service(ctx.principal, business_id, venue_id, service_id))


@endpoint(
    blueprint,
    VENUE + "/services/{service_id}",
    "PATCH",
    summary="Change a service (price changes are audited)",
    tags=TAGS,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_service(
    ctx: RequestContext, business_id: str, venue_id: str, service_id: str, body: schemas.ServicePatch
) -> schemas.ServiceOut:
    now = deps.clock().now()
    return service_view(
        catalog.update_service(ctx.principal, business_id, venue_id, service_id, service_changes(body), now)
    )


@endpoint(
    blueprint,
    VENUE + "/services/{service_id}",
    "DELETE",
    summary="Remove a service",
    tags=TAGS,
    status=204,
    errors_=WRITE_ERRORS,
    auth=True,
)
def delete_service(ctx: RequestContext, business_id: str, venue_id: str, service_id: str) -> None:
    catalog.delete_service(ctx.principal, business_id, venue_id, service_id, deps.clock().now())


# --- specialists ---------------------------------------------------------------------


@endpoint(
    blueprint,
    VENUE + "/specialists",
    "POST",
    summary="Add a specialist with a weekly plan, date exceptions and time off",
    tags=TAGS,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_specialist(
    ctx: RequestContext, business_id: str, venue_id: str, body: schemas.SpecialistCreate
) -> schemas.SpecialistOut:
    now = deps.clock().now()
    return specialist_view(catalog.create_specialist(ctx.principal, business_id, venue_id, new_specialist(body), now))


@endpoint(
    blueprint,
    VENUE + "/specialists",
    "GET",
    summary="A venue's specialists",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def list_specialists(ctx: RequestContext, business_id: str, venue_id: str) -> schemas.SpecialistList:
    found = catalog.list_specialists(ctx.principal, business_id, venue_id)
    return schemas.SpecialistList(items=[specialist_view(s) for s in found])


@endpoint(
    blueprint,
    VENUE + "/specialists/{specialist_id}",
    "GET",
    summary="A specialist and their schedule",
    tags=TAGS,
    errors_=READ_ERRORS,
    auth=True,
)
def get_specialist(ctx: RequestContext, business_id: str, venue_id: str, specialist_id: str) -> schemas.SpecialistOut:
    return specialist_view(catalog.get_specialist(ctx.principal, business_id, venue_id, specialist_id))


@endpoint(
    blueprint,
    VENUE + "/specialists/{specialist_id}",
    "PATCH",
    summary="Change a specialist or their schedule (specialists: their own schedule only)",
    tags=TAGS,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_specialist(
    ctx: RequestContext, business_id: str, venue_id: str, specialist_id: str, body: schemas.SpecialistPatch
) -> schemas.SpecialistOut:
    now = deps.clock().now()
    return specialist_view(
        catalog.update_specialist(ctx.principal, business_id, venue_id, specialist_id, specialist_changes(body), now)
    )


@endpoint(
    blueprint,
    VENUE + "/specialists/{specialist_id}",
    "DELETE",
    summary="Remove a specialist",
    tags=TAGS,
    status=204,
    errors_=WRITE_ERRORS,
    auth=True,
)
def delete_specialist(ctx: RequestContext, business_id: str, venue_id: str, specialist_id: str) -> None:
    catalog.delete_specialist(ctx.principal, business_id, venue_id, specialist_id, deps.clock().now())
