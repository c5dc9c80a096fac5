"""Public discovery: venues by city and category, optionally near the caller (DATA-5).

The caller's coordinates are used in memory to filter and annotate one page of results
and are then dropped: nothing is written, and nothing is logged (the access log records
the route template, never the query string).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.catalog import Service, Specialist, Venue
from chalicelib.store import catalog

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Found:
    venue: Venue
    distance_km: float | None


@dataclass(frozen=True)
class VenuePage:
    venue: Venue
    services: list[Service]
    specialists: list[Specialist]


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
    """One GSI2 Query per page. With ``near``, the page keeps venues within ``radius_km``
    (venues without coordinates are left out), so a page may hold fewer than ``limit``."""
    venues, last_key = catalog.discover(city, category, limit, after)
    if near is None:
        return [Found(v, None) for v in venues], last_key
    found = []
    for venue in venues:
        if venue.latitude is None or venue.longitude is None:
            continue
        distance = haversine_km(near, (venue.latitude, venue.longitude))
        if distance <= radius_km:
            found.append(Found(venue, round(distance, 2)))
    return found, last_key


def venue_page(venue_id: str) -> VenuePage:
    """One GSI1 Query (the venue by id) and one Query (its services and specialists)."""
    venue = catalog.find_venue(venue_id)
    services, specialists = catalog.venue_catalog(venue.business_id, venue.venue_id)
    return VenuePage(venue=venue, services=services, specialists=specialists)
