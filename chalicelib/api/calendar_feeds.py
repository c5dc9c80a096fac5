"""Calendar feeds: staff feeds (a venue, a specialist), the customer's own feed, and the
public feed route a calendar client polls (GET, no auth header: the token is the credential).

Issuing a feed answers its URL once (https and webcal://); issuing again replaces it.
Revoking, replacing, or (for staff) leaving the business ends it: the feed route answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import calendar_feeds as schemas
    from chalicelib.services import calendar_feeds as feeds
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    feeds = lazy_import("chalicelib.services.calendar_feeds")
    schemas = lazy_import("chalicelib.schemas.calendar_feeds")

blueprint = Blueprint(__name__)
BUSINESS_TAGS = ["business", "calendar-feeds"]
ME_TAGS = ["me", "calendar-feeds"]
FEED_SUFFIX = ".ics"


def _out(issued: feeds.IssuedFeed) -> schemas.FeedOut:
    from chalicelib.settings import get_settings

    url = f"{get_settings().public_base_url.rstrip('/')}/v1/feeds/{issued.token}{FEED_SUFFIX}"
    _, _, rest = url.partition("://")
    return schemas.FeedOut(
        scope=issued.scope,
        venue_id=issued.venue_id,
        specialist_id=issued.specialist_id,
        url=url,
        webcal_url=f"webcal://{rest}",
        days_ahead=feeds.FEED_DAYS,
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/calendar-feeds",
    "POST",
    summary="A subscribable calendar feed of a venue (owners, managers) or a specialist (a specialist: own)",
    tags=BUSINESS_TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def issue_business_feed(ctx: RequestContext, business_id: str, body: schemas.BusinessFeedCreate) -> schemas.FeedOut:
    now = deps.clock().now()
    return _out(feeds.issue_business_feed(ctx.principal, business_id, body.venue_id, body.specialist_id, now))


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/calendar-feeds",
    "DELETE",
    summary="Revoke my calendar feed of a venue or a specialist (idempotent)",
    tags=BUSINESS_TAGS,
    status=204,
    errors_=[404, 409],
    auth=True,
)
def revoke_business_feed(ctx: RequestContext, business_id: str, query: schemas.BusinessFeedTarget) -> None:
    feeds.revoke_business_feed(ctx.principal, business_id, query.venue_id, query.specialist_id)


@endpoint(
    blueprint,
    "/v1/me/calendar-feed",
    "POST",
    summary="A subscribable calendar feed of my bookings (replaces the earlier one)",
    tags=ME_TAGS,
    status=201,
    errors_=[409],
    auth=True,
)
def issue_my_feed(ctx: RequestContext) -> schemas.FeedOut:
    return _out(feeds.issue_my_feed(ctx.principal, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/me/calendar-feed",
    "DELETE",
    summary="Revoke my calendar feed (idempotent)",
    tags=ME_TAGS,
    status=204,
    errors_=[409],
    auth=True,
)
def revoke_my_feed(ctx: RequestContext) -> None:
    feeds.revoke_my_feed(ctx.principal)


@endpoint(
    blueprint,
    "/v1/feeds/{feed_file}",
    "GET",
    summary="A calendar feed (iCalendar), as a calendar client fetches it: `<token>.ics`, no auth header",
    tags=["calendar-feeds"],
    errors_=[404],
    produces="text/calendar",
)
def get_feed(ctx: RequestContext, feed_file: str) -> Response:
    """Unknown, revoked and replaced tokens, and feeds of members who left, are all 404 alike."""
    from chalicelib import errors

    token = feed_file.removesuffix(FEED_SUFFIX)
    if token == feed_file or not token:
        raise errors.NotFound("No such feed")
    body = feeds.read_feed(token, deps.clock().now())
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            # the URL is a credential and the body personal: no shared cache may keep it
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="calendar.ics"',
        },
    )
