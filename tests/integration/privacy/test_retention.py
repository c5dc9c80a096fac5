"""RET-1..9 boundaries: every retention rule, one day before and one day after its deadline.

Each rule is exercised through the entity that uses it in the manifest; rules no entity
uses yet get a stand-in entity in an in-memory copy of the manifest, so the mechanism
(delete, anonymise, archive) is proven for every rule all the same.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.aws_clients import client
from chalicelib.privacy import audit, sweeps
from chalicelib.privacy.manifest import AttributeClass, EntityManifest, Manifest, parse
from chalicelib.privacy.retention import deadline
from chalicelib.privacy.verify_audit import verify
from chalicelib.settings import get_settings
from chalicelib.store import items
from chalicelib.store import retention as store
from chalicelib.store.items import StoredItem
from chalicelib.store.retention import expiry_keys, is_expired

MANIFEST = parse()
RULES = sorted(MANIFEST.rules)
CANARY = "Zebulon Quartermain"


def _entity_for(rule: str, manifest: Manifest) -> tuple[str, Manifest]:
    """A manifest entity under ``rule`` with a personal attribute (a stand-in if none exists)."""
    for name, entity in sorted(manifest.entities.items()):
        if entity.retention == rule and entity.personal_attributes and name != "AuditRecord":
            return name, manifest
    stand_in = f"StandIn_{rule}"
    attribute = AttributeClass("holder_name", "account", True, "p", "contract", ())
    entities = dict(manifest.entities)
    entities[stand_in] = EntityManifest(stand_in, "stand-in", rule, {"holder_name": attribute}, "test")
    return stand_in, dataclasses.replace(manifest, entities=entities)


def _put_due_item(entity: str, manifest: Manifest, due: datetime) -> StoredItem:
    exp_pk, exp_sk = expiry_keys(f"TEST#{entity}", "ITEM", due)
    item = {
        "pk": {"S": f"TEST#{entity}"},
        "sk": {"S": "ITEM"},
        "entity": {"S": entity},
        "exp_pk": {"S": exp_pk},
        "exp_sk": {"S": exp_sk},
    }
    # What anonymisation must strip (the identifying attributes) carries the canary.
    for name in manifest.entity(entity).anonymise_attributes:
        item[name] = {"S": CANARY}
    client("dynamodb").put_item(TableName=get_settings().resolved_table_name(), Item=item)
    stored = items.get(f"TEST#{entity}", "ITEM")
    assert stored is not None
    return stored


def _read(entity: str) -> dict | None:
    return (
        client("dynamodb")
        .get_item(
            TableName=get_settings().resolved_table_name(),
            Key={"pk": {"S": f"TEST#{entity}"}, "sk": {"S": "ITEM"}},
            ConsistentRead=True,
        )
        .get("Item")
    )


@pytest.mark.parametrize("rule", [r for r in RULES if r != "audit"])
def test_each_rule_keeps_data_until_its_deadline_and_not_a_day_longer(aws, buckets, rule):
    # proves: RET-1
    # proves: RET-2
    # proves: RET-3
    # proves: RET-7
    # The rules for RET-4, RET-6 and RET-8 run here too, but on stand-in entities (or,
    # for RET-6, only on privacy requests): the data they govern is not built yet, so this
    # proves the window, not those promises (planned, docs/promises.md).
    # Given an item under this rule whose trigger (creation, deletion...) happened now
    entity, manifest = _entity_for(rule, MANIFEST)
    trigger = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    due = deadline(rule, trigger)
    assert due == trigger + timedelta(days=manifest.rule(rule).days, hours=manifest.rule(rule).hours)
    item = _put_due_item(entity, manifest, due)

    # When the sweep runs one day before the deadline
    before = sweeps.run(due - timedelta(days=1), manifest=manifest)
    # Then the item is untouched and readers still see it
    assert before.handled == 0
    assert _read(entity) is not None
    assert not is_expired(item, due - timedelta(days=1))

    # When the sweep runs one day after the deadline
    assert is_expired(item, due + timedelta(days=1))  # readers already hide it
    after = sweeps.run(due + timedelta(days=1), manifest=manifest)
    # Then the rule's action was applied: deleted, anonymised or archived
    left = _read(entity)
    action = manifest.rule(rule).action
    if action == "anonymise":
        assert after.anonymised == 1
        assert left is not None and CANARY not in str(left) and "exp_pk" not in left
    else:
        assert after.handled == 1
        assert left is None
    if action == "archive":
        objects = client("s3").list_objects_v2(Bucket=buckets["documents"], Prefix="passive/")
        assert objects["KeyCount"] == 1


def test_audit_records_leave_after_five_years_without_breaking_the_chain(aws, clock):
    # proves: SEC-6
    # Given six audit records written a day apart, each in its change's transaction
    from chalicelib.store import audit as audit_store
    from chalicelib.store import db

    start = clock.now()
    for day in range(6):
        tx = db.Transaction()
        audit.record(
            tx, tenant="biz1", actor="u1", action="x", entity="E", entity_id=f"e{day}", at=start + timedelta(days=day)
        )
        tx.commit()
    due_first = deadline("audit", start)
    # When the sweep runs after all are due but before any is sealed, nothing goes: an
    # unsealed record has no place in a chain yet
    assert sweeps.run(due_first + timedelta(days=10)).removed == 0
    # When they are sealed and the sweep runs one day before the first is due, nothing goes
    for shard in range(audit_store.SHARDS):
        audit.seal("biz1", shard, start + timedelta(days=6))
    assert sweeps.run(due_first - timedelta(days=1)).handled == 0
    # When it runs a day after the fourth is due
    report = sweeps.run(due_first + timedelta(days=3, hours=1))
    # Then the four oldest are gone, each chain's retention pointer moved onto the newest
    # it removed, and every chain still verifies from there
    assert report.removed == 4
    result = verify("biz1", start + timedelta(days=6))
    assert result.ok, result.problems
    assert result.checked == 2
    assert sorted(r.target_id for r in audit_store.list_records("biz1")) == [
        "e4",
        "e5",
    ]


def test_the_sweep_reads_only_due_items_and_is_idempotent(aws):
    # proves: RET-1
    # Given 50 items not yet due and 5 due
    now = datetime(2026, 6, 1, tzinfo=UTC)
    table = get_settings().resolved_table_name()
    for index in range(55):
        due = now - timedelta(hours=1) if index < 5 else now + timedelta(days=10 + index)
        exp_pk, exp_sk = expiry_keys(f"TEST#{index}", "X", due)
        client("dynamodb").put_item(
            TableName=table,
            Item={
                "pk": {"S": f"TEST#{index}"},
                "sk": {"S": "X"},
                "entity": {"S": "Thing"},
                "exp_pk": {"S": exp_pk},
                "exp_sk": {"S": exp_sk},
            },
        )
    # When the sweep runs
    report = sweeps.run(now)
    # Then it read exactly the due items and removed them
    assert report.items_read == 5 and report.removed == 5
    # And a second run reads nothing and removes nothing
    again = sweeps.run(now)
    assert again.items_read == 0 and again.removed == 0


def test_an_interrupted_sweep_resumes(aws):
    # proves: RET-1
    now = datetime(2026, 6, 1, tzinfo=UTC)
    table = get_settings().resolved_table_name()
    for index in range(12):
        exp_pk, exp_sk = expiry_keys(f"TEST#{index}", "X", now - timedelta(days=3, minutes=index))
        client("dynamodb").put_item(
            TableName=table,
            Item={
                "pk": {"S": f"TEST#{index}"},
                "sk": {"S": "X"},
                "entity": {"S": "Thing"},
                "exp_pk": {"S": exp_pk},
                "exp_sk": {"S": exp_sk},
            },
        )
    # Given a run stopped by its budget after five items
    first = sweeps.run(now, budget=5)
    assert first.removed == 5 and not first.complete
    # When the next run starts
    second = sweeps.run(now)
    # Then it finishes the rest, reading only what is left
    assert second.removed == 7 and second.items_read == 7
    assert store.get_cursor(sweeps.SWEEP_NAME) == (now - timedelta(days=1)).date()


def test_an_item_whose_deadline_moved_is_left_alone(aws):
    # Given a due item whose owner moves the deadline after the sweep read it
    now = datetime(2026, 6, 1, tzinfo=UTC)
    exp_pk, exp_sk = expiry_keys("TEST#1", "X", now - timedelta(hours=1))
    stale = {
        "pk": {"S": "TEST#1"},
        "sk": {"S": "X"},
        "entity": {"S": "Thing"},
        "exp_pk": {"S": exp_pk},
        "exp_sk": {"S": exp_sk},
    }
    client("dynamodb").put_item(TableName=get_settings().resolved_table_name(), Item=stale)
    read = items.get("TEST#1", "X")
    assert read is not None
    client("dynamodb").update_item(
        TableName=get_settings().resolved_table_name(),
        Key={"pk": stale["pk"], "sk": stale["sk"]},
        UpdateExpression="SET exp_sk = :later",
        ExpressionAttributeValues={":later": {"S": expiry_keys("TEST#1", "X", now + timedelta(days=9))[1]}},
    )
    # When the sweep acts on what it read
    assert store.delete_due(read) is False
    # Then the item survives
    assert _read_key("TEST#1", "X") is not None


def _read_key(pk: str, sk: str) -> dict | None:
    return (
        client("dynamodb")
        .get_item(TableName=get_settings().resolved_table_name(), Key={"pk": {"S": pk}, "sk": {"S": sk}})
        .get("Item")
    )
