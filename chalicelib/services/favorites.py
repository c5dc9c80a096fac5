"""Favourite venues (RET-7): the user's own list, removable at any time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.identity import Principal
from chalicelib.store import catalog, favorites


@dataclass(frozen=True)
class FavoriteView:
    venue_id: str
    added_at: str
    name: str | None
    city: str | None


def add(principal: Principal, venue_id: str, now: datetime) -> FavoriteView:
    """One GSI1 Query (the venue must exist) and one UpdateItem."""
    venue = catalog.find_venue(venue_id)
    saved = favorites.put(principal.user_id, venue.business_id, venue.venue_id, now)
    return FavoriteView(venue_id=venue.venue_id, added_at=saved.added_at, name=venue.name, city=venue.city)


def remove(principal: Principal, venue_id: str) -> None:
    favorites.delete(principal.user_id, venue_id)


def list_page(
    principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[FavoriteView], dict[str, Any] | None]:
    """One Query and one BatchGetItem (current venue names; a deleted venue shows without one)."""
    page, last_key = favorites.list_page(principal.user_id, limit, after)
    venues = catalog.venues_by_keys([(f.business_id, f.venue_id) for f in page])
    views = []
    for fav in page:
        venue = venues.get(fav.venue_id)
        views.append(
            FavoriteView(
                venue_id=fav.venue_id,
                added_at=fav.added_at,
                name=venue.name if venue else None,
                city=venue.city if venue else None,
            )
        )
    return views, last_key
