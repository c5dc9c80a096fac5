"""Retention sweep cost: items read per item removed at 1k, 10k and 100k items, 1% due.

Target: at most 1.1, and flat as the table grows (the sweep reads the sparse ByExpiry
index for the due days only, never the whole table). The table holds 50% items with no
deadline, 49% due on future days over the next year, and 1% due by now (yesterday and
today). The sweep runs in steady state (its cursor at the day before yesterday).

Run: ``python -m bench.sweeps`` (moto, in process) or ``python -m bench.sweeps --ddblocal``
(DynamoDB Local; 100k items takes a few minutes to load). ``--sizes 1000,10000`` to choose.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TARGET = 1.1


@contextmanager
def _backend(ddblocal: bool) -> Iterator[None]:
    import os

    from tests.support.stack import apply_test_env

    apply_test_env()
    from moto import mock_aws

    from tests.support import stack

    with mock_aws():
        process = None
        if ddblocal:
            from infra.local import dynamodb

            port = dynamodb.free_port()
            process = dynamodb.start(port, data_dir=None)
            url = f"http://127.0.0.1:{port}"
            dynamodb.wait_ready(url, process)
            os.environ["BOOKING_DYNAMODB_ENDPOINT"] = url
        try:
            yield
        finally:
            os.environ.pop("BOOKING_DYNAMODB_ENDPOINT", None)
            os.environ.pop("BOOKING_TABLE_NAME", None)
            stack.reconfigure()
            if process is not None:
                from infra.local import dynamodb

                dynamodb.stop(process)


def _fresh_table() -> str:
    import os

    from tests.support import stack

    os.environ["BOOKING_TABLE_NAME"] = f"bench-{uuid.uuid4().hex[:8]}"
    stack.reconfigure()
    from chalicelib import resources
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    dynamodb = client("dynamodb")
    name = get_settings().resolved_table_name()
    dynamodb.create_table(**resources.create_table_kwargs(name))
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    return name


def _load(table: str, size: int, rng: random.Random) -> int:
    from chalicelib.aws_clients import client
    from chalicelib.store.retention import expiry_keys

    dynamodb = client("dynamodb")
    due_count = size // 100
    batch: list[dict[str, Any]] = []
    for index in range(size):
        pk, sk = f"BENCH#{index:07d}", "ITEM"
        item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, "entity": {"S": "BenchItem"}}
        if index < due_count:
            due = NOW - timedelta(minutes=rng.randrange(1, 30 * 60))  # yesterday or today, before now
        elif index % 2 == 0:
            due = NOW + timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
        else:
            due = None
        if due is not None:
            exp_pk, exp_sk = expiry_keys(pk, sk, due)
            item["exp_pk"] = {"S": exp_pk}
            item["exp_sk"] = {"S": exp_sk}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(dynamodb, table, batch)
            batch = []
    if batch:
        _write(dynamodb, table, batch)
    return due_count


def _write(dynamodb: Any, table: str, batch: list[dict[str, Any]]) -> None:
    request = {table: batch}
    while request:
        request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def measure(size: int, seed: int = 1) -> dict[str, float]:
    from chalicelib.privacy import sweeps
    from chalicelib.store import retention

    table = _fresh_table()
    started = time.perf_counter()
    due = _load(table, size, random.Random(seed))
    load_seconds = time.perf_counter() - started
    retention.save_cursor(sweeps.SWEEP_NAME, (NOW - timedelta(days=2)).date(), 0, NOW)
    started = time.perf_counter()
    report = sweeps.run(NOW, budget=size)
    sweep_seconds = time.perf_counter() - started
    removed = max(report.removed, 1)
    return {
        "items": size,
        "due": due,
        "items_read": report.items_read,
        "removed": report.removed,
        "read_per_removed": report.items_read / removed,
        "read_per_removed_with_cursor": (report.items_read + 1) / removed,
        "days_queried": len(report.days),
        "load_s": load_seconds,
        "sweep_s": sweep_seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ddblocal", action="store_true", help="use DynamoDB Local instead of moto")
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backend = "DynamoDB Local" if args.ddblocal else "moto"
    print(f"retention sweep, {backend}: items read per item removed (target <= {TARGET}, flat)")
    print(f"{'items':>8} {'due':>6} {'read':>6} {'removed':>8} {'read/removed':>13} {'+cursor':>8} {'sweep s':>8}")
    with _backend(args.ddblocal):
        for size in sizes:
            row = measure(size)
            print(
                f"{row['items']:>8} {row['due']:>6} {row['items_read']:>6} {row['removed']:>8} "
                f"{row['read_per_removed']:>13.3f} {row['read_per_removed_with_cursor']:>8.3f} {row['sweep_s']:>8.2f}"
            )
            assert row["removed"] == row["due"], "the sweep must remove every due item"


if __name__ == "__main__":
    main()
