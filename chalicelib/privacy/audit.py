"""Audit log (SEC-6): append-only, hash-chained per tenant, verifiable.

Every change to a critical entity (account, consent, booking, business, staff role,
price, schedule) and every staff or operator read of customer data is recorded with
actor, tenant, action, time and a change summary. Summaries hold pseudonymous ids,
never raw personal data: anything that looks like an e-mail, a phone number or a token
is masked before it is written. ``python -m chalicelib.privacy.verify_audit <tenant>``
checks the chain.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from chalicelib.observability import redact_text
from chalicelib.privacy.audit_chain import chain_hash
from chalicelib.store.audit import AuditRecord, NewRecord, append

PLATFORM = "platform"  # the tenant for account-level changes (no business involved)


def _retention_deadline(at: datetime) -> datetime:
    from chalicelib.privacy.manifest import window

    return at + window("audit")


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
    return append(
        NewRecord(
            tenant=tenant,
            record_id=uuid.uuid4().hex,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            at=at,
            summary={str(k): redact_text(str(v)) for k, v in (summary or {}).items()},
            expires_at=_retention_deadline(at),
        ),
        chain_hash,
    )


def record_read(
    *, tenant: str, actor: str, entity: str, entity_id: str, at: datetime, subject: str | None = None
) -> AuditRecord:
    """A staff or operator read of customer data (SEC-6 "access under audit log")."""
    return record(
        tenant=tenant,
        actor=actor,
        action="read",
        entity=entity,
        entity_id=entity_id,
        at=at,
        summary={"subject": subject} if subject else None,
    )
