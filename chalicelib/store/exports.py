"""Export jobs (RIGHT-1/2): PK ``USER#<u>``, SK ``EXPORT#<id>``; gone a week after creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.store import retention
from chalicelib.store.table import TableItem

KEEP = timedelta(days=7)


class ExportJob(TableItem, discriminator="ExportJob"):
    export_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | ready
    object_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    ready_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class ExportView:
    export_id: str
    status: str
    data: dict[str, Any] | None
    object_key: str | None
    created_at: datetime


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def create(user_id: str, export_id: str, now: datetime) -> ExportView:
    job = ExportJob(
        pk=f"USER#{user_id}", sk=f"EXPORT#{export_id}", export_id=export_id, status="pending", created_at=_iso(now)
    )
    retention.set_expiry(job, now + KEEP)
    job.save(condition=ExportJob.pk.does_not_exist())
    return ExportView(export_id=export_id, status="pending", data=None, object_key=None, created_at=now)


def mark_ready(user_id: str, export_id: str, object_key: str, now: datetime) -> None:
    ExportJob(pk=f"USER#{user_id}", sk=f"EXPORT#{export_id}").update(
        actions=[
            ExportJob.status.set("ready"),
            ExportJob.object_key.set(object_key),
            ExportJob.ready_at.set(_iso(now)),
        ],
        condition=ExportJob.pk.exists(),
    )


def get(user_id: str, export_id: str, now: datetime) -> ExportView | None:
    try:
        job = ExportJob.get(f"USER#{user_id}", f"EXPORT#{export_id}", consistent_read=True)
    except ExportJob.DoesNotExist:
        return None
    if retention.is_expired(job, now):
        return None
    return ExportView(
        export_id=job.export_id,
        status=job.status,
        data=None,
        object_key=job.object_key,
        created_at=datetime.fromisoformat(job.created_at),
    )
