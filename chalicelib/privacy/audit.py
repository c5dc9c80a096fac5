"""Audit log (SEC-6): written with the change, hash-chained after the fact, verifiable.

Every change to a critical entity (account, consent, booking, business, staff role,
price, schedule) and every staff or operator read of customer data is recorded with
actor, tenant, action, time and a change summary. Summaries hold pseudonymous ids,
never raw personal data: anything that looks like an e-mail, a phone number or a token
is masked before it is written.

A change's record is one more put in the change's own transaction (``record``): both
commit or neither does, and the request reads nothing and touches no shared item. A read
has no transaction to join and writes its record alone (``record_read``). The table
stream's consumer seals new records into per-(tenant, shard) hash chains (``seal``;
chalicelib/store/audit.py), a schedule seals what the stream missed, and
``python -m chalicelib.privacy.verify_audit <tenant>`` checks the chains.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib.observability import redact_text
from chalicelib.store import audit as store
from chalicelib.store import db

PLATFORM = "platform"  # the tenant for account-level changes (no business involved)
# A record unsealed for longer than this was missed by the stream: the schedule seals it and
# the verifier reports it as a problem.
STRANDED_AFTER = timedelta(minutes=5)


def _retention_deadline(at: datetime) -> datetime:
    from chalicelib.privacy.manifest import window

    return at + window("audit")


def _new(
    tenant: str, actor: str, action: str, entity: str, entity_id: str, at: datetime, summary: dict[str, str] | None
) -> store.NewRecord:
    return store.NewRecord(
        tenant=tenant,
        record_id=uuid.uuid4().hex,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        at=at,
        summary={str(k): redact_text(str(v)) for k, v in (summary or {}).items()},
        expires_at=_retention_deadline(at),
    )


def record(
    tx: db.Transaction,
    *,
    tenant: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    at: datetime,
    summary: dict[str, str] | None = None,
) -> None:
    """Add the change's record to ``tx`` (one put, role "audit"); it commits with the change.
    ``tenant`` is a business id, or "platform" for account-level changes."""
    store.add(tx, _new(tenant, actor, action, entity, entity_id, at, summary))


def record_read(
    *,
    tenant: str,
    actor: str,
    entity: str,
    entity_id: str,
    at: datetime,
    subject: str | None = None,
    action: str = "read",
    summary: dict[str, str] | None = None,
) -> None:
    """A staff or operator read of customer data (SEC-6 "access under audit log"): one
    PutItem of a new item (no head, no retry), so concurrent reads never conflict."""
    details = dict(summary or {})
    if subject:
        details["subject"] = subject
    record_alone(
        tenant=tenant, actor=actor, action=action, entity=entity, entity_id=entity_id, at=at, summary=details or None
    )


def record_alone(
    *,
    tenant: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    at: datetime,
    summary: dict[str, str] | None = None,
) -> None:
    """An audited event with no single transaction to join (a read, a many-write job): one
    PutItem of a new item."""
    store.put_alone(_new(tenant, actor, action, entity, entity_id, at, summary))


# --- sealing (the stream consumer and the stranded-record schedule) --------------------------


def _signer(tenant: str, shard: int, seq: int, record_hash: str) -> str:
    from chalicelib.privacy.audit_chain import signature
    from chalicelib.security.secrets import secret_bytes
    from chalicelib.settings import get_settings

    return signature(secret_bytes(get_settings().audit_anchor_key), tenant, shard, seq, record_hash)


def seal(tenant: str, shard: int, now: datetime) -> int:
    """Seal one chain's unsealed records; returns how many were sealed (0: nothing to do)."""
    from chalicelib.privacy.audit_chain import chain_hash

    return store.seal(store.Chain(tenant, shard), chain_hash, _signer, now)


def seal_key(pk: str, sk: str, now: datetime) -> int:
    """The stream consumer's entry: seal the chain of a newly written record's key."""
    chain = store.chain_of_key(pk, sk)
    if chain is None:
        return 0
    return seal(chain.tenant, chain.shard, now)


def seal_stranded(now: datetime) -> int:
    """Seal every chain holding records older than STRANDED_AFTER (the stream missed them)."""
    return sum(
        seal(chain.tenant, chain.shard, now) for chain in sorted(store.stranded_chains(now - STRANDED_AFTER), key=str)
    )
