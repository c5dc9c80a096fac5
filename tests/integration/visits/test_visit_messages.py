"""One message per visit (issue #18 follow-up, item 2): a visit's parts each record their
event, but the customer is told once, with every service named; reminders are planned once;
webhooks still see every part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.support.fixtures_bookings import table_items
from tests.support.fixtures_privacy import relay_events


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The customer messages and webhook fan-outs the relayed events cause."""
    from chalicelib.notify import producer
    from chalicelib.services import webhooks

    seen: dict[str, list[Any]] = {"messages": [], "webhooks": []}
    monkeypatch.setattr(producer, "enqueue", lambda message, *a, **k: seen["messages"].append(message))
    monkeypatch.setattr(webhooks, "fan_out", lambda kind, _id, payload, _at: seen["webhooks"].append((kind, payload)))
    return seen


def _parts(salon: Any, specialists: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"service_id": service.service_id, "specialist_id": spec}
        for service, spec in zip((salon.service, salon.short_service), specialists, strict=True)
    ]


def test_a_visit_is_one_message_naming_every_service_and_planning_reminders_once(api, salon, customer, captured):
    from chalicelib.notify.templates import render

    a, b = salon.specialist_ids[:2]
    # Given a visit: a cut with a, then a trim with b
    body = {"venue_id": salon.venue_id, "start": salon.at(1, "10:00").isoformat(), "parts": _parts(salon, (a, b))}
    made = api.post("/v1/visits", body, headers=customer.headers)
    assert made.status == 201, made.body
    first, second = made.json["bookings"]
    # When its events are relayed
    assert relay_events() == 2
    # Then the customer gets ONE "booking received" message, for the visit's first part
    messages = captured["messages"]
    assert [(m.kind, m.params["booking_id"]) for m in messages] == [("booking.created", first["id"])]
    params = messages[0].params
    assert params["visit_id"] == made.json["id"]
    assert datetime.fromisoformat(params["start"]) == salon.at(1, "10:00")
    # And it names both services and both specialists
    text = render("booking.created", "en", params).body
    assert salon.service.name in text and salon.short_service.name in text, text
    assert first["specialist_name"] in text and second["specialist_name"] in text, text
    # And reminders are planned once (for the visit's start), not per part
    reminders = table_items(("ReminderItem",))
    assert reminders and {r["booking_id"]["S"] for r in reminders} == {first["id"]}
    # And the business's webhooks still see every part
    assert sorted(p["booking_id"] for k, p in captured["webhooks"] if k == "booking.created") == sorted(
        [first["id"], second["id"]]
    )


def test_a_visit_cancelled_or_moved_is_one_message_each_time(api, salon, customer, captured):
    a = salon.specialist_ids[0]
    body = {"venue_id": salon.venue_id, "start": salon.at(1, "10:00").isoformat(), "parts": _parts(salon, (a, a))}
    visit = api.post("/v1/visits", body, headers=customer.headers).json
    moved = api.post(f"/v1/visits/{visit['id']}/reschedule", {"start": salon.at(1, "14:00").isoformat()},
                     headers=customer.headers)  # fmt: skip
    assert moved.status == 200, moved.body
    assert api.post(f"/v1/visits/{visit['id']}/cancel", headers=customer.headers).status == 200
    # When the six part events are relayed
    assert relay_events() == 6
    # Then the customer got one message per change, not per part
    kinds = sorted(m.kind for m in captured["messages"])
    assert kinds == ["booking.cancelled", "booking.created", "booking.rescheduled"]
    # And the waitlist and webhooks saw both parts of each change
    assert len(captured["webhooks"]) == 6


def test_a_single_part_changed_by_the_business_is_still_told_to_the_customer(api, salon, customer, captured):
    a, b = salon.specialist_ids[:2]
    body = {"venue_id": salon.venue_id, "start": salon.at(1, "10:00").isoformat(), "parts": _parts(salon, (a, b))}
    second = api.post("/v1/visits", body, headers=customer.headers).json["bookings"][1]
    relay_events()
    captured["messages"].clear()
    # When the business confirms the second part alone
    path = f"/v1/businesses/{salon.business_id}/bookings/{second['id']}/confirm"
    answer = api.post(path, headers=salon.owner.headers)
    assert answer.status == 200, answer.body
    relay_events()
    # Then the customer is told about that part
    assert [(m.kind, m.params["booking_id"]) for m in captured["messages"]] == [("booking.confirmed", second["id"])]
