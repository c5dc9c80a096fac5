"""Staff-made bookings and blocks (POST /v1/businesses/{business_id}/bookings) and the
business's own customer records (export and erasure on the business's instruction).
Thin: parse, call one service function, map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.api import bookings as bookings_api
    from chalicelib.schemas import bookings as booking_schemas
    from chalicelib.schemas import staff_bookings as schemas
    from chalicelib.services import staff_bookings
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    staff_bookings = lazy_import("chalicelib.services.staff_bookings")
    schemas = lazy_import("chalicelib.schemas.staff_bookings")
    booking_schemas = lazy_import("chalicelib.schemas.bookings")
    bookings_api = lazy_import("chalicelib.api.bookings")

blueprint = Blueprint(__name__)
TAGS = ["business", "bookings"]


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/bookings",
    "POST",
    summary="Book for a walk-in or phone customer, or block a specialist's time (staff)",
    tags=TAGS,
    status=201,
    errors_=[403, 404, 409],
    auth=True,
)
def create_staff_booking(
    ctx: RequestContext, business_id: str, body: schemas.StaffBookingCreate
) -> booking_schemas.BookingOut:
    request = staff_bookings.StaffRequest(
        kind=body.kind,
        venue_id=body.venue_id,
        start=body.start,
        end=body.end,
        specialist_id=None if body.specialist_id in (None, "any") else body.specialist_id,
        service_id=body.service_id,
        customer=staff_bookings.WalkIn(body.customer.name, body.customer.phone) if body.customer else None,
        customer_id=body.customer_id,
        notes=body.notes,
    )
    found = staff_bookings.create(
        ctx.principal, business_id, request, ctx.header("idempotency-key"), deps.clock().now()
    )
    ctx.response_headers["Location"] = f"/v1/businesses/{business_id}/bookings/{found.booking.booking_id}"
    if found.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return bookings_api.staff_view(found)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/customers/{customer_id}",
    "GET",
    summary="Export a customer the business entered: the record and its bookings (owners, managers; audited)",
    tags=TAGS,
    errors_=[403, 404],
    auth=True,
)
def export_business_customer(ctx: RequestContext, business_id: str, customer_id: str) -> schemas.BusinessCustomerOut:
    found = staff_bookings.export_customer(ctx.principal, business_id, customer_id, deps.clock().now())
    record = found.customer
    return schemas.BusinessCustomerOut(
        id=record.customer_id,
        name=record.name,
        phone=record.phone,
        created_at=record.created_at,
        updated_at=record.updated_at,
        bookings=[
            schemas.ExportedBooking(
                id=b.booking_id,
                kind=b.kind,
                status=b.status.value,
                venue_id=b.venue_id,
                service_name=b.service_name,
                specialist_name=b.specialist_name,
                start=b.start,
                end=b.end,
                notes=b.notes,
            )
            for b in found.bookings
        ],
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/customers/{customer_id}",
    "DELETE",
    summary="Erase a customer the business entered (record and booking notes; owners, managers; audited)",
    tags=TAGS,
    status=204,
    errors_=[403, 404],
    auth=True,
)
def erase_business_customer(ctx: RequestContext, business_id: str, customer_id: str) -> None:
    staff_bookings.erase_customer(ctx.principal, business_id, customer_id, deps.clock().now())
