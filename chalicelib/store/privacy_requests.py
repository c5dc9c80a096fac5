"""Privacy requests (RIGHT-6): each one tracked with its due date.

Keys
- ``PRIVREQ#<id>`` / ``META``: the request.
- GSI1 ``USER#<u>`` / ``PRIVREQ#<received>#<id>``: the user's requests.
- GSI2 ``PRIVREQS#<status>`` / ``<due>#<id>``: the operators' queue, most urgent first.
A status change moves the item between operator queues in the same UpdateItem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib import errors
from chalicelib.store import codec, db, retention
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem


class PrivacyRequest(TableItem, discriminator="PrivacyRequest"):
    request_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    received_at = InstantAttribute()
    due_at = InstantAttribute()
    completed_at = InstantAttribute(null=True)


@dataclass(frozen=True)
class RequestView:
    request_id: str
    user_id: str
    kind: str
    status: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    details: str | None


def _view(item: PrivacyRequest) -> RequestView:
    return RequestView(
        request_id=item.request_id,
        user_id=item.user_id,
        kind=item.kind,
        status=item.status,
        received_at=item.received_at,
        due_at=item.due_at,
        completed_at=item.completed_at,
        details=item.details,
    )


def create(
    request_id: str,
    user_id: str,
    kind: str,
    details: str | None,
    received_at: datetime,
    due_at: datetime,
    *,
    completed: bool = False,
    tx: db.Transaction | None = None,
) -> RequestView:
    """One TransactWriteItems: the request, with the caller's ``tx`` (its audit record)."""
    status = "completed" if completed else "open"
    item = PrivacyRequest(
        pk=f"PRIVREQ#{request_id}",
        sk="META",
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"PRIVREQ#{codec.encode(received_at)}#{request_id}",
        gsi2pk=f"PRIVREQS#{status}",
        gsi2sk=f"{codec.encode(due_at)}#{request_id}",
        request_id=request_id,
        user_id=user_id,
        kind=kind,
        details=details,
        status=status,
        received_at=received_at,
        due_at=due_at,
        completed_at=received_at if completed else None,
    )
    tx = tx if tx is not None else db.Transaction()
    tx.put(item, role="request", condition=PrivacyRequest.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("This request exists already") from None
    return _view(item)


def for_user(user_id: str, now: datetime, limit: int = 100) -> list[RequestView]:
    return [
        _view(item)
        for item in db.query(
            PrivacyRequest,
            f"USER#{user_id}",
            PrivacyRequest.gsi1sk.startswith("PRIVREQ#"),
            index="GSI1",
            ascending=False,
            limit=limit,
        )
        if isinstance(item, PrivacyRequest) and not retention.is_expired(item, now)
    ]


def by_status(
    status: str, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[RequestView], dict[str, Any] | None]:
    """One page of the operators' queue, earliest due first (one Query on GSI2)."""
    with db.sdk_errors():
        results = PrivacyRequest.gsi2.query(f"PRIVREQS#{status}", limit=limit, last_evaluated_key=after)
        items = [
            _view(item) for item in results if isinstance(item, PrivacyRequest) and not retention.is_expired(item, now)
        ]
    return items, results.last_evaluated_key


def close(request_id: str, status: str, at: datetime, *, tx: db.Transaction | None = None) -> None:
    """Complete or reject an open request (conditional: only an open one), in one
    TransactWriteItems with the caller's ``tx`` (its audit record)."""
    tx = tx if tx is not None else db.Transaction()
    tx.update(
        PrivacyRequest(pk=f"PRIVREQ#{request_id}", sk="META"),
        [
            PrivacyRequest.status.set(status),
            PrivacyRequest.completed_at.set(at),
            PrivacyRequest.gsi2pk.set(f"PRIVREQS#{status}"),
        ],
        role="request",
        condition=PrivacyRequest.status == "open",
    )
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("This request is not open (or does not exist)") from None


def get(request_id: str) -> RequestView | None:
    item = db.get(PrivacyRequest, f"PRIVREQ#{request_id}", "META", consistent=True)
    return _view(item) if item is not None else None
