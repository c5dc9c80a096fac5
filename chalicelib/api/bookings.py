"""Bookings: the customer's routes (/v1/bookings, /v1/me/bookings) and the business calendar
(/v1/businesses/{business_id}/bookings). Thin: parse, call one service function, map.

Only the business routes answer with the customer's card (name and phone, SHARE-1); the
customer's own routes leave ``customer`` null."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.availability import zone
from chalicelib.domain.bookings import Booking, BookingStatus, CustomerCard
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import bookings as schemas
    from chalicelib.services import bookings
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    bookings = lazy_import("chalicelib.services.bookings")
    schemas = lazy_import("chalicelib.schemas.bookings")

blueprint = Blueprint(__name__)
TAGS = ["bookings"]
BUSINESS_TAGS = ["business", "bookings"]


def view(booking: Booking, customer: CustomerCard | None = None) -> schemas.BookingOut:
    """``customer``: business routes only (SHARE-1)."""
    return schemas.BookingOut(
        id=booking.booking_id,
        status=booking.status.value,
        business_id=booking.business_id,
        venue_id=booking.venue_id,
        venue_name=booking.venue_name,
        service_id=booking.service_id,
        service_name=booking.service_name,
        specialist_id=booking.specialist_id,
        specialist_name=booking.specialist_name,
        specialist_requested=booking.specialist_requested,
        customer_user_id=booking.customer_user_id,
        customer=schemas.CustomerOut(name=customer.name, phone=customer.phone) if customer else None,
        start=booking.start,
        end=booking.end,
        timezone=booking.timezone,
        local_start=booking.start.astimezone(zone(booking.timezone)).isoformat(),
        notes=booking.notes,
        discount_code=booking.discount_code,
        price_minor=booking.price_minor,
        discount_minor=booking.discount_minor,
        total_minor=booking.total_minor,
        currency=booking.currency,
        cancelled_by=booking.cancelled_by.value if booking.cancelled_by else None,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
        kind=booking.kind,
        visit_id=booking.visit_id,
    )


# --- customer -------------------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/bookings",
    "POST",
    summary="Book a service (Idempotency-Key makes retries safe)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def create_booking(ctx: RequestContext, body: schemas.BookingCreate) -> schemas.BookingOut:
    request = bookings.NewBooking(
        venue_id=body.venue_id,
        service_id=body.service_id,
        start=body.start,
        specialist_id=None if body.specialist_id in (None, "any") else body.specialist_id,
        notes=body.notes,
        discount_code=body.discount_code,
    )
    created = bookings.create_booking(ctx.principal, request, ctx.header("idempotency-key"), deps.clock().now())
    ctx.response_headers["Location"] = f"/v1/bookings/{created.booking.booking_id}"
    if created.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return view(created.booking)


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}",
    "GET",
    summary="A booking (its customer, or the business's staff: that read is audited)",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_booking(ctx: RequestContext, booking_id: str) -> schemas.BookingOut:
    return view(bookings.get_booking(ctx.principal, booking_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/calendar.ics",
    "GET",
    summary="The booking as an iCalendar file (RFC 5545)",
    tags=TAGS,
    errors_=[404],
    auth=True,
    produces="text/calendar",
)
def get_booking_calendar(ctx: RequestContext, booking_id: str) -> Response:
    body = bookings.calendar_file(ctx.principal, booking_id, deps.clock().now())
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="booking-{booking_id}.ics"',
        },
    )


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/cancel",
    "POST",
    summary="Cancel my booking (until the venue's cancellation notice; Idempotency-Key makes retries safe)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def cancel_booking(ctx: RequestContext, booking_id: str) -> schemas.BookingOut:
    changed = bookings.cancel_as_customer(ctx.principal, booking_id, deps.clock().now(), ctx.header("idempotency-key"))
    return _replayed(ctx, view(changed.booking), changed.replayed)


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/reschedule",
    "POST",
    summary="Move my booking to another free start, atomically (Idempotency-Key makes retries safe)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def reschedule_booking(ctx: RequestContext, booking_id: str, body: schemas.BookingReschedule) -> schemas.BookingOut:
    key = ctx.header("idempotency-key")
    changed = bookings.reschedule_as_customer(ctx.principal, booking_id, body.start, deps.clock().now(), key)
    return _replayed(ctx, view(changed.booking), changed.replayed)


def _replayed(ctx: RequestContext, answer: schemas.BookingOut, replayed: bool) -> schemas.BookingOut:
    """An Idempotency-Key retry answers as the first request did, marked as a replay."""
    if replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return answer


@endpoint(
    blueprint,
    "/v1/me/bookings",
    "GET",
    summary="My upcoming or past bookings",
    tags=["me", "bookings"],
    auth=True,
)
def list_my_bookings(ctx: RequestContext, query: schemas.MyBookingsQuery) -> schemas.BookingPage:
    scope = f"my-bookings:{query.scope}:{ctx.principal.user_id}"
    page = bookings.list_mine(
        ctx.principal, query.scope, deps.clock().now(), query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return schemas.BookingPage(
        items=[view(b) for b in page.bookings], next_cursor=pagination.encode(page.last_key, scope=scope)
    )


# --- business ---------------------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings",
    "GET",
    summary="The business calendar: a venue's bookings (optionally one specialist's), per local day",
    tags=BUSINESS_TAGS,
    errors_=[403, 404],
    auth=True,
)
def list_business_bookings(
    ctx: RequestContext, business_id: str, query: schemas.BusinessBookingsQuery
) -> schemas.BookingPage:
    scope = f"calendar:{business_id}:{query.venue_id}:{query.specialist_id}:{query.day}"
    page = bookings.list_for_business(
        ctx.principal,
        business_id,
        venue_id=query.venue_id,
        specialist_id=query.specialist_id,
        day=query.day,
        now=deps.clock().now(),
        limit=query.limit,
        start_key=pagination.decode(query.cursor, scope=scope),
    )
    return schemas.BookingPage(
        items=[business_view(b, page.customers.get(b.booking_id)) for b in page.bookings],
        next_cursor=pagination.encode(page.last_key, scope=scope),
    )


def staff_view(found: bookings.StaffView) -> schemas.BookingOut:
    return business_view(found.booking, found.customer)


def business_view(booking: Booking, customer: CustomerCard | None) -> schemas.BookingOut:
    """A booking on a business route: a staff-made one shows the business's own customer
    record and no account id (the business learns nothing of a linked account)."""
    answer = view(booking, customer)
    if booking.staff_made:
        answer.customer_user_id = ""
        answer.business_customer_id = booking.business_customer_id
    return answer


# Status changes and reschedules by staff take an Idempotency-Key, as create does.
_KEYED = " (Idempotency-Key makes retries safe)"


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}",
    "GET",
    summary="One booking of the business (audited staff access to customer data)",
    tags=BUSINESS_TAGS,
    errors_=[403, 404],
    auth=True,
)
def get_business_booking(ctx: RequestContext, business_id: str, booking_id: str) -> schemas.BookingOut:
    return staff_view(bookings.get_business_booking(ctx.principal, business_id, booking_id, deps.clock().now()))


def _change(ctx: RequestContext, business_id: str, booking_id: str, target: BookingStatus) -> schemas.BookingOut:
    key = ctx.header("idempotency-key")
    found = bookings.change_as_business(ctx.principal, business_id, booking_id, target, deps.clock().now(), key)
    return _replayed(ctx, staff_view(found), found.replayed)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}/confirm",
    "POST",
    summary="Confirm a pending booking" + _KEYED,
    tags=BUSINESS_TAGS,
    errors_=[403, 404, 409],
    auth=True,
)
def confirm_booking(ctx: RequestContext, business_id: str, booking_id: str) -> schemas.BookingOut:
    return _change(ctx, business_id, booking_id, BookingStatus.CONFIRMED)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}/cancel",
    "POST",
    summary="Cancel a booking on the business's side (any time before it ends)" + _KEYED,
    tags=BUSINESS_TAGS,
    errors_=[403, 404, 409],
    auth=True,
)
def cancel_booking_as_business(ctx: RequestContext, business_id: str, booking_id: str) -> schemas.BookingOut:
    return _change(ctx, business_id, booking_id, BookingStatus.CANCELLED)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}/attended",
    "POST",
    summary="Mark a started booking attended (completed)" + _KEYED,
    tags=BUSINESS_TAGS,
    errors_=[403, 404, 409],
    auth=True,
)
def mark_attended(ctx: RequestContext, business_id: str, booking_id: str) -> schemas.BookingOut:
    return _change(ctx, business_id, booking_id, BookingStatus.COMPLETED)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}/no-show",
    "POST",
    summary="Mark a started booking as a no-show" + _KEYED,
    tags=BUSINESS_TAGS,
    errors_=[403, 404, 409],
    auth=True,
)
def mark_no_show(ctx: RequestContext, business_id: str, booking_id: str) -> schemas.BookingOut:
    return _change(ctx, business_id, booking_id, BookingStatus.NO_SHOW)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings/{booking_id}/reschedule",
    "POST",
    summary="Move a booking to another free start, atomically" + _KEYED,
    tags=BUSINESS_TAGS,
    errors_=[403, 404, 409],
    auth=True,
)
def reschedule_as_business(
    ctx: RequestContext, business_id: str, booking_id: str, body: schemas.BookingReschedule
) -> schemas.BookingOut:
    key = ctx.header("idempotency-key")
    found = bookings.reschedule_as_business(ctx.principal, business_id, booking_id, body.start, deps.clock().now(), key)
    return _replayed(ctx, staff_view(found), found.replayed)
