"""Public discovery: find venues, see a venue's services and specialists, and its free times."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.availability import chain_offsets, zone
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import discovery as schemas
    from chalicelib.services import availability, discovery
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    availability = lazy_import("chalicelib.services.availability")
    discovery = lazy_import("chalicelib.services.discovery")
    schemas = lazy_import("chalicelib.schemas.discovery")

blueprint = Blueprint(__name__)
TAGS = ["discovery"]


@endpoint(
    blueprint,
    "/v1/venues",
    "GET",
    summary="Venues in a city (and category), optionally near the caller",
    tags=TAGS,
    description="``near`` is used for this request only and never stored or logged (DATA-5). "
    "With ``near``, a page holds the venues of the underlying page within ``radius_km``; "
    "follow ``next_cursor`` for more.",
)
def search_venues(ctx: RequestContext, query: schemas.VenueSearchQuery) -> schemas.VenueSearchPage:
    # The cursor is bound to the city and category, not to the caller's location.
    scope = f"discover:{query.city.casefold()}:{query.category or '*'}"
    found, last_key = discovery.search(
        query.city,
        query.category,
        query.near_point(),
        query.radius_km,
        query.limit,
        pagination.decode(query.cursor, scope=scope),
    )
    return schemas.VenueSearchPage(
        items=[
            schemas.VenueSummary(
                id=f.venue.venue_id,
                name=f.venue.name,
                address=f.venue.address,
                city=f.venue.city,
                timezone=f.venue.timezone,
                categories=list(f.venue.categories),
                distance_km=f.distance_km,
                rating=f.rating.rating,
                review_count=f.rating.review_count,
            )
            for f in found
        ],
        next_cursor=pagination.encode(last_key, scope=scope),
    )


@endpoint(
    blueprint,
    "/v1/venues/{venue_id}",
    "GET",
    summary="A venue with its services and its specialists' public names",
    tags=TAGS,
    errors_=[404],
)
def get_public_venue(ctx: RequestContext, venue_id: str) -> schemas.PublicVenue:
    page = discovery.venue_page(venue_id)
    venue = page.venue
    return schemas.PublicVenue(
        id=venue.venue_id,
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
        services=[
            schemas.PublicService(
                id=s.service_id,
                name=s.name,
                duration_minutes=s.duration_minutes,
                price_minor=s.price_minor,
                currency=s.currency,
                specialist_ids=list(s.specialist_ids),
            )
            for s in page.services
        ],
        specialists=[schemas.PublicSpecialist(id=p.specialist_id, name=p.name) for p in page.specialists],
        rating=page.rating.rating,
        review_count=page.rating.review_count,
    )


@endpoint(
    blueprint,
    "/v1/venues/{venue_id}/availability",
    "GET",
    summary="Free start times for a service, with one specialist or any",
    tags=TAGS,
    errors_=[404],
    description="``from``/``to`` are local dates in the venue's zone; starts are shown in that zone "
    "with their UTC offset (two starts can share a wall-clock time on a fall-back night).",
)
def get_availability(
    ctx: RequestContext, venue_id: str, query: schemas.AvailabilityQuery
) -> schemas.AvailabilityResponse:
    if query.then_service_ids:
        return _visit_availability(venue_id, query)
    result = availability.free_slots(
        venue_id, query.service_id, query.specialist_id, query.from_, query.to, deps.clock().now()
    )
    tz = zone(result.venue.timezone)
    return schemas.AvailabilityResponse(
        venue_id=result.venue.venue_id,
        service_id=result.service.service_id,
        timezone=result.venue.timezone,
        duration_minutes=result.service.duration_minutes,
        slots=[schemas.Slot(start=start.astimezone(tz), specialist_ids=list(ids)) for start, ids in result.slots],
    )


def _visit_availability(venue_id: str, query: schemas.AvailabilityQuery) -> schemas.AvailabilityResponse:
    """A multi-service visit's starts (issue #18): every part's start and who is free for it."""
    service_ids = [query.service_id, *(query.then_service_ids or "").split(",")]
    result = availability.free_visit_slots(
        venue_id, service_ids, query.specialist_id, query.from_, query.to, deps.clock().now()
    )
    tz = zone(result.venue.timezone)
    return schemas.AvailabilityResponse(
        venue_id=result.venue.venue_id,
        service_id=result.services[0].service_id,
        timezone=result.venue.timezone,
        duration_minutes=chain_offsets(result.services)[-1] // 60 + result.services[-1].duration_minutes,
        slots=[
            schemas.Slot(
                start=start.astimezone(tz),
                specialist_ids=list(parts[0][1]),
                parts=[
                    schemas.SlotPart(service_id=service.service_id, start=at.astimezone(tz), specialist_ids=list(who))
                    for service, (at, who) in zip(result.services, parts, strict=True)
                ],
            )
            for start, parts in result.slots
        ],
    )
