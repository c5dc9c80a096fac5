"""Favourite venues (RET-7): ``USER#<u>`` / ``FAV#<venue id>``, kept until the user removes
them or the account is erased (the erasure walks the user's partition)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem


class Favorite(TableItem, discriminator="Favorite"):
    user_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    added_at = InstantAttribute()


@dataclass(frozen=True)
class FavoriteVenue:
    business_id: str
    venue_id: str
    added_at: str  # as shown: ISO 8601 to the second, "+00:00"


def _view(item: Favorite) -> FavoriteVenue:
    shown = item.added_at.astimezone(UTC).isoformat(timespec="seconds")
    return FavoriteVenue(business_id=item.business_id, venue_id=item.venue_id, added_at=shown)


def _key(user_id: str, venue_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"FAV#{venue_id}"


def put(user_id: str, business_id: str, venue_id: str, now: datetime) -> FavoriteVenue:
    """Idempotent: a second PUT keeps the first ``added_at`` (a conditional PutItem; one
    GetItem more only when it was already there)."""
    pk, sk = _key(user_id, venue_id)
    item = Favorite(
        pk=pk,
        sk=sk,
        user_id=user_id,
        business_id=business_id,
        venue_id=venue_id,
        added_at=now,
    )
    try:
        db.put(item, condition=Favorite.pk.does_not_exist())
    except db.ConditionFailed:
        stored = db.get(Favorite, pk, sk, consistent=False)
        if stored is None:  # removed in between: what this call wrote is gone too
            raise
        item = stored
    return _view(item)


def delete(user_id: str, venue_id: str) -> None:
    """Idempotent: deleting what is not there is not an error (one DeleteItem)."""
    pk, sk = _key(user_id, venue_id)
    db.delete(Favorite(pk=pk, sk=sk))


def list_page(
    user_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[FavoriteVenue], dict[str, Any] | None]:
    """One Query on the user's partition."""
    with db.sdk_errors():
        results = Favorite.query(
            f"USER#{user_id}", Favorite.sk.startswith("FAV#"), limit=limit, last_evaluated_key=after
        )
        items = [_view(i) for i in results if isinstance(i, Favorite)]
    return items, results.last_evaluated_key
