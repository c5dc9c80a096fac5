"""Multi-service visits (issue #18, item 2): availability of a chain, one atomic booking of
every part, cancelling as one visit, and the race against customer and staff bookings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.fixtures_bookings import assert_booking_invariants, run_concurrently, table_items


def _visit_body(salon: Any, start: datetime, specialists: tuple[str | None, str | None]) -> dict[str, Any]:
    parts = []
    for service, spec in zip((salon.service, salon.short_service), specialists, strict=True):
        part: dict[str, Any] = {"service_id": service.service_id}
        if spec is not None:
            part["specialist_id"] = spec
        parts.append(part)
    return {"venue_id": salon.venue_id, "start": start.isoformat(), "parts": parts}


def _visit_items() -> list[dict[str, Any]]:
    return table_items(("VisitRecord",))


def test_availability_lists_starts_where_the_whole_chain_fits(api, salon, customer):
    # Given a 60-min cut (buffers 10 before, 5 after) then a 30-min trim, and every specialist
    # but 0 busy for the trim's time after a 10:00 cut (11:05-11:35)
    a, b, c = salon.specialist_ids
    for spec in (b, c):
        trim = salon.body(salon.at(1, "11:00"), spec, service_id=salon.short_service.service_id)
        taken = api.post("/v1/bookings", trim, headers=customer.headers)
        assert taken.status == 201, taken.body
    day = (salon.today + timedelta(days=1)).isoformat()
    path = (
        f"/v1/venues/{salon.venue_id}/availability?service_id={salon.service.service_id}"
        f"&then_service_ids={salon.short_service.service_id}&from={day}&to={day}"
    )
    # When the customer asks where the visit fits
    answer = api.get(path, headers=customer.headers)
    # Then each slot names both parts, the second starting 65 minutes after the first
    assert answer.status == 200, answer.body
    slots = {datetime.fromisoformat(s["start"]): s for s in answer.json["slots"]}
    ten = salon.at(1, "10:00")
    assert ten in slots
    parts = slots[ten]["parts"]
    assert [p["service_id"] for p in parts] == [salon.service.service_id, salon.short_service.service_id]
    assert datetime.fromisoformat(parts[1]["start"]) == ten + timedelta(minutes=65)
    # And only specialist 0 can do the trim then (the others are busy)
    assert parts[1]["specialist_ids"] == [a]
    assert answer.json["duration_minutes"] == 65 + 30
    # And when specialist 0 is busy then too, 10:00 is no longer a start for the visit
    api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), a, service_id=salon.short_service.service_id),
             headers=customer.headers)  # fmt: skip
    again = api.get(path, headers=customer.headers)
    assert ten not in {datetime.fromisoformat(s["start"]) for s in again.json["slots"]}


def test_a_visit_is_booked_all_at_once_and_cancelled_as_one(api, salon, customer):
    a = salon.specialist_ids[0]
    # When the customer books a cut then a trim, both with specialist 0 (one lock holds both parts)
    made = api.post("/v1/visits", _visit_body(salon, salon.at(1, "10:00"), (a, a)), headers=customer.headers)
    # Then both parts are bookings linked by the visit's id, back to back
    assert made.status == 201, made.body
    visit = made.json
    first, second = visit["bookings"]
    assert first["visit_id"] == second["visit_id"] == visit["id"]
    assert datetime.fromisoformat(second["start"]) == salon.at(1, "11:05")
    assert (first["status"], second["status"]) == ("pending", "pending")
    assert assert_booking_invariants() == {"pending": 2}
    # And the customer sees the visit as one; the business calendar shows the linked bookings
    assert [b["id"] for b in api.get(f"/v1/visits/{visit['id']}", headers=customer.headers).json["bookings"]] == [
        first["id"], second["id"]]  # fmt: skip
    day = (salon.today + timedelta(days=1)).isoformat()
    calendar = api.get(f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}&day={day}",
                       headers=salon.owner.headers).json["items"]  # fmt: skip
    assert {b["visit_id"] for b in calendar} == {visit["id"]}
    # And a part alone cannot be cancelled by the customer; the visit can, releasing both
    alone = api.post(f"/v1/bookings/{first['id']}/cancel", headers=customer.headers)
    assert alone.status == 409 and alone.json["type"] == "/problems/booking-state"
    cancelled = api.post(f"/v1/visits/{visit['id']}/cancel", headers=customer.headers)
    assert cancelled.status == 200, cancelled.body
    assert {b["status"] for b in cancelled.json["bookings"]} == {"cancelled"}
    assert assert_booking_invariants() == {"cancelled": 2}
    # And nobody else sees it
    from tests.support.fixtures_accounts import make_signup

    assert api.get(f"/v1/visits/{visit['id']}", headers=make_signup(None, name="Other").headers).status == 404


def test_a_visit_whose_second_part_lost_the_race_books_no_part(api, salon, customer, signup, monkeypatch):
    from chalicelib.store import bookings as store

    a, b = salon.specialist_ids[:2]
    rival = signup(name="Rival")
    original = store.create_visit
    raced: list[int] = []

    def rival_books_first(*args: Any, **kwargs: Any) -> None:
        # After the visit read the locks and before it commits, a rival takes the trim's time
        # of specialist b (11:05): the second part's lock has moved on.
        if not raced:
            raced.append(1)
            taken = api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), b,
                             service_id=salon.short_service.service_id), headers=rival.headers)  # fmt: skip
            assert taken.status == 201, taken.body
        original(*args, **kwargs)

    monkeypatch.setattr(store, "create_visit", rival_books_first)
    # When the customer books a cut with a, then a trim with b
    answer = api.post("/v1/visits", _visit_body(salon, salon.at(1, "10:00"), (a, b)), headers=customer.headers)
    # Then the visit is refused (its retry found b taken) and no part of it exists
    assert raced and answer.status == 409 and answer.json["type"] == "/problems/slot-taken", answer.body
    bookings = [i for i in table_items(("BookingRecord",))]
    assert [i["customer_user_id"]["S"] for i in bookings] == [rival.user_id]
    assert _visit_items() == []
    assert assert_booking_invariants() == {"pending": 1}


def test_a_retried_visit_with_the_same_key_is_booked_once(api, salon, customer):
    body = _visit_body(salon, salon.at(1, "10:00"), (None, None))
    headers = {**customer.headers, "Idempotency-Key": "visit-1"}
    first = api.post("/v1/visits", body, headers=headers)
    second = api.post("/v1/visits", body, headers=headers)
    assert first.status == second.status == 201, (first.body, second.body)
    assert second.json["id"] == first.json["id"] and second.header("Idempotent-Replayed") == "true"
    assert assert_booking_invariants() == {"pending": 2} and len(_visit_items()) == 1


@pytest.mark.ddblocal
@pytest.mark.timeout(240)
def test_thirty_concurrent_customer_staff_and_visit_attempts_on_one_slot_give_one_winner(
    aws, concurrent_api, salon, signup
):
    if aws != "ddblocal":
        pytest.skip("the 30-thread race runs against DynamoDB Local (moto applies requests one at a time)")
    api = concurrent_api
    a = salon.specialist_ids[0]
    people = [signup(name=f"Racer {n}") for n in range(3)]
    start = salon.at(1, "11:00")
    cut = salon.body(start, a)
    walk_in = {"venue_id": salon.venue_id, "service_id": salon.service.service_id, "specialist_id": a,
               "start": start.isoformat(), "customer": {"name": "Walk-in"}}  # fmt: skip
    visit = _visit_body(salon, start, (a, a))
    path = f"/v1/businesses/{salon.business_id}/bookings"
    calls = []
    for n in range(30):
        kind = n % 3
        if kind == 0:
            calls.append(lambda n=n: ("customer", api.post("/v1/bookings", cut, headers=people[n % 3].headers)))
        elif kind == 1:
            calls.append(lambda: ("staff", api.post(path, walk_in, headers=salon.owner.headers)))
        else:
            calls.append(lambda n=n: ("visit", api.post("/v1/visits", visit, headers=people[n % 3].headers)))
    # When all 30 go at once (10 customer bookings, 10 walk-ins, 10 two-part visits on specialist 0)
    results = run_concurrently(calls, workers=30)
    # Then exactly one wins; every other attempt is a 409 problem; the locks agree with the bookings
    wins = [(kind, r) for kind, r in results if r.status == 201]
    assert len(wins) == 1, [(kind, r.status, r.body[:120]) for kind, r in results]
    assert all(r.status == 409 for _, r in results if r.status != 201), [r.body[:200] for _, r in results]
    counts = assert_booking_invariants()
    winner_kind = wins[0][0]
    assert sum(counts.values()) == (2 if winner_kind == "visit" else 1)
    assert len(_visit_items()) == (1 if winner_kind == "visit" else 0)
