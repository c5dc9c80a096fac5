"""The store's one DynamoDB seam (chalicelib/store/db.py): conditional writes, transactions
with roles, error mapping and the raw fast path, on moto and on DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem


class Probe(TableItem, discriminator="TestProbe"):
    name = UnicodeAttribute()
    count = NumberAttribute(default=0)
    at = InstantAttribute(null=True)


def _probe(pk: str, **values: object) -> Probe:
    return Probe(pk, "PROBE", name="probe", **values)


@pytest.mark.ddblocal
def test_put_with_condition_refuses_a_second_insert(aws):
    # Given an inserted item
    db.put(_probe("P#1"), condition=Probe.pk.does_not_exist())
    # When the same key is inserted again, Then the failed condition is ConditionFailed
    with pytest.raises(db.ConditionFailed):
        db.put(_probe("P#1"), condition=Probe.pk.does_not_exist())
    stored = db.get(Probe, "P#1", "PROBE")
    assert stored is not None and stored.name == "probe"
    assert db.get(Probe, "P#absent", "PROBE") is None


@pytest.mark.ddblocal
def test_update_and_delete_map_failed_conditions(aws):
    item = _probe("P#2", count=1)
    db.put(item)
    db.update(item, [Probe.count.add(1)], condition=Probe.count == 1)
    assert item.count == 2  # refreshed from ALL_NEW
    with pytest.raises(db.ConditionFailed):
        db.update(item, [Probe.count.add(1)], condition=Probe.count == 1)
    with pytest.raises(db.ConditionFailed):
        db.delete(item, condition=Probe.count == 7)
    db.delete(item, condition=Probe.count == 2)
    assert db.get(Probe, "P#2", "PROBE") is None


@pytest.mark.ddblocal
def test_transaction_commits_all_or_names_the_failed_role(aws):
    # Given one existing item
    db.put(_probe("P#3", count=5))
    # When a transaction inserts a new item and checks a condition that fails
    tx = db.Transaction()
    tx.put(_probe("P#4"), role="new", condition=Probe.pk.does_not_exist())
    tx.update(_probe("P#3"), [Probe.count.add(-1)], role="debit", condition=Probe.count >= 10)
    with pytest.raises(db.TransactionCancelled) as cancelled:
        tx.commit()
    # Then nothing was written and the failed role is named
    assert "debit" in cancelled.value.failed
    assert "new" not in cancelled.value.failed
    assert db.get(Probe, "P#4", "PROBE") is None
    # And a transaction whose conditions hold commits every write
    tx = db.Transaction()
    tx.put(_probe("P#4"), role="new", condition=Probe.pk.does_not_exist())
    tx.update(_probe("P#3"), [Probe.count.add(-1)], role="debit", condition=Probe.count >= 5)
    tx.check(_probe("P#1-absent"), Probe.pk.does_not_exist(), role="check")
    assert tx.roles == ("new", "debit", "check")
    tx.commit()
    p3 = db.get(Probe, "P#3", "PROBE")
    assert p3 is not None and p3.count == 4
    assert db.get(Probe, "P#4", "PROBE") is not None
    tx = db.Transaction()
    tx.delete(_probe("P#4"), role="gone", condition=Probe.pk.exists())
    tx.commit()
    assert db.get(Probe, "P#4", "PROBE") is None


@pytest.mark.ddblocal
def test_raw_fast_path_decodes_through_the_model(aws):
    at = datetime(837, 7, 7, 5, 44, 10, tzinfo=UTC)
    for n in range(3):
        db.put(Probe(f"P#raw#{n}", "PROBE", name=f"n{n}", count=n, at=at, gsi1pk="RAW", gsi1sk=f"{n:03d}"))
    raw = db.get_raw("P#raw#1", "PROBE")
    assert raw is not None
    decoded = db.decoder(Probe)(raw)
    assert (decoded["name"], decoded["count"], decoded["at"]) == ("n1", 1, at)
    found = db.batch_get_raw([("P#raw#0", "PROBE"), ("P#raw#2", "PROBE"), ("P#none", "PROBE")])
    assert sorted(found) == [("P#raw#0", "PROBE"), ("P#raw#2", "PROBE")]
    items, last = db.query_raw(
        (TableItem.gsi1pk == "RAW") & TableItem.gsi1sk.between("001", "002"),
        index="GSI1",
        projection=["name", "count"],
        ascending=False,
    )
    assert [db.decoder(Probe)(item)["name"] for item in items] == ["n2", "n1"]
    assert last is None
    assert [i["pk"]["S"] for i in db.query_raw_all(TableItem.gsi1pk == "RAW", index="GSI1", limit=1)] == [
        "P#raw#0",
        "P#raw#1",
        "P#raw#2",
    ]


def test_throttling_is_a_dependency_error_and_a_bug_is_not(aws, monkeypatch):
    from botocore.exceptions import ClientError

    def throttled(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems")

    def invalid(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ValidationException"}}, "TransactWriteItems")

    tx = db.Transaction()
    tx.put(_probe("P#5"), role="new")
    monkeypatch.setattr(db.client(), "transact_write_items", throttled)
    with pytest.raises(errors.DependencyUnavailable):
        tx.commit()
    monkeypatch.setattr(db.client(), "transact_write_items", invalid)
    with pytest.raises(ClientError):
        tx.commit()
