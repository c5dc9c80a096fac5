"""Finding and removing one data subject's items across the single table (RIGHT-1, RIGHT-4).

Every item about a user is reachable by key, never by Scan:
- the user's partition ``USER#<u>`` (profile, registration, consents, preferences, favourites...),
- GSI1 ``USER#<u>`` (sessions, staff memberships, privacy requests),
- GSI1 ``CUST#<u>`` (bookings as a customer),
- ``IDEM#<u>`` (booking idempotency records),
- the contact claims ``PHONE#<h>`` / ``EMAIL#<h>`` / ``TG#<h>`` named by the profile.

Items come as ``StoredItem`` values (chalicelib/store/items.py): the privacy engine treats
every entity alike, guided by the manifest. Each listing is a paginated Query: a fixed
number of calls per page of the subject's own data. The background erasure walks them one
page at a time (``items_page``), resuming from a page's LastEvaluatedKey; an item found in
two locations belongs to the first (``owning_location``), so each is handled once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.store import codec, db, items
from chalicelib.store.items import StoredItem
from chalicelib.store.table import TableItem

# (index or None, key attribute, key template) for every place a user's items live.
LOCATIONS: tuple[tuple[str | None, Any, str], ...] = (
    (None, TableItem.pk, "USER#{u}"),
    ("GSI1", TableItem.gsi1pk, "USER#{u}"),
    ("GSI1", TableItem.gsi1pk, "CUST#{u}"),
    (None, TableItem.pk, "IDEM#{u}"),
)


def items_of(user_id: str) -> list[StoredItem]:
    """Every item keyed by the user (deduplicated by primary key)."""
    seen: dict[tuple[str, str], StoredItem] = {}
    for index, key, template in LOCATIONS:
        for item in items.query(key == template.format(u=user_id), index=index):
            seen.setdefault(item.key, item)
    return list(seen.values())


LOCATION_COUNT = len(LOCATIONS)


def items_page(
    user_id: str, location: int, start_key: dict[str, Any] | None, limit: int
) -> tuple[list[StoredItem], dict[str, Any] | None]:
    """One page (at most ``limit`` items) of one location, from ``start_key``: one Query.
    Returns the items and where the next page starts (None after the last)."""
    index, key, template = LOCATIONS[location]
    raw, after = db.query_raw(
        key == template.format(u=user_id), index=index, limit=limit, start_key=start_key, consistent=index is None
    )
    return [items.decode(each) for each in raw], after


def owning_location(item: StoredItem, user_id: str) -> int:
    """The first location (index into LOCATIONS) that lists ``item``."""
    for position, (_index, key, template) in enumerate(LOCATIONS):
        if item.values.get(key.attr_name) == template.format(u=user_id):
            return position
    return LOCATION_COUNT


def close_account(
    tx: db.Transaction,
    user_id: str,
    profile: tuple[str, str],
    at: datetime,
    remove: Iterable[str],
    claims: Iterable[tuple[str, str]],
    challenges: Iterable[tuple[str, str]],
) -> None:
    """Add to ``tx``: the profile closed (``active = false``, the named attributes removed;
    role ``profile``, only if it exists), its contact ``claims`` deleted (role ``claim``: each
    only if absent or still the user's, never another account's) and its pending change
    ``challenges`` deleted (role ``challenge``; their keys name the user)."""
    from pynamodb.expressions.operand import Path

    from chalicelib.store.users import ContactClaim

    pk, sk = profile
    actions: list[Any] = [Path(["active"]).set(False), Path(["updated_at"]).set(codec.encode(at))]
    actions += [Path([name]).remove() for name in sorted(set(remove))]
    tx.update(TableItem(pk=pk, sk=sk), actions, role="profile", condition=TableItem.pk.exists())
    for claim_pk, claim_sk in claims:
        condition = ContactClaim.pk.does_not_exist() | (ContactClaim.user_id == user_id)
        tx.delete(TableItem(pk=claim_pk, sk=claim_sk), role="claim", condition=condition)
    for challenge_pk, challenge_sk in challenges:
        tx.delete(TableItem(pk=challenge_pk, sk=challenge_sk), role="challenge")


def get(pk: str, sk: str) -> StoredItem | None:
    return items.get(pk, sk)


def delete_keys(keys: Iterable[tuple[str, str]]) -> int:
    """BatchWriteItem deletes, 25 per call, retrying unprocessed ones."""
    return items.delete_many(keys)


def remove_attributes(pk: str, sk: str, names: Iterable[str]) -> None:
    """REMOVE the named attributes of an existing item (one UpdateItem; no-op if absent)."""
    items.update(pk, sk, remove=names)


def deactivate_user(pk: str, sk: str, at: datetime, remove: Iterable[str]) -> bool:
    """Close the account: ``active = false`` and drop the named credential/contact attributes.

    One UpdateItem; False when there is no such profile.
    """
    return items.update(pk, sk, set_values={"active": False, "updated_at": at}, remove=remove)
