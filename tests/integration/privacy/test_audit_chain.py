"""SEC-6: audit records commit with their change and are sealed into signed per-shard hash
chains afterwards; verify detects removed, altered and reordered records and forged heads."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.privacy import audit
from chalicelib.privacy.audit_chain import chain_hash, signature
from chalicelib.privacy.verify_audit import main as verify_main
from chalicelib.privacy.verify_audit import verify
from chalicelib.store import audit as store
from chalicelib.store import db, retention
from chalicelib.store.audit import AuditChainHead, AuditRecord


def _write(clock, tenant: str, count: int, action: str = "booking.created") -> None:
    """``count`` changes' records, each committed in its own transaction (as a change would)."""
    for index in range(count):
        clock.advance(timedelta(seconds=1))
        tx = db.Transaction()
        audit.record(
            tx,
            tenant=tenant,
            actor=f"user{index}",
            action=action,
            entity="Booking",
            entity_id=f"bk{index}",
            at=clock.now(),
            summary={"status": "confirmed"},
        )
        tx.commit()


# Enough records that the longest chain holds several (the tamper tests edit its 2nd and 3rd).
RECORDS = 3 * store.SHARDS


def _seal(clock, tenant: str) -> int:
    return sum(audit.seal(tenant, shard, clock.now()) for shard in range(store.SHARDS))


def _sealed(tenant: str) -> list[dict[str, Any]]:
    """Every sealed record of the tenant, chain by chain in seq order."""
    return [r for shard in range(store.SHARDS) for r in store.sealed_records(store.Chain(tenant, shard))]


def _longest_chain(tenant: str) -> store.Chain:
    counts = {shard: len(list(store.sealed_records(store.Chain(tenant, shard)))) for shard in range(store.SHARDS)}
    return store.Chain(tenant, max(counts, key=lambda s: counts[s]))


def _at_seq(chain: store.Chain, seq: int) -> AuditRecord:
    [values] = [r for r in store.sealed_records(chain) if int(r["seq"]) == seq]
    record = AuditRecord.get(values["pk"], values["sk"])
    assert record is not None
    return record


@pytest.mark.ddblocal
def test_an_intact_log_is_sealed_into_chains_and_verifies(aws, clock, capsys):
    # proves: SEC-6
    # Given twelve records for a tenant, not sealed yet
    _write(clock, "biz1", 12)
    assert verify("biz1").unsealed == 12
    # When the sealer runs
    assert _seal(clock, "biz1") == 12
    # Then each chain is contiguous from 1 and links each record to the previous hash
    for shard in range(store.SHARDS):
        records = list(store.sealed_records(store.Chain("biz1", shard)))
        assert [int(r["seq"]) for r in records] == list(range(1, len(records) + 1))
        prev = store.GENESIS
        for r in records:
            assert r["prev_hash"] == prev
            prev = r["hash"]
    # And sealing again writes nothing (idempotent), and the verify command accepts the log
    assert _seal(clock, "biz1") == 0
    assert verify_main(["biz1"]) == 0
    assert "OK: 12 sealed records checked for biz1, 0 not sealed yet" in capsys.readouterr().out


@pytest.mark.ddblocal
def test_a_cancelled_change_leaves_no_record_and_a_commit_leaves_both(aws, clock):
    # proves: SEC-6
    from chalicelib import errors
    from chalicelib.store import users

    # Given an account, read at revision 0
    user_id = uuid.uuid4().hex
    users.create_account(
        users.NewAccount(user_id, "Ada", "en", None, None, None, None, "2026-01", "127.0.0.1", "register", clock.now())
    )
    before = len(store.list_records("platform"))

    def change(revision: int, name: str) -> None:
        tx = db.Transaction()
        audit.record(
            tx, tenant="platform", actor=user_id, action="account.updated", entity="user", entity_id=user_id,
            at=clock.now(), summary={"fields": "name"},
        )  # fmt: skip
        users.update_profile(user_id, revision, clock.now(), {"name": name}, tx=tx)

    # When a change whose condition fails (a stale revision) is attempted
    with pytest.raises(errors.Conflict):
        change(5, "Mallory")
    # Then neither the change nor its audit record exists
    assert users.get_user(user_id).name == "Ada"
    assert len(store.list_records("platform")) == before
    # When the same change commits at the right revision
    change(0, "Ada L.")
    # Then both exist, the record naming actor, action and target
    assert users.get_user(user_id).name == "Ada L."
    [record] = [r for r in store.list_records("platform") if r.action == "account.updated"]
    assert (record.actor, record.target_entity, record.target_id) == (user_id, "user", user_id)


@pytest.mark.ddblocal
def test_a_deleted_record_fails_verification(aws, clock):
    # proves: SEC-6
    # Given a sealed log
    _write(clock, "biz1", RECORDS)
    _seal(clock, "biz1")
    chain = _longest_chain("biz1")
    # When someone deletes a record in the middle of a chain
    _at_seq(chain, 2).delete()
    # Then verification fails: that chain's sequence has a gap
    result = verify("biz1")
    assert not result.ok
    assert f"shard {chain.shard}: records 2..2 are missing (removed)" in result.problems
    assert verify_main(["biz1"]) == 1


