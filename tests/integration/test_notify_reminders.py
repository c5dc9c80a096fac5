"""Reminders: before each live booking, never for a cancelled, moved or past one; cost grows
with the reminders due, not with the table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib import errors
from chalicelib.domain.bookings import BookingStatus
from chalicelib.notify import events
from chalicelib.schedules import run_reminders

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 11:00 in Sofia


@dataclass
class FakeBooking:
    status: BookingStatus
    start: datetime


@pytest.fixture
def bookings(monkeypatch):
    """The bookings store's get_booking, answering from a dict the test controls."""
    from chalicelib.store import bookings as store

    table: dict[str, FakeBooking] = {}
    monkeypatch.setattr(store, "get_booking", lambda booking_id: table.get(booking_id))
    return table


def event(booking_id: str, start: datetime = START, offsets=(24 * 60, 2 * 60)) -> events.BookingEvent:
    return events.BookingEvent(
        booking_id=booking_id,
        business_id="biz-1",
        venue_id="venue-1",
        customer_user_id="user-1",
        venue_name="Studio Lotus",
        service_name="Haircut",
        specialist_name="Mila",
        start=start,
        timezone="Europe/Sofia",
        reminder_offsets_minutes=offsets,
    )


def queued(notify) -> list[dict]:
    """Every message now on the queue, taken off it (hidden for a minute)."""
    from chalicelib.aws_clients import client

    found: list[dict] = []
    while True:
        url = notify.queue_url()
        answer = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        if not answer.get("Messages"):
            return found
        found += [json.loads(m["Body"]) for m in answer["Messages"]]


def test_reminders_go_out_24h_and_2h_before(notify, clock, bookings):
    # proves: NOTE-1
    # Given a confirmed booking created now, three days ahead
    bookings["bk-1"] = FakeBooking(BookingStatus.CONFIRMED, START)
    events.publish(events.BOOKING_CREATED, event("bk-1"), recorded_at=clock.now())
    assert [m["kind"] for m in queued(notify)] == ["booking.created"]
    notify.drain()
    # When the schedule runs every five minutes until 24 h before
    clock.set(START - timedelta(hours=24, minutes=5))
    assert run_reminders()["queued"] == 0
    clock.set(START - timedelta(hours=24))
    assert run_reminders()["queued"] == 1
    # Then the 24-hour reminder is queued, once
    [reminder] = queued(notify)
    assert reminder["kind"] == "booking.reminder" and reminder["category"] == "reminders"
    assert reminder["notification_id"] == "bk-1:reminder:20261125T0900Z:1440"
    clock.advance(timedelta(minutes=5))
    assert run_reminders()["queued"] == 0
    # And the 2-hour one at its time
    clock.set(START - timedelta(hours=2) + timedelta(minutes=3))
    assert run_reminders()["queued"] == 1


def test_cancelled_booking_gets_no_reminder(notify, clock, bookings):
    # proves: NOTE-1
    # Given a booking with reminders planned, then cancelled
    bookings["bk-2"] = FakeBooking(BookingStatus.CONFIRMED, START)
    events.publish(events.BOOKING_CREATED, event("bk-2"), recorded_at=clock.now())
    bookings["bk-2"] = FakeBooking(BookingStatus.CANCELLED, START)
    # When the schedule reaches both reminder times
    clock.set(START - timedelta(hours=24))
    first = run_reminders()
    clock.set(START - timedelta(hours=2))
    second = run_reminders()
    # Then no reminder was queued
    assert first == {"queued": 0, "skipped": 1} and second == {"queued": 0, "skipped": 1}
    assert [m["kind"] for m in queued(notify)] == ["booking.created"]


def test_moved_booking_is_reminded_for_its_new_time_only(notify, clock, bookings):
    # proves: NOTE-1
    # Given a booking moved one day later after its reminders were planned
    events.publish(events.BOOKING_CREATED, event("bk-3"), recorded_at=clock.now())
    later = START + timedelta(days=1)
    bookings["bk-3"] = FakeBooking(BookingStatus.CONFIRMED, later)
    events.publish(events.BOOKING_RESCHEDULED, event("bk-3", start=later), recorded_at=clock.now())
    notify.receive()
    # When the old 24-hour reminder time comes
    clock.set(START - timedelta(hours=24))
    # Then nothing is sent for the old time
    assert run_reminders() == {"queued": 0, "skipped": 1}
    # And the new one goes out at the new time (the old 2-hour one, due meanwhile, is dropped)
    clock.set(later - timedelta(hours=24))
    assert run_reminders() == {"queued": 1, "skipped": 1}
    [reminder] = [m for m in queued(notify) if m["kind"] == "booking.reminder"]
    assert reminder["params"]["start"] == later.isoformat()


