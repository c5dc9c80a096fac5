"""SEC-6: the audit log is hash-chained per tenant; verify detects altered or removed records."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest

from chalicelib.privacy import audit
from chalicelib.privacy.verify_audit import main as verify_main
from chalicelib.privacy.verify_audit import verify
from chalicelib.store import audit as store
from chalicelib.store.audit import AuditRecord, record_sk


def _append(clock, tenant: str, count: int) -> list[AuditRecord]:
    entries = []
    for index in range(count):
        clock.advance(timedelta(seconds=1))
        entries.append(
            audit.record(
                tenant=tenant,
                actor=f"user{index}",
                action="booking.created",
                entity="Booking",
                entity_id=f"bk{index}",
                at=clock.now(),
                summary={"status": "confirmed"},
            )
        )
    return entries


@pytest.mark.ddblocal
def test_an_intact_chain_verifies(aws, clock, capsys):
    # proves: SEC-6
    # Given five records for a tenant
    entries = _append(clock, "biz1", 5)
    # Then they form a chain: each links to the previous hash, in sequence
    assert [int(e.seq) for e in entries] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    # And the verify command accepts it
    assert verify_main(["biz1"]) == 0
    assert "OK: 5 records checked" in capsys.readouterr().out


@pytest.mark.ddblocal
def test_an_altered_record_fails_verification(aws, clock):
    # proves: SEC-6
    # Given an intact chain
    _append(clock, "biz1", 4)
    # When someone edits one record's summary directly in the table
    tampered = AuditRecord.get("AUDIT#biz1", record_sk(2))
    tampered.update(actions=[AuditRecord.summary.set({"status": "cancelled"})])
    # Then verification fails, naming the record
    result = verify("biz1")
    assert not result.ok
    assert any("record 2 was altered" in problem for problem in result.problems)
    assert verify_main(["biz1"]) == 1


@pytest.mark.ddblocal
def test_a_removed_record_fails_verification(aws, clock):
    # proves: SEC-6
    _append(clock, "biz1", 4)
    # When someone deletes a record in the middle
    AuditRecord(pk="AUDIT#biz1", sk=record_sk(3)).delete()
    # Then verification fails: the sequence has a gap
    result = verify("biz1")
    assert not result.ok
    assert any("3..3 are missing" in problem for problem in result.problems)


def test_removing_the_newest_record_fails_verification(aws, clock):
    # proves: SEC-6
    _append(clock, "biz1", 3)
    AuditRecord(pk="AUDIT#biz1", sk=record_sk(3)).delete()
    result = verify("biz1")
    assert any("the head is at 3 but the last record is 2" in p for p in result.problems)


def test_recomputing_one_hash_still_breaks_the_next_link(aws, clock):
    # proves: SEC-6
    # Given a tamperer who alters a record and fixes its own hash
    _append(clock, "biz1", 3)
    from chalicelib.privacy.audit_chain import chain_hash

    entry = AuditRecord.get("AUDIT#biz1", record_sk(2))
    entry.actor = "someone-else"
    entry.hash = chain_hash(entry.chained_fields(), entry.prev_hash)
    entry.save()
    # Then the next record no longer links to it
    result = verify("biz1")
    assert any("record 3 does not link" in p for p in result.problems)


def test_chains_are_per_tenant(aws, clock):
    _append(clock, "biz1", 2)
    _append(clock, "biz2", 3)
    assert verify("biz1").checked == 2 and verify("biz2").checked == 3
    assert int(store.head("biz2").seq) == 3


@pytest.mark.ddblocal
def test_concurrent_appends_never_fork_the_chain(aws, clock):
    # proves: SEC-6
    if aws == "moto":
        pytest.skip("moto is not thread-safe; the DynamoDB Local run proves this")
    # Given eight writers appending to one tenant at the same time
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for n in range(4):
                audit.record(
                    tenant="busy",
                    actor=f"w{index}",
                    action="schedule.changed",
                    entity="Specialist",
                    entity_id=f"s{n}",
                    at=clock.now(),
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every append landed exactly once, in one unbroken chain
    assert not failures
    result = verify("busy")
    assert result.ok, result.problems
    assert result.checked == 32


def test_summaries_never_hold_contact_data(aws, clock):
    # proves: SEC-6
    # Given a caller that carelessly puts an e-mail and a phone number into a summary
    entry = audit.record(
        tenant="platform",
        actor="u1",
        action="user.updated",
        entity="User",
        entity_id="u1",
        at=clock.now(),
        summary={"note": "changed to someone@example.com and +49 151 2345 6789"},
    )
    # Then they are masked before being written
    stored = AuditRecord.get("AUDIT#platform", entry.sk)
    assert "example.com" not in stored.summary["note"] and "2345" not in stored.summary["note"]


def test_records_carry_the_audit_retention_deadline(aws, clock):
    entry = _append(clock, "biz1", 1)[0]
    assert entry.exp_pk == f"EXPIRES#{(clock.now() + timedelta(days=1826)).date().isoformat()}"
    assert entry.ttl is None  # removed by the sweep in chain order, never by TTL


def test_an_append_that_read_a_stale_head_retries_instead_of_forking(aws, clock, monkeypatch):
    # proves: SEC-6
    # Given a writer that read the head just before another writer appended
    _append(clock, "biz1", 2)
    stale = store.head("biz1")
    _append(clock, "biz1", 1)
    real_get = store._get_pointer
    calls = {"n": 0}

    def first_read_is_stale(tenant, sk):
        calls["n"] += 1
        return stale if calls["n"] == 1 and sk == store.HEAD else real_get(tenant, sk)

    monkeypatch.setattr(store, "_get_pointer", first_read_is_stale)
    # When it appends
    entry = audit.record(tenant="biz1", actor="late", action="x", entity="E", entity_id="e", at=clock.now())
    # Then its conditional write lost, it re-read the head and took the next free position
    assert int(entry.seq) == 4 and calls["n"] >= 2
    assert verify("biz1").ok


def test_an_audit_write_refused_for_another_reason_is_a_bug_not_an_outage(aws, clock, monkeypatch):
    from chalicelib import errors
    from chalicelib.store import db

    # Given DynamoDB cancels the append for a reason that is neither a lost race nor throttling
    def refused(self: db.Transaction) -> None:
        raise db.TransactionCancelled(frozenset(), conflict=False)

    monkeypatch.setattr(db.Transaction, "commit", refused)
    # When a record is appended, Then the failure propagates as ours (a 500), not DependencyUnavailable (503)
    with pytest.raises(db.TransactionCancelled):
        _append(clock, "biz-bug", 1)
    assert not issubclass(db.TransactionCancelled, errors.DependencyUnavailable)
