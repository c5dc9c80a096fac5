"""Privacy requests (RIGHT-6): each one tracked with its due date.

Keys
- ``PRIVREQ#<id>`` / ``META``: the request.
- GSI1 ``USER#<u>`` / ``PRIVREQ#<received>#<id>``: the user's requests.
- GSI2 ``PRIVREQS#<status>`` / ``<due>#<id>``: the operators' queue, most urgent first.
A status change moves the item between operator queues in the same UpdateItem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib import errors
from chalicelib.store import retention
from chalicelib.store.table import TableItem


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class PrivacyRequest(TableItem, discriminator="PrivacyRequest"):
    request_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    details = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    received_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class RequestView:
    request_id: str
    user_id: str
    kind: str
    status: str
    received_at: str
    due_at: str
    completed_at: str | None
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
) -> RequestView:
    status = "completed" if completed else "open"
    item = PrivacyRequest(
        pk=f"PRIVREQ#{request_id}",
        sk="META",
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"PRIVREQ#{_iso(received_at)}#{request_id}",
        gsi2pk=f"PRIVREQS#{status}",
        gsi2sk=f"{_iso(due_at)}#{request_id}",
        request_id=request_id,
        user_id=user_id,
        kind=kind,
        details=details,
        status=status,
        received_at=_iso(received_at),
        due_at=_iso(due_at),
        completed_at=_iso(received_at) if completed else None,
    )
    item.save(condition=PrivacyRequest.pk.does_not_exist())
    return _view(item)


def for_user(user_id: str, now: datetime, limit: int = 100) -> list[RequestView]:
    return [
        _view(item)
        for item in PrivacyRequest.gsi1.query(
            f"USER#{user_id}", PrivacyRequest.gsi1sk.startswith("PRIVREQ#"), scan_index_forward=False, limit=limit
        )
        if isinstance(item, PrivacyRequest) and not retention.is_expired(item, now)
    ]


def by_status(
    status: str, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[RequestView], dict[str, Any] | None]:
    """One page of the operators' queue, earliest due first (one Query on GSI2)."""
    results = PrivacyRequest.gsi2.query(f"PRIVREQS#{status}", limit=limit, last_evaluated_key=after)
    items = [
        _view(item) for item in results if isinstance(item, PrivacyRequest) and not retention.is_expired(item, now)
    ]
    return items, results.last_evaluated_key


def close(request_id: str, status: str, at: datetime) -> RequestView:
    """Complete or reject an open request (conditional: only an open one)."""
    item = PrivacyRequest(pk=f"PRIVREQ#{request_id}", sk="META")
    try:
        item.update(
            actions=[
                PrivacyRequest.status.set(status),
                PrivacyRequest.completed_at.set(_iso(at)),
                PrivacyRequest.gsi2pk.set(f"PRIVREQS#{status}"),
            ],
            condition=PrivacyRequest.status == "open",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise errors.Conflict("This request is not open (or does not exist)") from None
        raise
    return _view(item)