def test_no_reminder_for_a_time_already_past(notify, clock, bookings):
    # Given a booking made 90 minutes before it starts (both reminder times are past)
    start = clock.now() + timedelta(minutes=90)
    bookings["bk-4"] = FakeBooking(BookingStatus.CONFIRMED, start)
    events.publish(events.BOOKING_CREATED, event("bk-4", start=start), recorded_at=clock.now())
    # When the schedule runs until after the start
    for _ in range(20):
        clock.advance(timedelta(minutes=5))
        assert run_reminders()["queued"] == 0
    # Then no reminder was ever planned or queued


def test_a_late_schedule_does_not_remind_after_the_start(notify, clock, bookings):
    # Given the schedule did not run for a day (an outage) and a booking began meanwhile
    bookings["bk-5"] = FakeBooking(BookingStatus.CONFIRMED, START)
    events.publish(events.BOOKING_CREATED, event("bk-5", offsets=(120,)), recorded_at=clock.now())
    clock.set(START + timedelta(hours=1))
    # When it runs again
    # Then the due reminder is dropped, not sent late
    assert run_reminders() == {"queued": 0, "skipped": 1}


def test_per_venue_offsets(notify, clock, bookings):
    # Given a venue that reminds 3 hours before only
    bookings["bk-6"] = FakeBooking(BookingStatus.CONFIRMED, START)
    events.publish(events.BOOKING_CREATED, event("bk-6", offsets=(180,)), recorded_at=clock.now())
    clock.set(START - timedelta(hours=24))
    assert run_reminders()["queued"] == 0
    clock.set(START - timedelta(hours=3))
    assert run_reminders()["queued"] == 1


def test_cost_grows_with_reminders_due_not_with_the_table(notify, clock, bookings):
    from tests.support.dynamo_calls import counting

    # Given 40 bookings with reminders spread over the next days, and 3 due in the next run
    for n in range(40):
        start = START + timedelta(hours=3 * n)
        bookings[f"bulk-{n}"] = FakeBooking(BookingStatus.CONFIRMED, start)
        events.publish(
            events.BOOKING_CREATED, event(f"bulk-{n}", start=start, offsets=(24 * 60,)), recorded_at=clock.now()
        )
    due_at = START - timedelta(hours=24)
    for n in range(3):
        bookings[f"due-{n}"] = FakeBooking(BookingStatus.CONFIRMED, START + timedelta(minutes=n))
        events.publish(
            events.BOOKING_CREATED,
            event(f"due-{n}", start=START + timedelta(minutes=n), offsets=(24 * 60,)),
            recorded_at=clock.now(),
        )
    clock.set(due_at - timedelta(minutes=5))
    run_reminders()  # steady state: the cursor is five minutes behind
    # When the run that finds the 3 due reminders happens
    clock.set(due_at + timedelta(minutes=2))
    with counting() as calls:
        result = run_reminders()
    # Then it read the cursor, queried the day's shards and the two legacy buckets since
    # (store/reminders.py: unsharded items from before the shards), and touched only those 3
    from chalicelib.store import reminders

    assert result["queued"] >= 3
    assert calls["Scan"] == 0
    assert calls["Query"] == reminders.SHARDS + 2
    assert calls["GetItem"] == 1  # the cursor (bookings are read through the fake here)
    assert calls["BatchWriteItem"] == 1 and calls["PutItem"] == 1


def test_policy_change_needs_thirty_days_notice_and_goes_by_email_and_telegram(notify, clock):
    # proves: NOTE-5
    # Given a policy change 29 days ahead
    # When it is announced
    # Then it is refused
    with pytest.raises(errors.InvalidInput):
        events.policy_change_notice(
            user_ids=["u1"],
            policy_version="2027-01",
            effective_on=date(2026, 12, 21),
            url="https://x/p",
            now=clock.now(),
        )
    # Given one 30 days ahead, for 12 users
    count = events.policy_change_notice(
        user_ids=[f"u{n}" for n in range(12)],
        policy_version="2027-01",
        effective_on=date(2026, 12, 22),
        url="https://x/p",
        now=clock.now(),
    )
    # Then 12 messages, by e-mail and Telegram, as account notices (preferences cannot mute them)
    found = queued(notify)
    assert count == 12 and len(found) == 12
    assert all(m["channels"] == ["email", "telegram"] and m["category"] == "account" for m in found)
