"""Privacy requests (RIGHT-6): each one tracked with its due date.

Keys
- ``PRIVREQ#<id>`` / ``META``: the request.
- GSI1 ``USER#<u>`` / ``PRIVREQ#<received>#<id>``: the user's requests.
- GSI2 ``PRIVREQS#<status>`` / ``<due>#<id>``: the operators' queue, most urgent first.
A status change moves the item between operator queues in the same UpdateItem.

An erasure (DELETE /v1/me) is ``in_progress`` while its background job runs
(chalicelib/privacy/erasure.py); the job records its progress on the request after each
batch: ``phase`` (which of the user's item locations, or ``finish``), ``cursor`` (where in
it: the Query's LastEvaluatedKey as JSON), ``step`` (batches done: each progress write is
conditional on it, so a replayed or duplicate batch cannot move it twice), ``items_processed``,
``contact_kept_until`` and ``updated_at``. ``PRIVREQS#in_progress`` on GSI2 is how the stale
erasure schedule finds unfinished ones without a Scan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

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
    # Progress of a background erasure (absent on every other kind of request).
    phase = UnicodeAttribute(null=True)
    cursor = UnicodeAttribute(null=True)
    step = NumberAttribute(null=True)
    items_processed = NumberAttribute(null=True)
    contact_kept_until = InstantAttribute(null=True)
    updated_at = InstantAttribute(null=True)


IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class Progress:
    """Where a background erasure is: the next batch starts at (phase, cursor)."""

    phase: str
    cursor: dict[str, Any] | None
    step: int
    items_processed: int
    contact_kept_until: datetime | None
    updated_at: datetime | None


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
    progress: Progress | None = None


def _progress(item: PrivacyRequest) -> Progress | None:
    if item.phase is None:
        return None
    return Progress(
        phase=item.phase,
        cursor=json.loads(item.cursor) if item.cursor else None,
        step=int(item.step or 0),
        items_processed=int(item.items_processed or 0),
        contact_kept_until=item.contact_kept_until,
        updated_at=item.updated_at,
    )


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
        progress=_progress(item),
    )


def _pk(request_id: str) -> str:
    return f"PRIVREQ#{request_id}"


def _new(
    request_id: str, user_id: str, kind: str, details: str | None, received_at: datetime, due_at: datetime, status: str
) -> PrivacyRequest:
    return PrivacyRequest(
        pk=_pk(request_id),
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
        completed_at=received_at if status == "completed" else None,
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
    item = _new(request_id, user_id, kind, details, received_at, due_at, "completed" if completed else "open")
    tx = tx if tx is not None else db.Transaction()
    tx.put(item, role="request", condition=PrivacyRequest.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("This request exists already") from None
    return _view(item)


def create_in_progress(
    tx: db.Transaction, request_id: str, user_id: str, kind: str, received_at: datetime, due_at: datetime, phase: str
) -> RequestView:
    """Add to ``tx`` a new request whose work runs in the background (role ``request``: fails
    when a request with this id exists, so a retried erasure starts nothing twice)."""
    item = _new(request_id, user_id, kind, None, received_at, due_at, IN_PROGRESS)
    item.phase, item.step, item.items_processed, item.updated_at = phase, 0, 0, received_at
    tx.put(item, role="request", condition=PrivacyRequest.pk.does_not_exist())
    return _view(item)


def get(request_id: str) -> RequestView | None:
    """One consistent GetItem."""
    item = db.get(PrivacyRequest, _pk(request_id), "META", consistent=True)
    return _view(item) if item is not None else None


def record_progress(
    request_id: str,
    step: int,
    phase: str,
    cursor: dict[str, Any] | None,
    processed: int,
    contact_kept_until: datetime | None,
    at: datetime,
) -> bool:
    """Move an in-progress request from batch ``step`` to ``step + 1`` (one conditional
    UpdateItem). False when it is no longer at ``step`` (another run got there first)."""
    actions: list[Any] = [
        PrivacyRequest.phase.set(phase),
        PrivacyRequest.step.set(step + 1),
        PrivacyRequest.items_processed.add(processed),
        PrivacyRequest.updated_at.set(at),
        PrivacyRequest.cursor.set(json.dumps(cursor, sort_keys=True)) if cursor else PrivacyRequest.cursor.remove(),
    ]
    if contact_kept_until is not None:
        actions.append(PrivacyRequest.contact_kept_until.set(contact_kept_until))
    return _advance(request_id, step, actions)


def complete_in_progress(request_id: str, step: int, at: datetime) -> bool:
    """Mark an in-progress request completed (one conditional UpdateItem on ``step``); it
    moves to the operators' ``completed`` queue. False when another run completed it."""
    actions: list[Any] = [
        PrivacyRequest.status.set("completed"),
        PrivacyRequest.completed_at.set(at),
        PrivacyRequest.gsi2pk.set("PRIVREQS#completed"),
        PrivacyRequest.phase.set("done"),
        PrivacyRequest.step.set(step + 1),
        PrivacyRequest.updated_at.set(at),
        PrivacyRequest.cursor.remove(),
    ]
    return _advance(request_id, step, actions)


def _advance(request_id: str, step: int, actions: list[Any]) -> bool:
    try:
        db.update(
            PrivacyRequest(pk=_pk(request_id), sk="META"),
            actions,
            condition=(PrivacyRequest.status == IN_PROGRESS) & (PrivacyRequest.step == step),
        )
    except db.ConditionFailed:
        return False
    return True


def in_progress_due_before(due_before: datetime, page_size: int = 100) -> Iterator[RequestView]:
    """Every in-progress request due before ``due_before`` (Query on GSI2, page after page)."""
    bound = f"{codec.encode(due_before)}#"
    for item in db.query(
        PrivacyRequest,
        f"PRIVREQS#{IN_PROGRESS}",
        PrivacyRequest.gsi2sk < bound,
        index="GSI2",
        page_size=page_size,
    ):
        if isinstance(item, PrivacyRequest):
            yield _view(item)


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
        PrivacyRequest(pk=_pk(request_id), sk="META"),
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
