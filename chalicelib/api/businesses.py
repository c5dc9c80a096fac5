"""Business side: the business (tenant), its staff, venues, services and specialists.

Every route under /v1/businesses/{business_id} checks the caller's role in that business
first; another tenant's staff get 404 and customers 403 (SEC-5, see security/authz.py).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.catalog import Business, PaymentDetails, Service, Specialist, TimeRange, Venue
from chalicelib.domain.identity import Role
from chalicelib.lazy import lazy_import
from chalicelib.schemas.catalog import (
    BusinessCreate,
    BusinessOut,
    BusinessPatch,
    DateExceptionOut,
    DayPlanOut,
    PaymentDetailsOut,
    ServiceCreate,
    ServiceList,
    ServiceOut,
    ServicePatch,
    SpecialistCreate,
    SpecialistList,
    SpecialistOut,
    SpecialistPatch,
    StaffInvite,
    StaffMember,
    StaffPage,
    StaffRoleChange,
    TimeOffOut,
    TimeRangeOut,
    VenueCreate,
    VenueOut,
    VenuePage,
    VenuePatch,
)
from chalicelib.schemas.pagination import PageQuery

if TYPE_CHECKING:
    from chalicelib.services import businesses, catalog
else:  # loaded on first use: keeps the store and the SDK out of cold start
    businesses = lazy_import("chalicelib.services.businesses")
    catalog = lazy_import("chalicelib.services.catalog")

blueprint = Blueprint(__name__)
TAGS = ["businesses"]
BIZ = "/v1/businesses/{business_id}"
VENUE = BIZ + "/venues/{venue_id}"
# Errors every tenant route can answer: signed out, not allowed (role / customer), not found
# (including "another tenant's"), changed meanwhile.
READ_ERRORS = [401, 403, 404]
WRITE_ERRORS = [401, 403, 404, 409]


# --- mapping -------------------------------------------------------------------------


def _payment_view(payment: PaymentDetails | None, role: Role) -> PaymentDetailsOut | None:
    if payment is None:
        return None
    # Bank details of a sole trader identify a person: only owners see them in full.
    iban = payment.iban if role is Role.OWNER else "•" * max(0, len(payment.iban) - 4) + payment.iban[-4:]
    return PaymentDetailsOut(account_holder=payment.account_holder, iban=iban, bic=payment.bic)


def business_view(business: Business, role: Role) -> BusinessOut:
    return BusinessOut(
        id=business.business_id,
        name=business.name,
        address=business.address,
        tax_number=business.tax_number,
        payment_details=_payment_view(business.payment_details, role),
        your_role=role.value,
    )


def staff_view(entry: businesses.StaffEntry) -> StaffMember:
    return StaffMember(user_id=entry.user_id, role=entry.role.value, since=entry.since)


def venue_view(venue: Venue) -> VenueOut:
    return VenueOut(
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


def service_view(service: Service) -> ServiceOut:
    return ServiceOut(
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


def _ranges(ranges: tuple[TimeRange, ...]) -> list[TimeRangeOut]:
    def hm(value: time, end: bool) -> str:
        text = value.strftime("%H:%M")
        return "24:00" if end and text == "00:00" else text

    return [TimeRangeOut(start=hm(r.start, False), end=hm(r.end, True)) for r in ranges]


def specialist_view(specialist: Specialist) -> SpecialistOut:
    plan = specialist.plan
    return SpecialistOut(
        id=specialist.specialist_id,
        venue_id=specialist.venue_id,
        name=specialist.name,
        user_id=specialist.user_id,
        weekly={
            name: DayPlanOut(hours=_ranges(plan.hours[day]), breaks=_ranges(plan.breaks.get(day, ())))
            for day, name in enumerate(catalog.WEEKDAYS)
            if plan.hours.get(day)
        },
        exceptions=[DateExceptionOut(date=e.day, hours=_ranges(e.hours)) for e in specialist.exceptions],
        time_off=[TimeOffOut(start=t.start, end=t.end) for t in specialist.time_off],
    )


# --- business ------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/businesses",
    "POST",
    summary="Create a business; the caller becomes its owner",
    tags=TAGS,
    body=BusinessCreate,
    response=BusinessOut,
    status=201,
    errors_=[401, 403, 409],
    auth=True,
)
def create_business(ctx: RequestContext, body: BusinessCreate) -> BusinessOut:
    business, role = businesses.create_business(ctx.principal, body, deps.clock().now())
    return business_view(business, role)


@endpoint(
    blueprint,
    BIZ,
    "GET",
    summary="The business profile",
    tags=TAGS,
    response=BusinessOut,
    errors_=READ_ERRORS,
    auth=True,
)
def get_business(ctx: RequestContext, business_id: str) -> BusinessOut:
    business, role = businesses.get_business(ctx.principal, business_id)
    return business_view(business, role)


@endpoint(
    blueprint,
    BIZ,
    "PATCH",
    summary="Change the business profile (owners)",
    tags=TAGS,
    body=BusinessPatch,
    response=BusinessOut,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_business(ctx: RequestContext, business_id: str, body: BusinessPatch) -> BusinessOut:
    business, role = businesses.update_business(ctx.principal, business_id, body, deps.clock().now())
    return business_view(business, role)


# --- staff ---------------------------------------------------------------------------


@endpoint(
    blueprint,
    BIZ + "/staff",
    "POST",
    summary="Add an existing account as staff (owners: any role; managers: specialists)",
    tags=TAGS,
    body=StaffInvite,
    response=StaffMember,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def add_staff(ctx: RequestContext, business_id: str, body: StaffInvite) -> StaffMember:
    return staff_view(businesses.add_staff(ctx.principal, business_id, body, deps.clock().now()))


@endpoint(
    blueprint,
    BIZ + "/staff",
    "GET",
    summary="The business's staff and their roles",
    tags=TAGS,
    query=PageQuery,
    response=StaffPage,
    errors_=READ_ERRORS,
    auth=True,
)
def list_staff(ctx: RequestContext, business_id: str, query: PageQuery) -> StaffPage:
    scope = f"staff:{business_id}"
    entries, last_key = businesses.list_staff(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return StaffPage(items=[staff_view(e) for e in entries], next_cursor=pagination.encode(last_key, scope=scope))


@endpoint(
    blueprint,
    BIZ + "/staff/{user_id}",
    "PATCH",
    summary="Change a staff member's role (owners)",
    tags=TAGS,
    body=StaffRoleChange,
    response=StaffMember,
    errors_=WRITE_ERRORS,
    auth=True,
)
def change_staff_role(ctx: RequestContext, business_id: str, user_id: str, body: StaffRoleChange) -> StaffMember:
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
    body=VenueCreate,
    response=VenueOut,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_venue(ctx: RequestContext, business_id: str, body: VenueCreate) -> VenueOut:
    return venue_view(catalog.create_venue(ctx.principal, business_id, body, deps.clock().now()))


@endpoint(
    blueprint,
    BIZ + "/venues",
    "GET",
    summary="The business's venues",
    tags=TAGS,
    query=PageQuery,
    response=VenuePage,
    errors_=READ_ERRORS,
    auth=True,
)
def list_venues(ctx: RequestContext, business_id: str, query: PageQuery) -> VenuePage:
    scope = f"venues:{business_id}"
    venues, last_key = catalog.list_venues(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return VenuePage(items=[venue_view(v) for v in venues], next_cursor=pagination.encode(last_key, scope=scope))


@endpoint(blueprint, VENUE, "GET", summary="A venue", tags=TAGS, response=VenueOut, errors_=READ_ERRORS, auth=True)
def get_venue(ctx: RequestContext, business_id: str, venue_id: str) -> VenueOut:
    return venue_view(catalog.get_venue(ctx.principal, business_id, venue_id))


@endpoint(
    blueprint,
    VENUE,
    "PATCH",
    summary="Change a venue",
    tags=TAGS,
    body=VenuePatch,
    response=VenueOut,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_venue(ctx: RequestContext, business_id: str, venue_id: str, body: VenuePatch) -> VenueOut:
    return venue_view(catalog.update_venue(ctx.principal, business_id, venue_id, body, deps.clock().now()))


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
    body=ServiceCreate,
    response=ServiceOut,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_service(ctx: RequestContext, business_id: str, venue_id: str, body: ServiceCreate) -> ServiceOut:
    return service_view(catalog.create_service(ctx.principal, business_id, venue_id, body, deps.clock().now()))


@endpoint(
    blueprint,
    VENUE + "/services",
    "GET",
    summary="A venue's services",
    tags=TAGS,
    response=ServiceList,
    errors_=READ_ERRORS,
    auth=True,
)
def list_services(ctx: RequestContext, business_id: str, venue_id: str) -> ServiceList:
    return ServiceList(items=[service_view(s) for s in catalog.list_services(ctx.principal, business_id, venue_id)])


@endpoint(
    blueprint,
    VENUE + "/services/{service_id}",
    "GET",
    summary="A service",
    tags=TAGS,
    response=ServiceOut,
    errors_=READ_ERRORS,
    auth=True,
)
def get_service(ctx: RequestContext, business_id: str, venue_id: str, service_id: str) -> ServiceOut:
    return service_view(catalog.get_service(ctx.principal, business_id, venue_id, service_id))


@endpoint(
    blueprint,
    VENUE + "/services/{service_id}",
    "PATCH",
    summary="Change a service (price changes are audited)",
    tags=TAGS,
    body=ServicePatch,
    response=ServiceOut,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_service(
    ctx: RequestContext, business_id: str, venue_id: str, service_id: str, body: ServicePatch
) -> ServiceOut:
    now = deps.clock().now()
    return service_view(catalog.update_service(ctx.principal, business_id, venue_id, service_id, body, now))


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
    body=SpecialistCreate,
    response=SpecialistOut,
    status=201,
    errors_=WRITE_ERRORS,
    auth=True,
)
def create_specialist(ctx: RequestContext, business_id: str, venue_id: str, body: SpecialistCreate) -> SpecialistOut:
    now = deps.clock().now()
    return specialist_view(catalog.create_specialist(ctx.principal, business_id, venue_id, body, now))


@endpoint(
    blueprint,
    VENUE + "/specialists",
    "GET",
    summary="A venue's specialists",
    tags=TAGS,
    response=SpecialistList,
    errors_=READ_ERRORS,
    auth=True,
)
def list_specialists(ctx: RequestContext, business_id: str, venue_id: str) -> SpecialistList:
    found = catalog.list_specialists(ctx.principal, business_id, venue_id)
    return SpecialistList(items=[specialist_view(s) for s in found])


@endpoint(
    blueprint,
    VENUE + "/specialists/{specialist_id}",
    "GET",
    summary="A specialist and their schedule",
    tags=TAGS,
    response=SpecialistOut,
    errors_=READ_ERRORS,
    auth=True,
)
def get_specialist(ctx: RequestContext, business_id: str, venue_id: str, specialist_id: str) -> SpecialistOut:
    return specialist_view(catalog.get_specialist(ctx.principal, business_id, venue_id, specialist_id))


@endpoint(
    blueprint,
    VENUE + "/specialists/{specialist_id}",
    "PATCH",
    summary="Change a specialist or their schedule (specialists: their own schedule only)",
    tags=TAGS,
    body=SpecialistPatch,
    response=SpecialistOut,
    errors_=WRITE_ERRORS,
    auth=True,
)
def patch_specialist(
    ctx: RequestContext, business_id: str, venue_id: str, specialist_id: str, body: SpecialistPatch
) -> SpecialistOut:
    now = deps.clock().now()
    return specialist_view(catalog.update_specialist(ctx.principal, business_id, venue_id, specialist_id, body, now))


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
