"""Reminder buckets are spread over shards: the schedule still sees every due reminder, in
due order, including items written under the unsharded key before the shards existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.store import db, reminders

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _plan(booking_id: str, offsets: list[int]) -> None:
    reminders.schedule(
        booking_id=booking_id,
        business_id="biz",
        customer_user_id=f"user-{booking_id}",
        start=START,
        offsets_minutes=offsets,
        params={},
        now=START - timedelta(days=2),
    )


def test_reminders_of_many_bookings_land_on_several_shards_and_come_back_in_due_order(aws):
    # Given 40 bookings whose reminders fall due in one bucket, a minute apart
    for n in range(40):
        _plan(f"b{n:02d}", [60 + n % 4])
    # When the schedule reads the bucket
    found = list(reminders.due(START - timedelta(minutes=65), START - timedelta(minutes=60)))
    # Then every reminder is there once, ordered by due time, from more than one partition
    assert sorted(r.booking_id for r in found) == [f"b{n:02d}" for n in range(40)]
    assert [r.due_at for r in found] == sorted(r.due_at for r in found)
    assert len({r.key[0] for r in found}) > 1
    assert {r.key[0] for r in found} <= {f"REMIND#2026-11-25#{s:02d}" for s in range(reminders.SHARDS)}
    # And a booking's reminders share its shard (a retried schedule rewrites the same items)
    assert all(r.key[0].endswith(f"#{reminders.shard_of(r.booking_id):02d}") for r in found)


def test_a_reminder_stored_under_the_unsharded_key_is_still_sent_and_removed(aws):
    # Given an item written before the shards (REMIND#<bucket>Z) and a sharded one due earlier
    due = START - timedelta(minutes=120)
    legacy_sk = f"{reminders.codec.encode(due)}#legacy#120"
    db.put(
        reminders.ReminderItem(
            pk="REMIND#2026-11-25T07:00Z",  # the five-minute bucket, unsharded
            sk=legacy_sk,
            booking_id="legacy",
            business_id="biz",
            customer_user_id="user-legacy",
            offset_minutes=120,
            due_at=due,
            booking_start=START,
        )
    )
    _plan("new", [121])
    # When the schedule reads the bucket
    found = list(reminders.due(due - timedelta(minutes=5), due))
    # Then both come back, in due order, and removing them leaves nothing
    assert [r.booking_id for r in found] == ["new", "legacy"]
    reminders.remove([r.key for r in found])
    assert list(reminders.due(due - timedelta(minutes=5), due)) == []


def test_legacy_buckets_are_read_only_before_the_cut_over():
    # Given a range that straddles the cut-over instant
    cut = reminders.LEGACY_BUCKETS_BEFORE
    # When the legacy buckets of the day before it and of its own day are listed
    before = reminders._legacy_partitions(
        cut - timedelta(days=1), cut - timedelta(minutes=10), cut + timedelta(hours=1)
    )
    after = reminders._legacy_partitions(cut, cut - timedelta(minutes=10), cut + timedelta(hours=1))
    # Then the buckets before it are read (the two last of that day) and none from it on
    assert before == ["REMIND#2027-12-31T23:50Z", "REMIND#2027-12-31T23:55Z"]
    assert after == []


def test_a_range_across_midnight_reads_both_days(aws):
    # Given reminders due just before and just after midnight, in different days' partitions
    midnight = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    for n, minutes in enumerate((-3, 2)):
        start = midnight + timedelta(minutes=minutes + 60)
        reminders.schedule(
            booking_id=f"m{n}", business_id="biz", customer_user_id="u", start=start,
            offsets_minutes=[60], params={}, now=midnight - timedelta(days=1),
        )  # fmt: skip
    # When a run covers midnight
    found = list(reminders.due(midnight - timedelta(minutes=5), midnight + timedelta(minutes=5)))
    # Then both come back in due order
    assert [r.booking_id for r in found] == ["m0", "m1"]
    assert [r.key[0][:18] for r in found] == ["REMIND#2026-11-25#", "REMIND#2026-11-26#"]
