"""Pure booking rules: transitions, notice, discounts, lock days, the calendar file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from chalicelib import errors
from chalicelib.domain import ics
from chalicelib.domain.bookings import (
    Actor,
    Booking,
    BookingStatus,
    CancellationWindowClosed,
    DiscountCode,
    DiscountKind,
    DiscountUnavailable,
    InvalidTransition,
    discount_amount,
    first_overlap,
    lock_days,
    overlaps,
    pick_specialist,
    transition,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _booking(**changes) -> Booking:
    base = Booking(
        booking_id="b1", business_id="biz", venue_id="v", specialist_id="p", service_id="s",
        customer_user_id="u", status=BookingStatus.PENDING, start=START, end=START + timedelta(hours=1),
        occupied_start=START - timedelta(minutes=10), occupied_end=START + timedelta(minutes=65),
        timezone="Europe/Berlin", created_at=NOW, updated_at=NOW, service_name="Cut",
        venue_name="Salon", venue_address="Main St 1", specialist_name="Ana",
    )  # fmt: skip
    return replace(base, **changes)


def test_business_transitions():
    pending = _booking()
    confirmed = transition(pending, BookingStatus.CONFIRMED, Actor.BUSINESS, NOW, timedelta(0))
    assert confirmed.status is BookingStatus.CONFIRMED and confirmed.version == 2
    with pytest.raises(InvalidTransition):
        transition(confirmed, BookingStatus.CONFIRMED, Actor.BUSINESS, NOW, timedelta(0))
    # attendance only once started
    with pytest.raises(InvalidTransition):
        transition(confirmed, BookingStatus.COMPLETED, Actor.BUSINESS, NOW, timedelta(0))
    done = transition(confirmed, BookingStatus.COMPLETED, Actor.BUSINESS, START, timedelta(0))
    assert not done.live
    for target in BookingStatus:
        with pytest.raises((InvalidTransition, errors.Forbidden)):
            transition(done, target, Actor.BUSINESS, START, timedelta(0))
    cancelled = transition(pending, BookingStatus.CANCELLED, Actor.BUSINESS, START, timedelta(0))
    assert cancelled.cancelled_by is Actor.BUSINESS


def test_customer_may_only_cancel_and_only_before_the_notice():
    notice = timedelta(hours=24)
    booking = _booking()
    with pytest.raises(errors.Forbidden):
        transition(booking, BookingStatus.CONFIRMED, Actor.CUSTOMER, NOW, notice)
    # exactly at the notice boundary is still allowed; a second later is not
    ok = transition(booking, BookingStatus.CANCELLED, Actor.CUSTOMER, START - notice, notice)
    assert ok.cancelled_by is Actor.CUSTOMER
    with pytest.raises(CancellationWindowClosed):
        transition(booking, BookingStatus.CANCELLED, Actor.CUSTOMER, START - notice + timedelta(seconds=1), notice)


def _code(**changes) -> DiscountCode:
    base = DiscountCode(
        business_id="biz", code="TEN", kind=DiscountKind.PERCENT, value=10,
        valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1), created_at=NOW,
    )  # fmt: skip
    return replace(base, **changes)


def test_discounts():
    assert discount_amount(_code(), 4000, "EUR", NOW) == 400
    assert discount_amount(_code(value=100), 4000, "EUR", NOW) == 4000
    assert discount_amount(_code(value=33), 1001, "EUR", NOW) == 330  # rounds down: the customer never pays less
    fixed = _code(kind=DiscountKind.FIXED, value=5000, currency="EUR")
    assert discount_amount(fixed, 4000, "EUR", NOW) == 4000  # never below zero
    for bad, currency, now in (
        (fixed, "USD", NOW),
        (_code(), "EUR", NOW + timedelta(days=1)),  # valid_until is exclusive
        (_code(), "EUR", NOW - timedelta(days=2)),
        (_code(active=False), "EUR", NOW),
        (_code(max_uses=2, uses=2), "EUR", NOW),
    ):
        with pytest.raises(DiscountUnavailable):
            discount_amount(bad, 4000, currency, now)


def test_lock_days_cover_every_utc_day_an_interval_touches():
    day = datetime(2026, 11, 23, tzinfo=UTC)
    assert lock_days((day + timedelta(hours=9), day + timedelta(hours=10))) == [date(2026, 11, 23)]
    assert lock_days((day + timedelta(hours=23), day + timedelta(hours=24))) == [date(2026, 11, 23)]  # ends at 00:00
    assert lock_days((day + timedelta(hours=23), day + timedelta(hours=25))) == [date(2026, 11, 23), date(2026, 11, 24)]


def test_overlap_is_half_open():
    a = (START, START + timedelta(hours=1))
    assert not overlaps(a, (START + timedelta(hours=1), START + timedelta(hours=2)))
    assert overlaps(a, (START + timedelta(minutes=59), START + timedelta(hours=2)))
    assert first_overlap(a, {"x": a}, ignore="x") is None
    assert first_overlap(a, {"x": a}) == "x"


def test_any_specialist_prefers_the_least_busy():
    assert pick_specialist(["b", "a", "c"], {"a": 3, "b": 1, "c": 1}) == "b"
    assert pick_specialist([], {}) is None


def test_calendar_file_parses_with_escaped_folded_text():
    # Given a cancelled booking whose venue name needs escaping and a long specialist name
    booking = _booking(venue_name="Salon, Nord", status=BookingStatus.CANCELLED, specialist_name="ü" * 80)
    # When it is written as a calendar file
    text = ics.booking_calendar(booking, NOW)
    # Then the wire form is RFC 5545: CRLF lines of at most 75 octets, escaped text, UTC times
    lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "SUMMARY:Cut at Salon\\, Nord" in lines and "DTSTART:20261124T100000Z" in lines
    # And an iCalendar parser reads back exactly one event with the booking's values
    calendar = Calendar.from_ical(text)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Cut at Salon, Nord" and str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == START + timedelta(hours=1)
    assert str(event["LOCATION"]) == "Main St 1" and str(event["DESCRIPTION"]) == "Specialist: " + "ü" * 80
    assert str(event["UID"]) == "b1@bookings" and int(event["SEQUENCE"]) == 0


def test_feed_shows_first_names_only():
    assert ics.first_name("  Ada Lovelace ") == "Ada" and ics.first_name("") == ""
    entries = [ics.FeedEntry(_booking(booking_id=f"b{i}"), summary=f"Cut: Ada ({i})") for i in range(3)]
    calendar = Calendar.from_ical(ics.feed_calendar("Salon feed", entries, NOW))
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == ["b0@bookings", "b1@bookings", "b2@bookings"]
    assert str(calendar["X-WR-CALNAME"]) == "Salon feed"
