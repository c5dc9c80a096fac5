"""The retention index's due days are spread over shards: readers and the sweep still see every
due item, in due order, including items stamped under the unsharded key before the shards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.privacy import sweeps
from chalicelib.store import codec, items
from chalicelib.store import retention as store
from tests.support.fixtures_privacy import put_due_item

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = NOW.date()


def test_the_shard_is_a_stable_hash_of_the_pk_and_spreads_items():
    # Given many item keys due at one instant
    keys = [store.expiry_keys(f"BKG#{n:04d}", "BOOKING", NOW)[0] for n in range(1000)]
    # Then they land on nearly every shard of the day, each a partition of that day
    assert len(set(keys)) > store.SHARDS * 9 // 10
    assert set(keys) <= set(store.partitions(DAY)[1:])
    # And the shard depends on the pk only: restamping, or another item of the partition
    # (an audit chain's next record), keeps the same index partition
    assert store.expiry_keys("AUDIT#t#3", "REC#a", NOW)[0] == store.expiry_keys("AUDIT#t#3", "REC#b", NOW)[0]
    assert store.expiry_keys("BKG#1", "BOOKING", NOW)[0] == f"EXPIRES#2026-12-01#{store.shard_of('BKG#1'):02d}"
    # And crc32, not Python's salted hash: the same shard in every process and release
    assert store.shard_of("BKG#1") == 22  # crc32(b"BKG#1") % 64


def test_a_day_lists_the_legacy_key_first_then_every_shard():
    partitions = store.partitions(DAY)
    assert partitions[0] == "EXPIRES#2026-12-01"
    assert partitions[1:] == [f"EXPIRES#2026-12-01#{s:02d}" for s in range(store.SHARDS)]


def test_due_on_reads_every_shard_and_the_legacy_key_in_due_order(aws):
    # Given 30 items due today a minute apart on many shards, one stamped before the shards
    # (unsharded key), and one due after the sweep's instant
    for n in range(30):
        put_due_item(f"TEST#{n:02d}", NOW - timedelta(minutes=30 - n))
    put_due_item("TEST#legacy", NOW - timedelta(minutes=45), exp_pk=f"EXPIRES#{codec.day(DAY)}")
    put_due_item("TEST#later", NOW + timedelta(minutes=1))
    # When a reader lists what is due by now
    found = list(store.due_on(DAY, NOW))
    # Then every due item comes back once, the legacy one too, merged in due order
    assert [i.pk for i in found] == ["TEST#legacy", *(f"TEST#{n:02d}" for n in range(30))]
    assert len({i.values["exp_pk"] for i in found}) > 2
    # And one partition alone holds only its own share
    own = store.partitions(DAY)[1 + store.shard_of("TEST#00")]
    assert "TEST#00" in [i.pk for i in store.due_in(own, NOW)]
    assert len(list(store.due_in(own, NOW))) < 30


def test_the_sweep_removes_items_of_every_shard_and_of_the_legacy_key(aws):
    # proves: RET-1
    # Given due items on many shards and one under the legacy key, none not yet due
    for n in range(20):
        put_due_item(f"TEST#{n:02d}", NOW - timedelta(hours=2, minutes=n))
    put_due_item("TEST#legacy", NOW - timedelta(hours=3), exp_pk=f"EXPIRES#{codec.day(DAY)}")
    put_due_item("TEST#later", NOW + timedelta(hours=1))
    store.save_cursor(sweeps.SWEEP_NAME, DAY - timedelta(days=1), 0, NOW)
    # When the sweep runs
    report = sweeps.run(NOW, wall=NOW)
    # Then it read and removed exactly the 21 due items and left the one not yet due
    assert (report.items_read, report.removed) == (21, 21)
    assert items.get("TEST#legacy", "X") is None and items.get("TEST#07", "X") is None
    assert items.get("TEST#later", "X") is not None
    # And a run with a budget smaller than a day's items stops at it, across shards
    for n in range(20):
        put_due_item(f"MORE#{n:02d}", NOW - timedelta(minutes=5 + n))
    assert sweeps.run(NOW, budget=3, wall=NOW).removed == 3
    assert sweeps.run(NOW, wall=NOW).removed == 17


def test_an_audit_chains_due_records_all_leave_in_one_run_in_chain_order(aws):
    # proves: SEC-6
    from chalicelib.privacy import audit
    from chalicelib.privacy.verify_audit import verify
    from chalicelib.store import audit as audit_store

    # Given eight sealed records of one chain, due on one day a minute apart (their index
    # shard is the chain's, so the sweep reads them in due order, which is chain order)
    ids = [i for i in (f"rec-{n:03d}" for n in range(2000)) if audit_store.shard_of(i) == 5][:8]
    written = NOW - timedelta(days=3)
    due = NOW - timedelta(hours=2)
    audit_store.put_many(
        [
            audit_store.NewRecord(
                "biz1", i, "u1", "x", "E", i, written + timedelta(minutes=n), {}, due + timedelta(minutes=n)
            )
            for n, i in enumerate(ids)
        ]
    )
    assert audit.seal("biz1", 5, written + timedelta(hours=1)) == 8
    store.save_cursor(sweeps.SWEEP_NAME, DAY - timedelta(days=1), 0, NOW)
    # When one sweep runs
    report = sweeps.run(NOW, wall=NOW)
    # Then all eight are gone (none skipped as "not next") and the chain still verifies
    assert (report.removed, report.skipped) == (8, 0)
    assert audit_store.list_records("biz1") == []
    result = verify("biz1", NOW)
    assert result.ok, result.problems
