"""Audit records (SEC-6), hash-chained per tenant.

Keys, all in one partition per tenant:
- record: PK ``AUDIT#<tenant>``, SK ``REC#<seq, 12 digits>`` (chain order)
- head:   PK ``AUDIT#<tenant>``, SK ``HEAD``   (seq and hash of the newest record)
- anchor: PK ``AUDIT#<tenant>``, SK ``ANCHOR`` (seq and hash of the newest record that
  retention removed: verification starts after it)

An append is one consistent GetItem of the head plus one TransactWriteItems that puts the
record (if absent) and moves the head on condition that it still points where it did.
Two concurrent appends cannot both win: the loser re-reads the head and retries, so the
chain never forks and no sequence number is used twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.store import db, retention
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

HEAD = "HEAD"
ANCHOR = "ANCHOR"
RECORD_PREFIX = "REC#"
MAX_ATTEMPTS = 25
GENESIS = "0" * 64  # prev_hash of a tenant's first record


def _pk(tenant: str) -> str:
    return f"AUDIT#{tenant}"


def record_sk(seq: int) -> str:
    return f"{RECORD_PREFIX}{seq:012d}"


class AuditRecord(TableItem, discriminator="AuditRecord"):
    tenant = UnicodeAttribute()
    seq = NumberAttribute()
    record_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target_entity = UnicodeAttribute()
    target_id = UnicodeAttribute()
    at = InstantAttribute()
    summary = MapAttribute[str, str](default=dict)
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()

    def chained_fields(self) -> dict[str, object]:
        return {
            "tenant": self.tenant,
            "seq": int(self.seq),
            "record_id": self.record_id,
            "actor": self.actor,
            "action": self.action,
            "target_entity": self.target_entity,
            "target_id": self.target_id,
            # The hashed text of ``at`` is fixed by the records already chained (ISO 8601 with
            # microseconds and "+00:00"), whatever the stored format: do not change it.
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "summary": dict(self.summary.as_dict() if isinstance(self.summary, MapAttribute) else self.summary),
        }


class AuditChainHead(TableItem, discriminator="AuditChainHead"):
    """Newest record of a tenant's chain (HEAD), or newest removed by retention (ANCHOR)."""

    tenant = UnicodeAttribute()
    seq = NumberAttribute()
    hash = UnicodeAttribute()


@dataclass(frozen=True)
class NewRecord:
    tenant: str
    record_id: str
    actor: str
    action: str
    entity: str
    entity_id: str
    at: datetime
    summary: dict[str, str]
    expires_at: datetime | None


def _get_pointer(tenant: str, sk: str) -> AuditChainHead | None:
    return db.get(AuditChainHead, _pk(tenant), sk, consistent=True)


def append(new: NewRecord, hasher: Callable[[dict[str, object], str], str]) -> AuditRecord:
    """Append to the tenant's chain; ``hasher(fields, prev_hash)`` computes the record hash."""
    for _ in range(MAX_ATTEMPTS):
        head = _get_pointer(new.tenant, HEAD)
        seq = int(head.seq) + 1 if head else 1
        prev_hash = head.hash if head else GENESIS
        entry = AuditRecord(
            pk=_pk(new.tenant),
            sk=record_sk(seq),
            tenant=new.tenant,
            seq=seq,
            record_id=new.record_id,
            actor=new.actor,
            action=new.action,
            target_entity=new.entity,
            target_id=new.entity_id,
            at=new.at,
            summary=new.summary,
            prev_hash=prev_hash,
            hash="",
        )
        entry.hash = hasher(entry.chained_fields(), prev_hash)
        if new.expires_at is not None:
            # Removed by the audit sweep in chain order (it moves the anchor); no TTL backstop.
            retention.set_expiry(entry, new.expires_at, ttl_backstop=False)
        new_head = AuditChainHead(pk=_pk(new.tenant), sk=HEAD, tenant=new.tenant, seq=seq, hash=entry.hash)
        head_condition = AuditChainHead.seq == int(head.seq) if head is not None else AuditChainHead.pk.does_not_exist()
        tx = db.Transaction()
        tx.put(entry, role="record", condition=AuditRecord.pk.does_not_exist())
        tx.put(new_head, role="head", condition=head_condition)
        try:
            tx.commit()
        except db.TransactionCancelled as exc:
            if _lost_race(exc):
                continue
            raise  # neither a lost race nor throttling (db.py maps that): a bug, so a 500
        return entry
    raise errors.DependencyUnavailable("The audit log is too busy; try again")


def _lost_race(exc: db.TransactionCancelled) -> bool:
    """Another writer moved the head (or touched these items) first: re-read and retry."""
    return bool(exc.failed) or exc.conflict


def records(tenant: str, after_seq: int = 0, page_size: int = 500) -> Iterator[AuditRecord]:
    """The tenant's records in chain order (Query, paginated)."""
    yield from db.query(
        AuditRecord,
        _pk(tenant),
        AuditRecord.sk > record_sk(after_seq),
        consistent=True,
        page_size=page_size,
    )


def list_records(tenant: str, limit: int = 100) -> list[AuditRecord]:
    """The oldest ``limit`` records still held, in chain order."""
    return list(db.query(AuditRecord, _pk(tenant), AuditRecord.sk.startswith(RECORD_PREFIX), limit=limit))


def head(tenant: str) -> AuditChainHead | None:
    return _get_pointer(tenant, HEAD)


def anchor(tenant: str) -> AuditChainHead | None:
    return _get_pointer(tenant, ANCHOR)


def remove_expired(tenant: str, seq: int, record_hash: str) -> bool:
    """Retention: delete the oldest remaining record and move the anchor onto it, atomically.

    Only the record right after the anchor may go, so retention can never open a gap the
    verifier would not notice. False when the record is not next (or already removed).
    """
    current = _get_pointer(tenant, ANCHOR)
    expected_prev = int(current.seq) if current else 0
    if seq != expected_prev + 1:
        return False
    new_anchor = AuditChainHead(pk=_pk(tenant), sk=ANCHOR, tenant=tenant, seq=seq, hash=record_hash)
    condition = AuditChainHead.seq == expected_prev if current else AuditChainHead.pk.does_not_exist()
    tx = db.Transaction()
    tx.delete(AuditRecord(pk=_pk(tenant), sk=record_sk(seq)), role="record", condition=AuditRecord.hash == record_hash)
    tx.put(new_anchor, role="anchor", condition=condition)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if _lost_race(exc):
            return False
        raise
    return True
