"""Audit log (SEC-6): an append-only record of changes to critical entities.

Minimal append for now: one item per change under ``AUDIT#<tenant>``. Summaries hold
pseudonymous ids, never raw personal data. (The privacy issue adds the per-tenant hash
chain and the verify command.)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from chalicelib.store.audit import AuditRecord, put_record


def record(
    *,
    tenant: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    at: datetime,
    summary: dict[str, str] | None = None,
) -> AuditRecord:
    """Append one record. ``tenant`` is a business id, or "platform" for account-level changes."""
    entry = AuditRecord.new(
        tenant=tenant,
        record_id=uuid.uuid4().hex,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=at,
        summary=summary or {},
    )
    put_record(entry)
    return entry
