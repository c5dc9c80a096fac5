"""Outbox events: what the transaction records is what the relay publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.notify import events


def _event(**changes: object) -> events.BookingEvent:
    values: dict[str, object] = {
        "booking_id": "bk-1",
        "business_id": "biz-1",
        "venue_id": "venue-1",
        "customer_user_id": "user-1",
        "venue_name": "Studio Lotus",
        "service_name": "Haircut",
        "specialist_name": "Mila",
        "start": datetime(2026, 11, 25, 11, 0, tzinfo=timezone(timedelta(hours=2))),
        "timezone": "Europe/Sofia",
        "reminder_offsets_minutes": (1440, 120),
        "status": "pending",
    }
    values.update(changes)
    return events.BookingEvent(**values)  # type: ignore[arg-type]


def test_an_event_survives_the_outbox_round_trip_with_its_start_in_utc():
    # Given an event whose start is expressed in a local offset
    event = _event()
    # When it is written as the outbox payload and read back
    payload = event.to_payload()
    again = events.BookingEvent.from_payload(payload)
    # Then the payload holds the instant in UTC and the event comes back equal
    assert payload["start"] == "2026-11-25T09:00:00+00:00"
    assert again == _event(start=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert again.params() == event.params()


def test_event_ids_name_the_booking_and_for_a_move_the_new_start():
    # Given one booking's events
    event = _event()
    # Then each kind has its own id; a move is named by its new start, so two moves differ
    assert events.outbox_event_id(events.BOOKING_CREATED, event) == "bk-1:created"
    assert events.outbox_event_id(events.BOOKING_CANCELLED, event) == "bk-1:cancelled"
    assert events.outbox_event_id(events.BOOKING_RESCHEDULED, event) == "bk-1:rescheduled:20261125T0900Z"
    later = _event(start=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    assert events.outbox_event_id(events.BOOKING_RESCHEDULED, later) == "bk-1:rescheduled:20261126T0900Z"
    assert events.outbox_event_id(events.BOOKING_COMPLETED, event) == "bk-1:completed"
    # And an unknown kind is refused by the id; an outcome is not a customer message
    with pytest.raises(ValueError):
        events.outbox_event_id("booking.archived", event)
    with pytest.raises(ValueError):
        events.publish("booking.completed", event, recorded_at=datetime(2026, 11, 22, tzinfo=UTC))
