"""Business webhook endpoints and their delivery log, in the business's partition.

| item | PK | SK |
|---|---|---|
| endpoint (URL, kinds, status, delivery log) | ``BIZ#<b>`` | ``WEBHOOK#<id>`` |
| the business's endpoint count | ``BIZ#<b>`` | ``WEBHOOKS`` |

The count bounds how many endpoints a business holds without a read-then-write: a create
adds one on condition it stays within the bound, in the same transaction as the put; a
delete takes one off with its delete. No signing secret is stored: it is derived from the
platform's webhook key and the endpoint's ``salt`` (services/webhooks.py), so reading the
table does not give the power to forge a delivery.

The delivery log is the endpoint's own attributes (last status, last error code, last
attempt, consecutive failures, failing since), one UpdateItem per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

ACTIVE, DISABLED = "active", "disabled"
COUNTER_SK = "WEBHOOKS"


class WebhookEndpoint(TableItem, discriminator="WebhookEndpoint"):
    business_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    url = UnicodeAttribute()
    kinds = UnicodeSetAttribute()
    salt = UnicodeAttribute()
    status = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = InstantAttribute()
    last_status = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    last_attempt_at = InstantAttribute(null=True)
    consecutive_failures = NumberAttribute(default=0)
    failing_since = InstantAttribute(null=True)
    disabled_at = InstantAttribute(null=True)


class WebhookCounter(TableItem, discriminator="WebhookCounter"):
    business_id = UnicodeAttribute()
    endpoints = NumberAttribute(default=0)


class TooManyEndpoints(Exception):
    """The business already holds the maximum number of endpoints."""


@dataclass(frozen=True)
class Endpoint:
    business_id: str
    endpoint_id: str
    url: str
    kinds: frozenset[str]
    salt: str
    status: str
    created_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    disabled_at: datetime | None = None


def _view(item: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        business_id=item.business_id,
        endpoint_id=item.endpoint_id,
        url=item.url,
        kinds=frozenset(item.kinds or ()),
        salt=item.salt,
        status=item.status,
        created_at=item.created_at,
        last_status=int(item.last_status) if item.last_status is not None else None,
        last_error=item.last_error,
        last_attempt_at=item.last_attempt_at,
        consecutive_failures=int(item.consecutive_failures or 0),
        failing_since=item.failing_since,
        disabled_at=item.disabled_at,
    )


def _key(business_id: str, endpoint_id: str) -> tuple[str, str]:
    return f"BIZ#{business_id}", f"WEBHOOK#{endpoint_id}"


def create(
    business_id: str,
    endpoint_id: str,
    url: str,
    kinds: frozenset[str],
    salt: str,
    created_by: str,
    now: datetime,
    limit: int,
    *,
    tx: db.Transaction | None = None,
) -> Endpoint:
    """One TransactWriteItems: the endpoint and the count + 1 (on condition it stays <= limit),
    with the caller's ``tx`` (its audit record). TooManyEndpoints at the bound."""
    tx = tx if tx is not None else db.Transaction()
    item = WebhookEndpoint(
        *_key(business_id, endpoint_id),
        business_id=business_id,
        endpoint_id=endpoint_id,
        url=url,
        kinds=set(kinds),
        salt=salt,
        status=ACTIVE,
        created_by=created_by,
        created_at=now,
        consecutive_failures=0,
    )
    tx.put(item, role="endpoint", condition=WebhookEndpoint.pk.does_not_exist())
    counter = WebhookCounter(f"BIZ#{business_id}", COUNTER_SK)
    tx.update(
        counter,
        [WebhookCounter.business_id.set(business_id), WebhookCounter.endpoints.add(1)],
        role="count",
        condition=WebhookCounter.endpoints.does_not_exist() | (WebhookCounter.endpoints < limit),
    )
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if "count" in cancelled.failed:
            raise TooManyEndpoints() from None
        raise
    return _view(item)


def delete(business_id: str, endpoint_id: str, *, tx: db.Transaction | None = None) -> bool:
    """One TransactWriteItems: the endpoint (if it exists) and the count - 1; False when it
    was not there (nothing written)."""
    tx = tx if tx is not None else db.Transaction()
    tx.delete(WebhookEndpoint(*_key(business_id, endpoint_id)), role="endpoint", condition=WebhookEndpoint.pk.exists())
    counter = WebhookCounter(f"BIZ#{business_id}", COUNTER_SK)
    tx.update(counter, [WebhookCounter.endpoints.add(-1)], role="count", condition=WebhookCounter.endpoints > 0)
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if "endpoint" in cancelled.failed:
            return False
        raise
    return True


def get(business_id: str, endpoint_id: str) -> Endpoint | None:
    """One GetItem (consistent: a deleted or disabled endpoint gets no more deliveries)."""
    item = db.get(WebhookEndpoint, *_key(business_id, endpoint_id), consistent=True)
    return _view(item) if item else None


def list_for(business_id: str, limit: int) -> list[Endpoint]:
    """One Query on the business's partition (bounded by the per-business maximum)."""
    found = db.query(WebhookEndpoint, f"BIZ#{business_id}", WebhookEndpoint.sk.startswith("WEBHOOK#"), limit=limit)
    return [_view(item) for item in found if isinstance(item, WebhookEndpoint)]


def record_success(business_id: str, endpoint_id: str, status: int, now: datetime) -> None:
    """One UpdateItem (only if the endpoint still exists): the failure run ends."""
    item = WebhookEndpoint(*_key(business_id, endpoint_id))
    actions: list[Any] = [
        WebhookEndpoint.last_status.set(status),
        WebhookEndpoint.last_attempt_at.set(now),
        WebhookEndpoint.consecutive_failures.set(0),
        WebhookEndpoint.last_error.remove(),
        WebhookEndpoint.failing_since.remove(),
    ]
    _update(item, actions)


def record_failure(
    business_id: str, endpoint_id: str, status: int | None, error: str, now: datetime
) -> Endpoint | None:
    """One UpdateItem returning the new state: failures + 1, ``failing_since`` kept from the
    first failure of the run. None when the endpoint is gone."""
    item = WebhookEndpoint(*_key(business_id, endpoint_id))
    actions: list[Any] = [
        WebhookEndpoint.last_attempt_at.set(now),
        WebhookEndpoint.last_error.set(error),
        WebhookEndpoint.consecutive_failures.add(1),
        WebhookEndpoint.failing_since.set(WebhookEndpoint.failing_since | now),
    ]
    actions.append(
        WebhookEndpoint.last_status.set(status) if status is not None else WebhookEndpoint.last_status.remove()
    )
    if not _update(item, actions):
        return None
    return get(business_id, endpoint_id)


def disable(business_id: str, endpoint_id: str, now: datetime) -> bool:
    """One conditional UpdateItem: True only for the call that moved it from active (so the
    owners are told once)."""
    item = WebhookEndpoint(*_key(business_id, endpoint_id))
    try:
        db.update(
            item,
            [WebhookEndpoint.status.set(DISABLED), WebhookEndpoint.disabled_at.set(now)],
            condition=WebhookEndpoint.status == ACTIVE,
        )
    except db.ConditionFailed:
        return False
    return True


def _update(item: WebhookEndpoint, actions: list[Any]) -> bool:
    try:
        db.update(item, actions, condition=WebhookEndpoint.pk.exists())
    except db.ConditionFailed:
        return False
    return True
