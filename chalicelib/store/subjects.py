"""Finding and removing one data subject's items across the single table (RIGHT-1, RIGHT-4).

Every item about a user is reachable by key, never by Scan:
- the user's partition ``USER#<u>`` (profile, registration, consents, preferences, favourites...),
- GSI1 ``USER#<u>`` (sessions, staff memberships, privacy requests),
- GSI1 ``CUST#<u>`` (bookings as a customer),
- ``IDEM#<u>`` (booking idempotency records),
- the contact claims ``PHONE#<h>`` / ``EMAIL#<h>`` / ``TG#<h>`` named by the profile.

Items come as ``StoredItem`` values (chalicelib/store/items.py): the privacy engine treats
every entity alike, guided by the manifest. Each listing is a paginated Query: a fixed
number of calls per page of the subject's own data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.store import items
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
