"""Round trips for staff-made bookings (walk-ins without an account, blocks), the
business's own customer records and multi-service visits: value -> store write -> read back -> equal, every field.
On moto and on DynamoDB Local."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import bookings, business_customers, db, waitlist
from tests.integration.store.test_roundtrip_bookings import LONG, YEAR_837, YEAR_9999, _booking

COVERS = ("BusinessCustomer", "VisitRecord", "WaitlistEntry")


@pytest.mark.ddblocal
@pytest.mark.parametrize("kind", ["booking", "block"])
def test_a_staff_booking_round_trips_and_is_in_no_customer_list(aws, kind):
    # Given a walk-in without an account (or a block): no customer user, the business's record id
    booking = replace(
        _booking(7, YEAR_837, rich=True),
        customer_user_id="",
        kind=kind,
        business_customer_id="c" * 32 if kind == "booking" else None,
    )
    # When it is written and read back
    db.put(bookings.booking_record(booking))
    read = bookings.get_booking(booking.booking_id)
    # Then every field is as written, and it has no customer-index key (empty keys are refused)
    assert read is not None
    for f in fields(type(booking)):
        assert getattr(read, f.name) == getattr(booking, f.name), f.name
    assert read.staff_made
    raw = db.get_raw(bookings.booking_pk(booking.booking_id), bookings.BOOKING_SK)
    assert raw is not None and "gsi1pk" not in raw and "gsi1sk" not in raw
    found, _ = bookings.query_bookings("GSI2", bookings.venue_index_key(booking.business_id, booking.venue_id))
    assert [b.booking_id for b in found] == [booking.booking_id]


@pytest.mark.ddblocal
@pytest.mark.parametrize("phone", [None, "+4915112345678"])
def test_a_business_customer_round_trips_and_gathers_its_bookings(aws, phone):
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    # Given a new record written in a transaction with its first booking's id
    tx = db.Transaction()
    business_customers.add_new(tx, "b" * 32, "c" * 32, LONG[:120], phone, "k1", now)
    tx.commit()
    # When a second booking is appended later
    later = now + timedelta(days=3)
    tx = db.Transaction()
    business_customers.add_booking(tx, "b" * 32, "c" * 32, "k2", later)
    tx.commit()
    # Then it reads back with every field, both bookings in order, restamped from the last booking
    read = business_customers.get("b" * 32, "c" * 32, later)
    assert read is not None
    assert (read.name, read.phone, read.booking_ids) == (LONG[:120], phone, ("k1", "k2"))
    assert (read.created_at, read.updated_at) == (now, later)
    assert business_customers.get_many("b" * 32, ["c" * 32, "missing"], later) == {"c" * 32: read}
    due = later + business_customers._retention_window()
    assert business_customers.get("b" * 32, "c" * 32, due) is None  # past its deadline: absent
    assert business_customers.get("b" * 32, "c" * 32, due - timedelta(microseconds=1)) is not None
    assert due < YEAR_9999


@pytest.mark.ddblocal
def test_a_visit_round_trips_with_its_parts_in_order(aws):
    # Given a visit of three parts (the second and third share a specialist-day lock)
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    parts = [
        replace(_booking(20 + n, at + timedelta(hours=n), rich=False), visit_id="v" * 32,
                specialist_id="p" * 31 + ("a" if n == 0 else "b"))
        for n in range(3)
    ]  # fmt: skip
    locks, _ = bookings.read_locks_and_discount("b" * 32, bookings.visit_lock_days(parts), None)
    # When it is written in one transaction and read back
    bookings.create_visit("v" * 32, parts, locks, now=now)
    read = bookings.get_visit_parts("v" * 32)
    # Then the parts come back in chain order, every field as written
    assert read == parts
    assert bookings.get_visit_parts("missing") is None


@pytest.mark.ddblocal
def test_a_waitlist_entry_round_trips_with_its_offer_and_the_starts_it_let_pass(aws):
    # Given an entry at the extremes (year 837 joined, a window to 9999, any specialist)
    entry = waitlist.Entry(
        entry_id="e" * 32,
        user_id="u" * 26,
        business_id="b" * 32,
        venue_id="v" * 32,
        service_id="s" * 32,
        specialist_id=None,
        window_start=YEAR_837,
        window_end=YEAR_9999,
        joined_at=YEAR_837,
    )
    waitlist.add(entry)
    # Then it reads back equal from the venue's list and the user's
    assert waitlist.of_venue(entry.business_id, entry.venue_id) == [entry]
    assert waitlist.find(entry.user_id, entry.entry_id, YEAR_837) == entry
    # When an offer is recorded and then lapses
    start, expires = datetime(2026, 11, 23, 10, tzinfo=UTC), datetime(2026, 11, 22, 9, 15, tzinfo=UTC)
    hold = waitlist.hold_key(entry.entry_id, expires)
    tx = db.Transaction()
    waitlist.offer_in(tx, entry, start, "p" * 32, hold, expires)
    tx.commit()
    [offered] = waitlist.of_venue(entry.business_id, entry.venue_id)
    assert (offered.offer_start, offered.offer_specialist_id, offered.offer_hold, offered.offer_expires_at) == (
        start,
        "p" * 32,
        hold,
        expires,
    )
    waitlist.lapse(offered)
    # Then the offer is gone and its start is remembered, instant for instant
    [lapsed] = waitlist.of_venue(entry.business_id, entry.venue_id)
    assert lapsed.offer_hold is None and lapsed.offer_start is None and len(lapsed.passed) == 1
    assert replace(lapsed, passed=()) == entry