@pytest.mark.ddblocal
def test_an_altered_record_fails_verification(aws, clock):
    # proves: SEC-6
    _write(clock, "biz1", RECORDS)
    _seal(clock, "biz1")
    chain = _longest_chain("biz1")
    # When someone edits one record's summary directly in the table
    _at_seq(chain, 2).update(actions=[AuditRecord.summary.set({"status": "cancelled"})])
    # Then verification fails, naming the record
    result = verify("biz1")
    assert f"shard {chain.shard}: record 2 was altered (hash mismatch)" in result.problems


@pytest.mark.ddblocal
def test_two_reordered_records_fail_verification(aws, clock):
    # proves: SEC-6
    _write(clock, "biz1", RECORDS)
    _seal(clock, "biz1")
    chain = _longest_chain("biz1")
    # When someone swaps the positions of records 2 and 3 (their seq and seq-order index entry)
    second, third = _at_seq(chain, 2), _at_seq(chain, 3)
    second.update(actions=[AuditRecord.seq.set(3), AuditRecord.gsi2sk.set(store.seq_key(3))])
    third.update(actions=[AuditRecord.seq.set(2), AuditRecord.gsi2sk.set(store.seq_key(2))])
    # Then the links break where they were swapped
    problems = verify("biz1").problems
    assert f"shard {chain.shard}: record 2 does not link to the previous record" in problems
    assert f"shard {chain.shard}: record 3 does not link to the previous record" in problems


@pytest.mark.ddblocal
def test_a_truncated_chain_with_a_head_forged_without_the_key_fails(aws, clock):
    # proves: SEC-6
    _write(clock, "biz1", RECORDS)
    _seal(clock, "biz1")
    chain = _longest_chain("biz1")
    head = store.seal_head(chain)
    last = int(head.seq)
    # When someone removes the newest record and moves the head back onto the one before,
    # recomputing everything they can: seq, hash, and a signature under a key they guess
    previous = _at_seq(chain, last - 1)
    _at_seq(chain, last).delete()
    head.seq, head.hash = last - 1, previous.hash
    head.signature = signature(b"guessed-key", "biz1", chain.shard, last - 1, previous.hash)
    head.save()
    # Then the chain itself looks whole, but the head's signature gives it away (and so does
    # the signed anchor the seal left at the old head)
    problems = verify("biz1").problems
    assert f"shard {chain.shard}: the head's signature is not valid (forged)" in problems
    assert not any("does not link" in p or "hash mismatch" in p for p in problems)


@pytest.mark.ddblocal
def test_a_forged_anchor_fails_and_an_anchor_holds_its_record(aws, clock):
    # proves: SEC-6
    _write(clock, "biz1", RECORDS)
    _seal(clock, "biz1")
    chain = _longest_chain("biz1")
    [anchor] = store.anchors(chain)  # the first seal of a chain writes one
    # When someone adds a checkpoint for record 1 signed with a key they guessed
    first = _at_seq(chain, 1)
    forged = AuditChainHead(
        pk=anchor.pk, sk=store.anchor_sk(1), tenant="biz1", shard=chain.shard, seq=1, hash=first.hash,
        signature=signature(b"guessed-key", "biz1", chain.shard, 1, first.hash), anchored_at=clock.now(),
    )  # fmt: skip
    forged.save()
    # Then verification names the forgery
    assert verify("biz1").problems == [f"shard {chain.shard}: anchor 1 has no valid signature (forged)"]
    # And when the genuine anchor's record is re-hashed and re-linked consistently after an edit
    forged.delete()
    record = _at_seq(chain, int(anchor.seq))
    record.actor = "someone-else"
    record.hash = chain_hash(record.chained_fields(), record.prev_hash)
    record.save()
    # Then the signed anchor still holds the original hash: the rewrite shows
    problems = verify("biz1").problems
    assert (
        f"shard {chain.shard}: anchor {int(anchor.seq)} does not match record {int(anchor.seq)} (altered)" in problems
    )


