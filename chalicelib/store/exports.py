"""Export jobs (RIGHT-1/2): PK ``USER#<u>``, SK ``EXPORT#<id>``; gone a week after creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib import errors
from chalicelib.retention_rules import window
from chalicelib.store import db, retention
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

KEEP = window("export")


class ExportJob(TableItem, discriminator="ExportJob"):
    export_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | ready
    object_key = UnicodeAttribute(null=True)
    created_at = InstantAttribute()
    ready_at = InstantAttribute(null=True)


@dataclass(frozen=True)
class ExportView:
    export_id: str
    status: str
    data: dict[str, Any] | None
    object_key: str | None
    created_at: datetime


def _key(user_id: str, export_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"EXPORT#{export_id}"


def create(user_id: str, export_id: str, now: datetime, *, tx: db.Transaction | None = None) -> ExportView:
    """One TransactWriteItems: the pending job, with the caller's ``tx`` (its audit record)."""
    pk, sk = _key(user_id, export_id)
    job = ExportJob(pk=pk, sk=sk, export_id=export_id, status="pending", created_at=now)
    retention.set_expiry(job, now + KEEP)
    tx = tx if tx is not None else db.Transaction()
    tx.put(job, role="export", condition=ExportJob.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("This export was requested already") from None
    return ExportView(export_id=export_id, status="pending", data=None, object_key=None, created_at=now)


def mark_ready(user_id: str, export_id: str, object_key: str, now: datetime) -> None:
    db.update(
        ExportJob(*_key(user_id, export_id)),
        [ExportJob.status.set("ready"), ExportJob.object_key.set(object_key), ExportJob.ready_at.set(now)],
        condition=ExportJob.pk.exists(),
    )


def get(user_id: str, export_id: str, now: datetime) -> ExportView | None:
    job = db.get(ExportJob, *_key(user_id, export_id))
    if job is None or retention.is_expired(job, now):
        return None
    return ExportView(
        export_id=job.export_id, status=job.status, data=None, object_key=job.object_key, created_at=job.created_at
    )
