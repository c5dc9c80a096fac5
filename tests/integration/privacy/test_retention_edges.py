"""Retention edge cases: readers honour a passed deadline before any sweep, erasure leaves
nothing of the user without a deadline, and a sweep told a future time cannot make later
runs skip days."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.aws_clients import client
from chalicelib.privacy import sweeps
from chalicelib.settings import get_settings
from chalicelib.store import db, items
from chalicelib.store import retention as retention_store


def _put_due(pk: str, due) -> None:
    exp_pk, exp_sk = retention_store.expiry_keys(pk, "X", due)
    client("dynamodb").put_item(
        TableName=get_settings().resolved_table_name(),
        Item={
            "pk": {"S": pk},
            "sk": {"S": "X"},
            "entity": {"S": "Thing"},
            "exp_pk": {"S": exp_pk},
            "exp_sk": {"S": exp_sk},
        },
    )


def test_a_sweep_run_with_a_future_clock_does_not_make_later_runs_skip_days(aws, clock):
    # proves: RET-1
    # Given a sweep run told a time ten days ahead of the real clock
    sweeps.run(clock.now() + timedelta(days=10))
    assert (retention_store.get_cursor(sweeps.SWEEP_NAME) or clock.now().date()) < clock.now().date()
    # And an item that falls due two days from now (stamped after that run)
    _put_due("TEST#later", clock.now() + timedelta(days=2))
    # When the real clock reaches three days later and the sweep runs normally
    clock.advance(timedelta(days=3))
    report = sweeps.run(clock.now())
    # Then the days in between are swept and the item is gone
    assert report.removed == 1
    assert items.get("TEST#later", "X") is None


def test_a_cursor_beyond_the_real_clock_is_not_trusted(aws, clock):
    # Given a cursor already saved ahead of the real clock (by a run before this fix)
    pk, sk = "SWEEP", f"CURSOR#{sweeps.SWEEP_NAME}"
    ahead = clock.now().date() + timedelta(days=9)
    db.put(
        retention_store.SweepCursor(
            pk=pk, sk=sk, sweep=sweeps.SWEEP_NAME, last_complete_day=ahead, updated_at=clock.now()
        )
    )
    _put_due("TEST#soon", clock.now() + timedelta(days=1))
    # When the real clock passes the item's deadline and the sweep runs
    clock.advance(timedelta(days=2))
    sweeps.run(clock.now())
    # Then the item is removed all the same, and the cursor is back behind the real clock
    assert items.get("TEST#soon", "X") is None
    assert retention_store.get_cursor(sweeps.SWEEP_NAME) == clock.now().date() - timedelta(days=1)