@pytest.mark.ddblocal
def test_two_sealers_at_once_never_fork_a_chain(aws, clock, monkeypatch):
    # proves: SEC-6
    # Given records, and a sealer that read the head just before another sealed the chain
    _write(clock, "biz1", 16)
    chain = _longest_chain_unsealed("biz1")
    real_get = db.get
    calls = {"n": 0}

    def another_sealer_first(model, pk, sk, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1 and sk == store.SEAL:
            found = real_get(model, pk, sk, **kwargs)
            monkeypatch.setattr(db, "get", real_get)
            audit.seal(chain.tenant, chain.shard, clock.now())  # the other sealer wins meanwhile
            return found
        return real_get(model, pk, sk, **kwargs)

    monkeypatch.setattr(db, "get", another_sealer_first)
    # When it seals: its conditional write loses, it re-reads and finds nothing left
    assert audit.seal(chain.tenant, chain.shard, clock.now()) == 0
    # Then the chain is whole, each record sealed once
    _seal(clock, "biz1")
    assert verify("biz1").ok


def _longest_chain_unsealed(tenant: str) -> store.Chain:
    counts = {s: len(store.unsealed_records(store.Chain(tenant, s))) for s in range(store.SHARDS)}
    return store.Chain(tenant, max(counts, key=lambda s: counts[s]))


@pytest.mark.ddblocal
def test_stranded_records_are_reported_then_sealed_by_the_schedule(aws, clock):
    # proves: SEC-6
    # Given records the stream never delivered, older than the stranded threshold
    _write(clock, "biz1", 3)
    _write(clock, "biz2", 2)
    clock.advance(audit.STRANDED_AFTER + timedelta(minutes=1))
    # Then verification reports them
    assert not verify("biz1", clock.now()).ok
    # When the schedule runs, Then it finds and seals every such chain
    assert audit.seal_stranded(clock.now()) == 5
    assert verify("biz1", clock.now()).ok and verify("biz2", clock.now()).ok


@pytest.mark.ddblocal
def test_ten_thousand_records_of_fifty_tenants_seal_and_verify(aws, clock):
    # proves: SEC-6
    if aws == "moto":
        pytest.skip("a bulk load for DynamoDB Local; the smaller tests run on both")
    started = time.monotonic()
    tenants = [f"bulk{n:02d}" for n in range(50)]
    # Given 10,000 records across 50 tenants, written fast through the store (BatchWriteItem)
    news = [
        store.NewRecord(
            tenant=tenants[i % 50],
            record_id=uuid.uuid4().hex,
            actor=f"u{i}",
            action="booking.created",
            entity="booking",
            entity_id=f"b{i}",
            at=clock.now() + timedelta(microseconds=i),
            summary={"n": str(i)},
            expires_at=None,
        )
        for i in range(10_000)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        chunks = [news[i : i + 500] for i in range(0, len(news), 500)]
        assert sum(pool.map(store.put_many, chunks)) == 10_000
        loaded = time.monotonic()
        # When every chain is sealed (eight sealers at once, as concurrent stream batches would)
        sealed = sum(pool.map(lambda tenant: _seal(clock, tenant), tenants))
        sealed_at = time.monotonic()
        # Then every record is in a chain, and every tenant's log verifies
        assert sealed == 10_000
        results = list(pool.map(lambda tenant: verify(tenant, clock.now()), tenants))
    print(
        f"load {loaded - started:.1f} s, seal {sealed_at - loaded:.1f} s, verify {time.monotonic() - sealed_at:.1f} s"
    )
    assert all(r.ok for r in results), [p for r in results for p in r.problems][:5]
    assert sum(r.checked for r in results) == 10_000
    # DynamoDB Local spends ~2 ms per batched put and ~3.5 ms per record in the seal's
    # transactions: ~40 s on an idle 2-core machine, more when other suites share it.
    assert time.monotonic() - started < 120


def test_summaries_never_hold_contact_data(aws, clock):
    # proves: SEC-6
    # Given a caller that carelessly puts an e-mail and a phone number into a summary
    audit.record_read(
        tenant="platform",
        actor="u1",
        entity="User",
        entity_id="u1",
        at=clock.now(),
        summary={"note": "changed to someone@example.com and +49 151 2345 6789"},
    )
    # Then they are masked before being written
    [stored] = store.list_records("platform")
    assert "example.com" not in stored.summary["note"] and "2345" not in stored.summary["note"]


def test_records_carry_the_audit_retention_deadline(aws, clock):
    _write(clock, "biz1", 1)
    [entry] = store.list_records("biz1")
    due_day = (clock.now() + timedelta(days=1826)).date().isoformat()
    # The index shard is the chain's (its pk): the sweep reads a chain's records in order
    assert entry.exp_pk == f"EXPIRES#{due_day}#{retention.shard_of(entry.pk):02d}"
    assert entry.ttl is None  # removed by the sweep in chain order, never by TTL


def test_a_record_is_one_put_with_no_read_and_no_head(aws, clock):
    # Given a change's transaction
    tx = db.Transaction()
    # When its audit record is added
    audit.record(tx, tenant="platform", actor="u", action="a", entity="e", entity_id="i", at=clock.now())
    # Then it is one put of a new item, under a sharded key, and no head exists until sealing
    assert tx.roles == ("audit",)
    tx.commit()
    [record] = store.list_records("platform")
    assert record.pk == f"AUDIT#platform#{store.shard_of(record.record_id)}"
    assert record.sk.startswith("REC#") and record.sk.endswith(record.record_id)
    assert all(store.seal_head(store.Chain("platform", s)) is None for s in range(store.SHARDS))
