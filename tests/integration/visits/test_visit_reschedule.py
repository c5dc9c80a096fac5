"""Rescheduling a multi-service visit as one visit (issue #18 follow-up, item 1): every live
part moves in one transaction, keeps its specialist, and a lost race on any part leaves the
whole visit where it was."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.fixtures_bookings import assert_booking_invariants, table_items


def _book_visit(api: Any, salon: Any, customer: Any, start: datetime, specialists: tuple[str, str]) -> dict[str, Any]:
    parts = [
        {"service_id": service.service_id, "specialist_id": spec}
        for service, spec in zip((salon.service, salon.short_service), specialists, strict=True)
    ]
    made = api.post("/v1/visits", {"venue_id": salon.venue_id, "start": start.isoformat(), "parts": parts},
                    headers=customer.headers)  # fmt: skip
    assert made.status == 201, made.body
    return dict(made.json)


def _move(api: Any, visit_id: str, start: datetime, person: Any, key: str | None = None) -> Any:
    headers = {**person.headers, "Idempotency-Key": key} if key else person.headers
    return api.post(f"/v1/visits/{visit_id}/reschedule", {"start": start.isoformat()}, headers=headers)


def _records(kind: str) -> dict[str, int]:
    items = table_items(("AuditRecord", "OutboxEvent"))
    return {
        "audit": sum(1 for i in items if i["entity"]["S"] == "AuditRecord" and i.get("action", {}).get("S") == kind),
        "events": sum(1 for i in items if i["entity"]["S"] == "OutboxEvent" and ":rescheduled:" in str(i)),
    }


def test_a_visit_moves_as_one_keeping_its_specialists_and_freeing_its_old_time(api, salon, customer, signup):
    a, b = salon.specialist_ids[:2]
    # Given a cut with a at 10:00 then a trim with b at 11:05
    visit = _book_visit(api, salon, customer, salon.at(1, "10:00"), (a, b))
    # When the customer moves the visit to 14:00
    moved = _move(api, visit["id"], salon.at(1, "14:00"), customer)
    # Then both parts moved back to back with the same specialists, one event and audit record each
    assert moved.status == 200, moved.body
    first, second = moved.json["bookings"]
    assert datetime.fromisoformat(first["start"]) == salon.at(1, "14:00")
    assert datetime.fromisoformat(second["start"]) == salon.at(1, "15:05")
    assert [first["specialist_id"], second["specialist_id"]] == [a, b]
    assert _records("booking.rescheduled") == {"audit": 2, "events": 2}
    # And the locks hold exactly the new intervals (the old ones were released)
    assert assert_booking_invariants() == {"pending": 2}
    # And someone else can now book b's old trim time
    rival = signup(name="Rival")
    taken = api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), b, service_id=salon.short_service.service_id),
                     headers=rival.headers)  # fmt: skip
    assert taken.status == 201, taken.body
    assert assert_booking_invariants() == {"pending": 3}


def test_a_visit_move_onto_an_overlap_with_itself_stays_consistent(api, salon, customer):
    a = salon.specialist_ids[0]
    # Given both parts with a (10:00 cut, 11:05 trim), one lock holding both
    visit = _book_visit(api, salon, customer, salon.at(1, "10:00"), (a, a))
    # When the visit moves 30 minutes later (its new times overlap its own old ones)
    moved = _move(api, visit["id"], salon.at(1, "10:30"), customer)
    # Then it is not blocked by itself and the one lock holds just the new intervals
    assert moved.status == 200, moved.body
    assert datetime.fromisoformat(moved.json["bookings"][1]["start"]) == salon.at(1, "11:35")
    assert assert_booking_invariants() == {"pending": 2}


def test_a_visit_whose_second_part_lost_the_race_is_left_unchanged(api, salon, customer, signup, monkeypatch):
    from chalicelib.store import bookings as store

    a, b = salon.specialist_ids[:2]
    visit = _book_visit(api, salon, customer, salon.at(1, "10:00"), (a, b))
    before = {i["booking_id"]["S"]: (i["start_at"], i["version"]) for i in table_items(("BookingRecord",))}
    rival = signup(name="Rival")
    original = store.reschedule_visit
    raced: list[int] = []

    def rival_books_first(*args: Any, **kwargs: Any) -> None:
        # After the move read the locks and before it commits, a rival takes b's new trim time
        # (15:05): the second part's lock has moved on.
        if not raced:
            raced.append(1)
            taken = api.post("/v1/bookings", salon.body(salon.at(1, "15:00"), b,
                             service_id=salon.short_service.service_id), headers=rival.headers)  # fmt: skip
            assert taken.status == 201, taken.body
        original(*args, **kwargs)

    monkeypatch.setattr(store, "reschedule_visit", rival_books_first)
    # When the customer moves the visit to 14:00
    answer = _move(api, visit["id"], salon.at(1, "14:00"), customer)
    # Then the move is refused (its retry found b taken) and neither part moved
    assert raced and answer.status == 409 and answer.json["type"] == "/problems/slot-taken", answer.body
    after = {i["booking_id"]["S"]: (i["start_at"], i["version"]) for i in table_items(("BookingRecord",))}
    assert {k: after[k] for k in before} == before
    assert _records("booking.rescheduled") == {"audit": 0, "events": 0}
    assert assert_booking_invariants() == {"pending": 3}


def test_a_retried_visit_move_with_the_same_key_moves_once(api, salon, customer):
    a, b = salon.specialist_ids[:2]
    visit = _book_visit(api, salon, customer, salon.at(1, "10:00"), (a, b))
    first = _move(api, visit["id"], salon.at(1, "14:00"), customer, key="move-1")
    second = _move(api, visit["id"], salon.at(1, "14:00"), customer, key="move-1")
    assert first.status == second.status == 200, (first.body, second.body)
    assert second.header("Idempotent-Replayed") == "true"
    assert second.json["bookings"] == first.json["bookings"]
    assert _records("booking.rescheduled") == {"audit": 2, "events": 2}
    # And the same key with another start is refused
    other = _move(api, visit["id"], salon.at(1, "16:00"), customer, key="move-1")
    assert other.status == 422, other.body


def test_a_visit_cannot_be_moved_by_someone_else_or_once_cancelled(api, salon, customer, signup):
    a, b = salon.specialist_ids[:2]
    visit = _book_visit(api, salon, customer, salon.at(1, "10:00"), (a, b))
    assert _move(api, visit["id"], salon.at(1, "14:00"), signup(name="Other")).status == 404
    assert api.post(f"/v1/visits/{visit['id']}/cancel", headers=customer.headers).status == 200
    gone = _move(api, visit["id"], salon.at(1, "14:00"), customer)
    assert gone.status == 409 and gone.json["type"] == "/problems/booking-state", gone.body
