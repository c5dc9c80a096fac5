"""Multi-service visits: the customer books, reads and cancels several services as one visit.
Thin: parse, call one service function, map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.api import bookings as bookings_api
    from chalicelib.schemas import visits as schemas
    from chalicelib.services import visits
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    visits = lazy_import("chalicelib.services.visits")
    schemas = lazy_import("chalicelib.schemas.visits")
    bookings_api = lazy_import("chalicelib.api.bookings")

blueprint = Blueprint(__name__)
TAGS = ["bookings"]


def _view(visit: visits.Visit) -> schemas.VisitOut:
    return schemas.VisitOut(id=visit.visit_id, bookings=[bookings_api.view(b) for b in visit.parts])


@endpoint(
    blueprint,
    "/v1/visits",
    "POST",
    summary="Book several services back to back as one visit, all or none (Idempotency-Key makes retries safe)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def create_visit(ctx: RequestContext, body: schemas.VisitCreate) -> schemas.VisitOut:
    request = visits.NewVisit(
        venue_id=body.venue_id,
        start=body.start,
        parts=tuple(
            visits.PartRequest(p.service_id, None if p.specialist_id in (None, "any") else p.specialist_id)
            for p in body.parts
        ),
        notes=body.notes,
    )
    made = visits.create_visit(ctx.principal, request, ctx.header("idempotency-key"), deps.clock().now())
    ctx.response_headers["Location"] = f"/v1/visits/{made.visit_id}"
    if made.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return _view(made)


@endpoint(
    blueprint,
    "/v1/visits/{visit_id}",
    "GET",
    summary="My visit: its parts in order",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_visit(ctx: RequestContext, visit_id: str) -> schemas.VisitOut:
    return _view(visits.get_visit(ctx.principal, visit_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/visits/{visit_id}/cancel",
    "POST",
    summary="Cancel my whole visit (until the venue's notice before its first part)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def cancel_visit(ctx: RequestContext, visit_id: str) -> schemas.VisitOut:
    return _view(visits.cancel_visit(ctx.principal, visit_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/visits/{visit_id}/reschedule",
    "POST",
    summary="Move my whole visit to another start, all parts at once (Idempotency-Key makes retries safe)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def reschedule_visit(ctx: RequestContext, visit_id: str, body: schemas.VisitReschedule) -> schemas.VisitOut:
    key = ctx.header("idempotency-key")
    moved = visits.reschedule_visit(ctx.principal, visit_id, body.start, deps.clock().now(), key)
    if moved.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return _view(moved)
