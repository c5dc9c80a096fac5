"""Access and portability (RIGHT-1, RIGHT-2): every category of a user's data as JSON.

The export holds every item keyed by the user (the same locations erasure uses), each
attribute the manifest classifies, minus technical keys and secrets (hashes). It is
built only for the caller: nothing keyed by anyone else is read. Published schema:
docs/export-schema.json. Small exports are answered inline; big ones are built by the
jobs worker into S3 (SSE-KMS) and fetched through a presigned link that expires.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib import errors
from chalicelib.aws_clients import client
from chalicelib.privacy import audit, subjects
from chalicelib.privacy.manifest import Manifest, load
from chalicelib.store import exports as store

SCHEMA_VERSION = 1
SCHEMA_URL = "/docs/export-schema.json"
INLINE_LIMIT_BYTES = 200 * 1024
LINK_LIFETIME = timedelta(minutes=15)
EXPORTS_BUCKET = "exports"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def _exportable(entity: str, name: str, manifest: Manifest) -> bool:
    if name.endswith("_hash") or name in manifest.base.attributes:
        return False  # secrets are never exported; keys are technical
    classified = manifest.attribute(entity, name)
    return classified is not None and classified.category != "technical"


def build(user_id: str, now: datetime, manifest: Manifest | None = None) -> dict[str, Any]:
    """The export document (validates against docs/export-schema.json)."""
    from boto3.dynamodb.types import TypeDeserializer

    manifest = manifest or load()
    deserializer = TypeDeserializer()
    records: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, set[str]] = {}
    for item in sorted(subjects.items_of(user_id), key=lambda i: (i["pk"]["S"], i["sk"]["S"])):
        entity = item.get("entity", {}).get("S", "")
        if entity not in manifest.entities or entity in ("ExportJob",):
            continue
        attributes = {}
        for name, raw in sorted(item.items()):
            if _exportable(entity, name, manifest):
                attributes[name] = _plain(deserializer.deserialize(raw))
                classified = manifest.attribute(entity, name)
                if classified is not None:
                    categories.setdefault(classified.category, set()).add(f"{entity}.{name}")
        records.setdefault(entity, []).append(attributes)
    return {
        "schema": SCHEMA_URL,
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "user_id": user_id,
        "categories": {name: sorted(fields) for name, fields in sorted(categories.items())},
        "records": records,
    }


def _bucket() -> str:
    from chalicelib import resources
    from chalicelib.settings import get_settings

    return resources.bucket_name(get_settings().stage, EXPORTS_BUCKET)


def _object_key(user_id: str, export_id: str) -> str:
    return f"exports/{user_id}/{export_id}.json"


def request_export(user_id: str, now: datetime) -> store.ExportView:
    """Answer inline when small, else queue a build on the jobs queue."""
    export_id = uuid.uuid4().hex
    document = build(user_id, now)
    body = json.dumps(document, sort_keys=True)
    audit.record(
        tenant=audit.PLATFORM, actor=user_id, action="export.requested", entity="Export", entity_id=export_id, at=now
    )
    if len(body.encode()) <= INLINE_LIMIT_BYTES:
        return store.ExportView(export_id=export_id, status="ready", data=document, object_key=None, created_at=now)
    view = store.create(user_id, export_id, now)
    from chalicelib.privacy import jobs

    jobs.enqueue({"type": "export", "user_id": user_id, "export_id": export_id})
    return view


def run_export_job(user_id: str, export_id: str, now: datetime) -> None:
    """Worker: build the export into S3 and mark it ready (idempotent: rebuilds the same key)."""
    document = build(user_id, now)
    key = _object_key(user_id, export_id)
    client("s3").put_object(
        Bucket=_bucket(),
        Key=key,
        Body=json.dumps(document, sort_keys=True).encode(),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
    )
    store.mark_ready(user_id, export_id, key, now)


def status(user_id: str, export_id: str, now: datetime) -> tuple[store.ExportView, str | None, datetime | None]:
    """The caller's own export (404 for anyone else's) and a fresh expiring link when ready."""
    view = store.get(user_id, export_id, now)
    if view is None:
        raise errors.NotFound("No such export")
    if view.status != "ready" or view.object_key is None:
        return view, None, None
    url = client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": _bucket(), "Key": view.object_key},
        ExpiresIn=int(LINK_LIFETIME.total_seconds()),
    )
    return view, str(url), now + LINK_LIFETIME
