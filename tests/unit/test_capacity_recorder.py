"""The capacity model's recorder (bench/capacity.py): units and keys of a known transaction,
by DynamoDB's rules, without a database (the item images are given)."""

from __future__ import annotations

from typing import Any

from bench import capacity

INDEXES = {"GSI1": ("gsi1pk", "gsi1sk"), "ByExpiry": ("exp_pk", "exp_sk")}


def _item(pk: str, sk: str, padding: int, **extra: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "blob": {"S": "x" * padding}}
    item.update({k: {"S": v} for k, v in extra.items()})
    return item


def test_a_transaction_costs_twice_per_kb_on_the_table_and_once_per_index_entry():
    # Given a recorder inside an operation, and a transaction's items before and after
    recorder = capacity.Recorder(INDEXES)
    calls = capacity._Calls(recorder, call=None)
    small_new = _item("OUTBOX#e1", "EVENT", 100, gsi1pk="OUTBOX#3", gsi1sk="t#e1")
    big_before = _item("BKG#b1", "BOOKING", 1500, gsi1pk="USER#u1", gsi1sk="2026#b1")
    big_after = _item("BKG#b1", "BOOKING", 1500, gsi1pk="USER#u1", gsi1sk="2027#b1", exp_pk="EXPIRES#d", exp_sk="s")
    with recorder.op("booking.reschedule", customer="u1"):
        calls.written(("OUTBOX#e1", "EVENT"), None, small_new, 2, conditional=False, failed=False)
        calls.written(("BKG#b1", "BOOKING"), big_before, big_after, 2, conditional=True, failed=False)
        calls.written(("LOCK#s", "DAY#1"), _item("LOCK#s", "DAY#1", 10), None, 2, conditional=True, failed=True)
    # Then each access names its source, partition and units
    got = [(a.source, a.partition, a.units, a.conditional) for a in recorder.accesses]
    assert got == [
        ("table", "OUTBOX#e1", 2, False),  # a new item under 1 KB: 1 WCU, x2 in a transaction
        ("GSI1", "OUTBOX#3", 1, False),  # its index entry: a plain write
        ("table", "BKG#b1", 4, True),  # 1.5 KB: 2 WCU, x2
        ("GSI1", "USER#u1", 2, False),  # the index sort key moved: delete the old entry ...
        ("GSI1", "USER#u1", 2, False),  # ... and put the new one
        ("ByExpiry", "EXPIRES#d", 2, False),  # newly indexed
        ("table", "LOCK#s", 2, True),  # a refused condition still costs the item's size; no index work
    ]
    assert {a.op for a in recorder.accesses} == {"booking.reschedule"}
    assert all(dict(a.dims) == {"customer": "u1"} for a in recorder.accesses)


def test_read_units_round_up_to_4_kb_and_halve_when_eventually_consistent():
    assert capacity.read_units(0, consistent=True) == 1  # an absent item still costs a unit
    assert capacity.read_units(4096, consistent=False) == 0.5
    assert capacity.read_units(4097, consistent=True) == 2
    assert capacity.write_units(1025) == 2


def test_item_size_counts_names_and_values():
    item = {"pk": {"S": "ab"}, "n": {"N": "12345"}, "m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"BOOL": True}]}}
    # pk 2+2, n 1+(5//2+2), m 1+(3+1+1+1), l 1+(3+1+1)
    assert capacity.item_size(item) == 4 + 5 + 7 + 6


def test_a_query_reads_the_partition_its_key_condition_names():
    recorder = capacity.Recorder(INDEXES)
    calls = capacity._Calls(recorder, call=None)
    params = {
        "IndexName": "GSI1",
        "KeyConditionExpression": "#0 = :0 AND #1 < :1",
        "ExpressionAttributeNames": {"#0": "gsi1pk", "#1": "gsi1sk"},
        "ExpressionAttributeValues": {":0": {"S": "OUTBOX#5"}, ":1": {"S": "z"}},
    }
    assert calls.read_partition(params) == ("GSI1", "OUTBOX#5")


def test_the_doc_keeps_the_models_structure():
    # The generated section of docs/capacity.md has the rows the model prints (figures aside):
    # `python -m bench.capacity --check` compares the figures too, after a run.
    text = capacity.DOC.read_text()
    rows = capacity.structure(text)
    assert any(r.startswith("source | hottest partition by WCU") for r in rows)
    sources = [r.split(" | ")[0] for r in rows if r.split(" | ")[0] in ("table", "GSI1", "GSI2", "GSI3", "ByExpiry")]
    assert sources[:5] == ["table", *capacity_indexes()]
    for op in [*capacity.PER_BOOKING, *capacity.PER_ACTIVE_CUSTOMER, *capacity.FROM_SAMPLE]:
        assert op in rows, op


def capacity_indexes() -> list[str]:
    return list(capacity.table_indexes())
