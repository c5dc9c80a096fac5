"""Privacy requests (RIGHT-6): tracked with a reply deadline operators can prove.

The deadline is the stricter of the two policies: 10 business days (001) and one calendar
month (003, GDPR Art. 12(3)). Ten business days always ends first, but both are computed
so a deployment that changes either stays correct.

An erasure is accepted at once and then done by a background job (chalicelib/privacy/
erasure.py): its request is ``in_progress`` with the job's progress (phase, items processed,
updated_at) until the job completes it; the user's and the operators' lists show it.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.privacy import audit
from chalicelib.store import db
from chalicelib.store import privacy_requests as store
from chalicelib.store.privacy_requests import RequestView

IN_PROGRESS = store.IN_PROGRESS  # an erasure whose background job is running

BUSINESS_DAYS = 10


def add_business_days(start: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday) after ``start``, same time of day."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def add_one_month(start: datetime) -> datetime:
    """Same day next month, or the month's last day when it has no such day (31 Jan -> 28/29 Feb)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def due_date(received_at: datetime) -> datetime:
    return min(add_business_days(received_at, BUSINESS_DAYS), add_one_month(received_at))


def is_overdue(view: RequestView, now: datetime) -> bool:
    return view.status in ("open", IN_PROGRESS) and view.due_at < now


def erasure_request_id(user_id: str) -> str:
    """An account is erased once: its erasure request's id follows from the user id, so a
    retried DELETE /v1/me finds the request the first one made (and starts nothing twice)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"booking:erasure:{user_id}").hex


def start_in_progress(
    tx: db.Transaction, request_id: str, user_id: str, kind: str, phase: str, now: datetime
) -> RequestView:
    """Add to ``tx`` a request done in the background (role ``request``; fails if it exists)."""
    return store.create_in_progress(tx, request_id, user_id, kind, now, due_date(now), phase)


def get(request_id: str) -> RequestView | None:
    return store.get(request_id)


def record_progress(
    request_id: str,
    step: int,
    phase: str,
    cursor: dict[str, Any] | None,
    processed: int,
    contact_kept_until: datetime | None,
    now: datetime,
) -> bool:
    return store.record_progress(request_id, step, phase, cursor, processed, contact_kept_until, now)


def complete_in_progress(request_id: str, step: int, now: datetime) -> bool:
    return store.complete_in_progress(request_id, step, now)


def in_progress_received_before(threshold: datetime) -> list[RequestView]:
    """In-progress requests received before ``threshold``: a Query of GSI2's in-progress
    partition by due date, then the exact filter. A request received earlier is never due more
    than a day after one received later (the time of day rides along over a weekend or a
    short month), so the key bound leaves none out."""
    bound = due_date(threshold) + timedelta(days=1)
    return [view for view in store.in_progress_due_before(bound) if view.received_at < threshold]


def submit(user_id: str, kind: str, details: str | None, now: datetime, *, completed: bool = False) -> RequestView:
    """Calls: one TransactWriteItems (the request + its audit record)."""
    request_id = uuid.uuid4().hex
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=audit.PLATFORM,
        actor=user_id,
        action=f"privacy_request.{'completed' if completed else 'received'}",
        entity="PrivacyRequest",
        entity_id=request_id,
        at=now,
        summary={"kind": kind},
    )
    return store.create(request_id, user_id, kind, details, now, due_date(now), completed=completed, tx=tx)


def mine(user_id: str, now: datetime) -> list[RequestView]:
    return store.for_user(user_id, now)


def operator_queue(
    operator_id: str, status: str, now: datetime, cursor: dict[str, object] | None
) -> tuple[list[RequestView], dict[str, object] | None]:
    """The operators' view, earliest due first. The read is audited (SEC-6): one Query + one
    PutItem (the audit record alone: a read has no change to join)."""
    views, after = store.by_status(status, 50, cursor, now)
    audit.record_read(
        tenant=audit.PLATFORM, actor=operator_id, entity="PrivacyRequest", entity_id=f"queue:{status}", at=now
    )
    return views, after


def close(operator_id: str, request_id: str, status: str, now: datetime) -> RequestView:
    """Calls: GetItem request (its subject, for the record) + one TransactWriteItems (the
    conditional close + its audit record)."""
    from dataclasses import replace

    view = store.get(request_id)
    if view is None:
        raise errors.Conflict("This request is not open (or does not exist)")
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=audit.PLATFORM,
        actor=operator_id,
        action=f"privacy_request.{status}",
        entity="PrivacyRequest",
        entity_id=request_id,
        at=now,
        summary={"subject": view.user_id},
    )
    store.close(request_id, status, now, tx=tx)
    return replace(view, status=status, completed_at=now)


def handle_user_request(user_id: str, kind: str, details: str | None, now: datetime) -> RequestView:
    """Objection and restriction take effect at once (and are closed as done); the rest wait
    for an operator, tracked with their due date."""
    from chalicelib.domain.consents import MARKETING_OBJECTION, NO_SCOPE, PROCESSING_RESTRICTION, ConsentChange
    from chalicelib.privacy import consents

    immediate = {"objection": MARKETING_OBJECTION, "restriction": PROCESSING_RESTRICTION}
    if kind in immediate:
        consents.change(user_id, [ConsentChange(immediate[kind], NO_SCOPE, True)], at=now, source="privacy-request")
        return submit(user_id, kind, details, now, completed=True)
    return submit(user_id, kind, details, now)
