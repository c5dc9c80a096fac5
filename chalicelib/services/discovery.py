"""Public discovery: venues by city and category, optionally near the caller (DATA-5).

The caller's coordinates are used in memory to filter and annotate one page of results
and are then dropped: nothing is written, and nothing is logged (the access log records
the route template, never the query string).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.catalog import Service, Specialist, Venue
from chalicelib.domain.reviews import PublicRating, public_rating
from chalicelib.store import catalog

EARTH_RADIUS_KM = 6371.0088
NO_RATING = PublicRating(None, 0)


@dataclass(frozen=True)
class Found:
    venue: Venue
    distance_km: float | None
    rating: PublicRating = NO_RATING  # docs/reviews.md


@dataclass(frozen=True)
class VenuePage:
    venue: Venue
    services: list[Service]
    specialists: list[Specialist]
    rating: PublicRating = NO_RATING  # docs/reviews.md


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def search(
    city: str,
    category: str | None,
    near: tuple[float, float] | None,
    radius_km: float,
    limit: int,
    after: dict[str, Any] | None,
) -> tuple[list[Found], dict[str, Any] | None]:
    """One GSI2 Query per page and one BatchGetItem of the page's rating aggregates. With
    ``near``, the page keeps venues within ``radius_km`` (venues without coordinates are left
    out), so a page may hold fewer than ``limit``."""
    venues, last_key = catalog.discover(city, category, limit, after)
    if near is None:
        return _rated([Found(v, None) for v in venues]), last_key
    found = []
    for venue in venues:
        if venue.latitude is None or venue.longitude is None:
            continue
        distance = haversine_km(near, (venue.latitude, venue.longitude))
        if distance <= radius_km:
            found.append(Found(venue, round(distance, 2)))
    return _rated(found), last_key


def _rated(found: list[Found]) -> list[Found]:
    """The ratings live on one aggregate item per venue, not on the listings: a review writes
    no listing (and a venue edit, which rewrites its listings, cannot reset a rating)."""
    from chalicelib.store import reviews

    if not found:
        return found
    totals = reviews.venue_totals([(f.venue.business_id, f.venue.venue_id) for f in found])
    return [replace(f, rating=public_rating(totals.get(f.venue.venue_id))) for f in found]


def venue_page(venue_id: str) -> VenuePage:
    """One GSI1 Query (the venue by id), one Query (its services and specialists) and one
    GetItem (its rating aggregate)."""
    from chalicelib.store import reviews

    venue = catalog.find_venue(venue_id)
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    found = reviews.aggregate(venue.business_id, "venue", venue.venue_id)
    rating = public_rating(found.totals if found else None)
    return VenuePage(venue=venue, services=services, specialists=specialists, rating=rating)
