"""Access and portability (RIGHT-1, RIGHT-2): every category of a user's data as JSON.

The document itself is built by chalicelib/privacy/export_document.py. Small exports are
answered inline; big ones are queued for the jobs worker (chalicelib/privacy/jobs.py),
which builds them into S3 (SSE-KMS); they are fetched through a presigned link that expires.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from chalicelib import errors
from chalicelib.privacy import audit
from chalicelib.privacy.export_document import EXPORTS_BUCKET, SCHEMA_URL, SCHEMA_VERSION, build
from chalicelib.store import db, objects
from chalicelib.store import exports as store

__all__ = ["SCHEMA_URL", "SCHEMA_VERSION", "build", "request_export", "status"]

INLINE_LIMIT_BYTES = 200 * 1024
LINK_LIFETIME = timedelta(minutes=15)


def request_export(user_id: str, now: datetime) -> store.ExportView:
    """Answer inline when small (the audit record alone: one PutItem), else queue a build
    (the pending job and its audit record: one TransactWriteItems) on the jobs queue."""
    export_id = uuid.uuid4().hex
    document = build(user_id, now)
    body = json.dumps(document, sort_keys=True)
    tenant, action, entity = audit.PLATFORM, "export.requested", "Export"
    if len(body.encode()) <= INLINE_LIMIT_BYTES:
        # Nothing is stored, so there is no change to join: the record alone.
        audit.record_alone(tenant=tenant, actor=user_id, action=action, entity=entity, entity_id=export_id, at=now)
        return store.ExportView(export_id=export_id, status="ready", data=document, object_key=None, created_at=now)
    tx = db.Transaction()
    audit.record(tx, tenant=tenant, actor=user_id, action=action, entity=entity, entity_id=export_id, at=now)
    view = store.create(user_id, export_id, now, tx=tx)
    from chalicelib.privacy import jobs

    jobs.enqueue({"type": "export", "user_id": user_id, "export_id": export_id})
    return view


def status(user_id: str, export_id: str, now: datetime) -> tuple[store.ExportView, str | None, datetime | None]:
    """The caller's own export (404 for anyone else's) and a fresh expiring link when ready."""
    view = store.get(user_id, export_id, now)
    if view is None:
        raise errors.NotFound("No such export")
    if view.status != "ready" or view.object_key is None:
        return view, None, None
    url = objects.download_link(EXPORTS_BUCKET, view.object_key, int(LINK_LIFETIME.total_seconds()))
    return view, url, now + LINK_LIFETIME
