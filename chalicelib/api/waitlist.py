"""Waitlists: join a venue's waitlist, see mine, leave. Thin: parse, call one service function, map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.api import bookings as bookings_api
    from chalicelib.schemas import bookings as booking_schemas
    from chalicelib.schemas import waitlist as schemas
    from chalicelib.services import waitlist
    from chalicelib.store.waitlist import Entry
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    waitlist = lazy_import("chalicelib.services.waitlist")
    schemas = lazy_import("chalicelib.schemas.waitlist")
    booking_schemas = lazy_import("chalicelib.schemas.bookings")
    bookings_api = lazy_import("chalicelib.api.bookings")

blueprint = Blueprint(__name__)
TAGS = ["bookings"]


def _view(entry: Entry) -> schemas.WaitlistEntryOut:
    now = deps.clock().now()
    open_offer = entry.open_offer(now)
    return schemas.WaitlistEntryOut(
        id=entry.entry_id,
        venue_id=entry.venue_id,
        service_id=entry.service_id,
        specialist_id=entry.specialist_id,
        window_start=entry.window_start,
        window_end=entry.window_end,
        joined_at=entry.joined_at,
        offer_start=entry.offer_start if open_offer else None,
        offer_specialist_id=entry.offer_specialist_id if open_offer else None,
        offer_expires_at=entry.offer_expires_at if open_offer else None,
    )


@endpoint(
    blueprint,
    "/v1/venues/{venue_id}/waitlist",
    "POST",
    summary="Join the venue's waitlist for a service (optionally a specialist) and a time window",
    tags=TAGS,
    status=201,
    errors_=[404],
    auth=True,
)
def join_waitlist(ctx: RequestContext, venue_id: str, body: schemas.WaitlistJoin) -> schemas.WaitlistEntryOut:
    specialist = None if body.specialist_id in (None, "any") else body.specialist_id
    entry = waitlist.join(
        ctx.principal, venue_id, body.service_id, specialist, body.window_start, body.window_end, deps.clock().now()
    )
    return _view(entry)


@endpoint(
    blueprint,
    "/v1/me/waitlist",
    "GET",
    summary="My waitlist entries (with the slot held for me, while an offer is open)",
    tags=["me"],
    auth=True,
)
def my_waitlist(ctx: RequestContext) -> schemas.WaitlistPage:
    return schemas.WaitlistPage(items=[_view(e) for e in waitlist.mine(ctx.principal, deps.clock().now())])


@endpoint(
    blueprint,
    "/v1/me/waitlist/{entry_id}",
    "DELETE",
    summary="Leave a waitlist (an open offer's hold is released)",
    tags=["me"],
    status=204,
    errors_=[404],
    auth=True,
)
def leave_waitlist(ctx: RequestContext, entry_id: str) -> None:
    waitlist.leave(ctx.principal, entry_id, deps.clock().now())


@endpoint(
    blueprint,
    "/v1/me/waitlist/{entry_id}/book",
    "POST",
    summary="Book the slot my waitlist offer holds for me (Idempotency-Key makes retries safe)",
    tags=["me", "bookings"],
    status=201,
    errors_=[404, 409],
    auth=True,
)
def book_waitlist_offer(ctx: RequestContext, entry_id: str) -> booking_schemas.BookingOut:
    created = waitlist.book_offer(ctx.principal, entry_id, ctx.header("idempotency-key"), deps.clock().now())
    ctx.response_headers["Location"] = f"/v1/bookings/{created.booking.booking_id}"
    if created.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return bookings_api.view(created.booking)
