"""The signed-in user's favourite venues (RET-7: kept until they remove them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import discovery as schemas
    from chalicelib.schemas import pagination as paging
    from chalicelib.services import favorites
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    favorites = lazy_import("chalicelib.services.favorites")
    schemas = lazy_import("chalicelib.schemas.discovery")
    paging = lazy_import("chalicelib.schemas.pagination")

blueprint = Blueprint(__name__)
TAGS = ["me"]


def _view(fav: favorites.FavoriteView) -> schemas.FavoriteOut:
    return schemas.FavoriteOut(venue_id=fav.venue_id, added_at=fav.added_at, name=fav.name, city=fav.city)


@endpoint(
    blueprint,
    "/v1/me/favorites",
    "GET",
    summary="My favourite venues",
    tags=TAGS,
    errors_=[401],
    auth=True,
)
def list_favorites(ctx: RequestContext, query: paging.PageQuery) -> schemas.FavoritePage:
    scope = f"favorites:{ctx.principal.user_id}"
    page, last_key = favorites.list_page(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.FavoritePage(items=[_view(f) for f in page], next_cursor=pagination.encode(last_key, scope=scope))


@endpoint(
    blueprint,
    "/v1/me/favorites/{venue_id}",
    "PUT",
    summary="Add a venue to my favourites (idempotent)",
    tags=TAGS,
    errors_=[401, 403, 404],
    auth=True,
)
def put_favorite(ctx: RequestContext, venue_id: str) -> schemas.FavoriteOut:
    return _view(favorites.add(ctx.principal, venue_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/me/favorites/{venue_id}",
    "DELETE",
    summary="Remove a venue from my favourites (idempotent)",
    tags=TAGS,
    status=204,
    errors_=[401, 403],
    auth=True,
)
def delete_favorite(ctx: RequestContext, venue_id: str) -> None:
    favorites.remove(ctx.principal, venue_id)
