"""Audit records (SEC-6): written in the change's own transaction, hash-chained afterwards.

A tenant's log is ``SHARDS`` independent chains; a record joins the chain ``crc32(record
id) % SHARDS``. Keys, per chain (tenant, shard), all in partition ``AUDIT#<tenant>#<shard>``:

- record:    SK ``REC#<codec instant>#<record id>`` (time-sortable, unique). Written by the
             request with no read: one conditional put in the change's TransactWriteItems
             (``add``), or one PutItem for a read that changes nothing (``put_alone``).
             Unsealed it carries the sparse GSI1 entry ``AUDITQ#<crc32(chain) % QUEUE_SHARDS>``
             / ``<tenant>#<shard>#<sk>``: the sealer finds a chain's unsealed records with one
             Query and the stranded-record schedule every chain's with one Query per queue
             partition.
             Sealed, it carries seq, prev_hash and hash, and GSI2 ``AUDIT#<tenant>#<shard>``
             / ``<seq, 12 digits>`` instead (chain order, for the verifier and retention).
- seal head: SK ``SEAL``: seq, hash and HMAC signature of the newest sealed record (plus
             when and where the last anchor was). Only the sealer writes it.
- anchor:    SK ``ANCHOR#<seq, 12 digits>``: an immutable signed checkpoint, written by the
             sealer at most every ``ANCHOR_EVERY`` records or ``ANCHOR_INTERVAL``.
- retention: SK ``RETENTION``: seq and hash of the newest record retention removed
             (verification starts after it).

``seal`` moves records into the chain in batches: one consistent GetItem of the head, one
GSI1 Query, one TransactWriteItems that stamps each record (condition: not sealed yet) and
moves the head (condition: still where it was read). Two sealers cannot both win; the loser
re-reads and retries, so the chain never forks and no seq is used twice.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.store import codec, db, retention
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

# Chains per tenant, the same for every tenant: a tenant's records spread over them, so its
# own partitions take SHARDS times one chain's rate (docs/architecture.md, "Audit log"). Only
# ever raised: existing chains keep their shard numbers and stay in range(SHARDS).
SHARDS = 8
# Partitions of the GSI1 queue of unsealed records, over all tenants' chains (a record's insert
# and its seal each write one entry): the capacity model (docs/capacity.md) put 8 at 47% of a
# partition each at peak, 64 at about 6%. A chain lives in one of them (crc32 of the chain), so
# its sealer reads one partition; verifying a tenant still walks only its SHARDS chains.
QUEUE_SHARDS = 64
SEAL = "SEAL"
RETENTION = "RETENTION"
ANCHOR_PREFIX = "ANCHOR#"
RECORD_PREFIX = "REC#"
QUEUE_PREFIX = "AUDITQ#"
GENESIS = "0" * 64  # prev_hash of a chain's first record
# TransactWriteItems takes 100 items: the records, the head and (sometimes) an anchor.
SEAL_BATCH = 98
SEAL_ATTEMPTS = 10
ANCHOR_EVERY = 100
ANCHOR_INTERVAL = timedelta(hours=1)


def shard_of(record_id: str) -> int:
    return zlib.crc32(record_id.encode()) % SHARDS


def chain_pk(tenant: str, shard: int) -> str:
    return f"AUDIT#{tenant}#{shard}"


def record_sk(at: datetime, record_id: str) -> str:
    return f"{RECORD_PREFIX}{codec.encode(at)}#{record_id}"


def seq_key(seq: int) -> str:
    return f"{seq:012d}"


def anchor_sk(seq: int) -> str:
    return f"{ANCHOR_PREFIX}{seq_key(seq)}"


def _queue_pk(tenant: str, shard: int) -> str:
    return f"{QUEUE_PREFIX}{zlib.crc32(f'{tenant}#{shard}'.encode()) % QUEUE_SHARDS}"


def _queue_prefix(tenant: str, shard: int) -> str:
    return f"{tenant}#{shard}#{RECORD_PREFIX}"


class AuditRecord(TableItem, discriminator="AuditRecord"):
    tenant = UnicodeAttribute()
    shard = NumberAttribute()
    record_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target_entity = UnicodeAttribute()
    target_id = UnicodeAttribute()
    at = InstantAttribute()
    summary = MapAttribute[str, str](default=dict)
    # Set by the sealer:
    seq = NumberAttribute(null=True)
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)

    def chained_fields(self) -> dict[str, object]:
        return chained_fields(self.attribute_values)


def chained_fields(values: dict[str, Any]) -> dict[str, object]:
    """The hashed fields of a record, from its Python values (a model's or a decoder's)."""
    summary = values.get("summary") or {}
    return {
        "tenant": values["tenant"],
        "shard": int(values["shard"]),
        "seq": int(values["seq"]) if values.get("seq") is not None else None,
        "record_id": values["record_id"],
        "actor": values["actor"],
        "action": values["action"],
        "target_entity": values["target_entity"],
        "target_id": values["target_id"],
        # ISO 8601 with microseconds and "+00:00", whatever the stored format: do not change it.
        "at": values["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "summary": dict(summary.as_dict() if isinstance(summary, MapAttribute) else summary),
    }


class AuditChainHead(TableItem, discriminator="AuditChainHead"):
    """A pointer into a chain: the seal head (SEAL), a signed checkpoint (ANCHOR#<seq>) or
    the newest record retention removed (RETENTION)."""

    tenant = UnicodeAttribute()
    shard = NumberAttribute(default=0)
    seq = NumberAttribute()
    hash = UnicodeAttribute()
    signature = UnicodeAttribute(null=True)  # HMAC over tenant, shard, seq, hash (SEAL, ANCHOR)
    anchor_seq = NumberAttribute(null=True)  # SEAL: the newest anchor's seq and time
    anchored_at = InstantAttribute(null=True)


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


def _item(new: NewRecord) -> AuditRecord:
    shard = shard_of(new.record_id)
    sk = record_sk(new.at, new.record_id)
    entry = AuditRecord(
        pk=chain_pk(new.tenant, shard),
        sk=sk,
        tenant=new.tenant,
        shard=shard,
        record_id=new.record_id,
        actor=new.actor,
        action=new.action,
        target_entity=new.entity,
        target_id=new.entity_id,
        at=new.at,
        summary=new.summary,
        gsi1pk=_queue_pk(new.tenant, shard),
        gsi1sk=f"{new.tenant}#{shard}#{sk}",
    )
    if new.expires_at is not None:
        # Removed by the audit sweep in chain order (it moves the pointer); no TTL backstop.
        retention.set_expiry(entry, new.expires_at, ttl_backstop=False)
    return entry


def add(tx: db.Transaction, new: NewRecord) -> None:
    """The record as one put in the caller's transaction (role "audit"): no read, no head."""
    tx.put(_item(new), role="audit", condition=AuditRecord.pk.does_not_exist())


def put_alone(new: NewRecord) -> None:
    """The record as one PutItem, for an audited read that changes nothing else."""
    db.put(_item(new), condition=AuditRecord.pk.does_not_exist())


def put_many(news: list[NewRecord]) -> int:
    """BatchWriteItem of records (bulk loads and tests; fresh ids, so no condition is needed)."""
    return db.batch_write(puts=[_item(n) for n in news])


# --- sealing ----------------------------------------------------------------------------------

Signer = Callable[[str, int, int, str], str]
Hasher = Callable[[dict[str, object], str], str]


@dataclass(frozen=True)
class Chain:
    tenant: str
    shard: int


def chain_of_key(pk: str, sk: str) -> Chain | None:
    """The chain a record's key belongs to (a stream record's keys); None for anything else."""
    if not pk.startswith("AUDIT#") or not sk.startswith(RECORD_PREFIX):
        return None
    tenant, _, shard = pk.removeprefix("AUDIT#").rpartition("#")
    if not tenant or not shard.isdigit():
        return None
    return Chain(tenant, int(shard))


def _unsealed(chain: Chain, limit: int | None = None) -> list[dict[str, Any]]:
    condition = (TableItem.gsi1pk == _queue_pk(chain.tenant, chain.shard)) & TableItem.gsi1sk.startswith(
        _queue_prefix(chain.tenant, chain.shard)
    )
    if limit is None:
        return list(db.query_raw_all(condition, index="GSI1"))
    items, _ = db.query_raw(condition, index="GSI1", limit=limit)
    return items


def seal(chain: Chain, hasher: Hasher, signer: Signer, now: datetime) -> int:
    """Seal the chain's unsealed records, oldest first; returns how many this call sealed.
    Idempotent: nothing unsealed, nothing written. Raises DependencyUnavailable when
    another sealer keeps winning (the stream retries the record)."""
    from chalicelib import errors

    decode = db.decoder(AuditRecord)
    sealed = 0
    attempts = 0
    while True:
        head = db.get(AuditChainHead, chain_pk(chain.tenant, chain.shard), SEAL, consistent=True)
        pending = [decode(raw) for raw in _unsealed(chain, SEAL_BATCH)]
        pending = [p for p in pending if p.get("seq") is None]  # the index may lag a seal
        if not pending:
            return sealed
        tx = db.Transaction()
        seq = int(head.seq) if head else 0
        prev_hash = head.hash if head else GENESIS
        for values in sorted(pending, key=lambda v: v["sk"]):
            seq += 1
            values["seq"] = seq
            record_hash = hasher(chained_fields(values), prev_hash)
            tx.update(
                AuditRecord(pk=values["pk"], sk=values["sk"]),
                [
                    AuditRecord.seq.set(seq),
                    AuditRecord.prev_hash.set(prev_hash),
                    AuditRecord.hash.set(record_hash),
                    AuditRecord.gsi1pk.remove(),
                    AuditRecord.gsi1sk.remove(),
                    AuditRecord.gsi2pk.set(chain_pk(chain.tenant, chain.shard)),
                    AuditRecord.gsi2sk.set(seq_key(seq)),
                ],
                role="record",
                condition=AuditRecord.pk.exists() & AuditRecord.seq.does_not_exist(),
            )
            prev_hash = record_hash
        signature = signer(chain.tenant, chain.shard, seq, prev_hash)
        anchor_seq = int(head.anchor_seq) if head and head.anchor_seq is not None else 0
        anchored_at = head.anchored_at if head else None
        if seq - anchor_seq >= ANCHOR_EVERY or anchored_at is None or now - anchored_at >= ANCHOR_INTERVAL:
            anchor = AuditChainHead(
                pk=chain_pk(chain.tenant, chain.shard),
                sk=anchor_sk(seq),
                tenant=chain.tenant,
                shard=chain.shard,
                seq=seq,
                hash=prev_hash,
                signature=signature,
                anchored_at=now,
            )
            tx.put(anchor, role="anchor", condition=AuditChainHead.pk.does_not_exist())
            anchor_seq, anchored_at = seq, now
        new_head = AuditChainHead(
            pk=chain_pk(chain.tenant, chain.shard),
            sk=SEAL,
            tenant=chain.tenant,
            shard=chain.shard,
            seq=seq,
            hash=prev_hash,
            signature=signature,
            anchor_seq=anchor_seq,
            anchored_at=anchored_at,
        )
        head_condition = AuditChainHead.seq == int(head.seq) if head is not None else AuditChainHead.pk.does_not_exist()
        tx.put(new_head, role="head", condition=head_condition)
        try:
            tx.commit()
        except db.TransactionCancelled:
            attempts += 1  # another sealer moved the head or sealed a record first: re-read
            if attempts >= SEAL_ATTEMPTS:
                raise errors.DependencyUnavailable("The audit chain is being sealed elsewhere; try again") from None
            # Jitter: two sealers of one chain step apart; GSI1 catches up with a seal meanwhile.
            time.sleep(random.uniform(0, 0.01 * 2**attempts))  # noqa: S311 - jitter, not security
            continue
        sealed += len(pending)
        if len(pending) < SEAL_BATCH:
            return sealed  # it saw all there was; a record written since brings its own seal


def stranded_chains(cutoff: datetime) -> set[Chain]:
    """Chains holding records written before ``cutoff`` and still unsealed: one GSI1 Query
    per queue partition over the (normally near-empty) unsealed entries, keys only."""
    found: set[Chain] = set()
    for queue in range(QUEUE_SHARDS):
        condition = TableItem.gsi1pk == f"{QUEUE_PREFIX}{queue}"
        for raw in db.query_raw_all(condition, index="GSI1", projection=["pk", "sk"]):
            pk, sk = db.key_of(raw)
            chain = chain_of_key(pk, sk)
            written = sk.removeprefix(RECORD_PREFIX).split("#", 1)[0]
            if chain is not None and written < codec.encode(cutoff):
                found.add(chain)
    return found


# --- reading (verifier, retention) ------------------------------------------------------------


def sealed_records(chain: Chain, after_seq: int = 0) -> Iterator[dict[str, Any]]:
    """The chain's sealed records in seq order (GSI2), as Python values."""
    decode = db.decoder(AuditRecord)
    condition = (TableItem.gsi2pk == chain_pk(chain.tenant, chain.shard)) & (TableItem.gsi2sk > seq_key(after_seq))
    for raw in db.query_raw_all(condition, index="GSI2"):
        yield decode(raw)


def unsealed_records(chain: Chain) -> list[dict[str, Any]]:
    decode = db.decoder(AuditRecord)
    return [decode(raw) for raw in _unsealed(chain)]


def anchors(chain: Chain) -> list[AuditChainHead]:
    return list(
        db.query(
            AuditChainHead,
            chain_pk(chain.tenant, chain.shard),
            AuditChainHead.sk.startswith(ANCHOR_PREFIX),
            consistent=True,
        )
    )


def seal_head(chain: Chain) -> AuditChainHead | None:
    return db.get(AuditChainHead, chain_pk(chain.tenant, chain.shard), SEAL, consistent=True)


def retention_pointer(chain: Chain) -> AuditChainHead | None:
    return db.get(AuditChainHead, chain_pk(chain.tenant, chain.shard), RETENTION, consistent=True)


def list_records(tenant: str, limit: int = 100) -> list[AuditRecord]:
    """Up to ``limit`` records still held per chain of the tenant, by time (operators, tests)."""
    found: list[AuditRecord] = []
    for shard in range(SHARDS):
        found += db.query(AuditRecord, chain_pk(tenant, shard), AuditRecord.sk.startswith(RECORD_PREFIX), limit=limit)
    return sorted(found, key=lambda r: r.sk)


def remove_expired(pk: str, sk: str, seq: int | None, record_hash: str | None) -> bool:
    """Retention: delete the chain's oldest remaining sealed record and move the pointer
    onto it, atomically.

    Only the record right after the pointer may go, so retention can never open a gap the
    verifier would not notice; an unsealed record waits for its seal. False when the record
    is not next (or already removed, or not sealed yet).
    """
    chain = chain_of_key(pk, sk)
    if chain is None or seq is None or record_hash is None:
        return False
    current = retention_pointer(chain)
    expected_prev = int(current.seq) if current else 0
    if seq != expected_prev + 1:
        return False
    pointer = AuditChainHead(pk=pk, sk=RETENTION, tenant=chain.tenant, shard=chain.shard, seq=seq, hash=record_hash)
    condition = AuditChainHead.seq == expected_prev if current else AuditChainHead.pk.does_not_exist()
    tx = db.Transaction()
    tx.delete(
        AuditRecord(pk=pk, sk=sk),
        role="record",
        condition=(AuditRecord.hash == record_hash) & (AuditRecord.seq == seq),
    )
    tx.put(pointer, role="pointer", condition=condition)
    try:
        tx.commit()
    except db.TransactionCancelled:
        return False  # another sweep moved the pointer, or the record is not what was read
    return True
