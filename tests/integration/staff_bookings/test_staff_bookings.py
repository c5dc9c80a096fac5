"""Staff-made bookings (walk-ins, phone calls), personal blocks and the business's own
customer records (issue #18, item 1) over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.fixtures_bookings import assert_booking_invariants, relogin


def _staff_body(salon: Any, start: Any, specialist: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "venue_id": salon.venue_id,
        "service_id": salon.service.service_id,
        "start": start.isoformat(),
        "customer": {"name": "Walk-in Wanda"},
    }
    if specialist is not None:
        body["specialist_id"] = specialist
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}  # None: left out


def _block_body(salon: Any, start: Any, end: Any, specialist: str) -> dict[str, Any]:
    return {
        "kind": "block",
        "venue_id": salon.venue_id,
        "specialist_id": specialist,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }


def _path(salon: Any) -> str:
    return f"/v1/businesses/{salon.business_id}/bookings"


def _audit_actions(business_id: str) -> list[str]:
    from chalicelib.store.audit import list_records

    return sorted(r.action for r in list_records(business_id))


def _outbox_payloads() -> list[dict[str, Any]]:
    from chalicelib.store import outbox

    return [outbox.get(key).payload for key in outbox.recorded_before(__import__("datetime").datetime.max.replace(
        tzinfo=__import__("datetime").UTC))]  # fmt: skip


def test_a_walk_in_skips_the_minimum_notice_but_is_recorded_like_any_booking(api, salon, customer):
    # Given a venue with 60 minutes' minimum notice and a start 30 minutes from now
    soon = salon.at(0, "10:30")
    spec = salon.specialist_ids[0]
    refused = api.post("/v1/bookings", salon.body(soon, spec), headers=customer.headers)
    assert refused.status == 422  # the customer may not book inside the notice
    # When the owner books a walk-in (a name, no account) at that start
    made = api.post(_path(salon), _staff_body(salon, soon, spec), headers=salon.owner.headers)
    # Then it is confirmed, shows the business's own record as the card and no account
    assert made.status == 201, made.body
    booking = made.json
    assert booking["status"] == "confirmed" and booking["kind"] == "booking"
    assert booking["customer"] == {"name": "Walk-in Wanda", "phone": None}
    assert booking["customer_user_id"] == "" and booking["business_customer_id"]
    assert made.header("Location") == f"{_path(salon)}/{booking['id']}"
    # And it is audited and in the calendar, with the locks consistent
    assert _audit_actions(salon.business_id) == ["booking.staff_created"]
    day = api.get(
        f"{_path(salon)}?venue_id={salon.venue_id}&day={salon.today.isoformat()}", headers=salon.owner.headers
    )
    assert [(b["id"], b["customer"]["name"]) for b in day.json["items"]] == [(booking["id"], "Walk-in Wanda")]
    assert assert_booking_invariants() == {"confirmed": 1}


def test_staff_never_override_the_overlap_check(api, salon, customer):
    # Given a customer's booking of specialist 0 at 11:00 (occupies 10:50-12:05 with buffers)
    start, spec = salon.at(1, "11:00"), salon.specialist_ids[0]
    assert api.post("/v1/bookings", salon.body(start, spec), headers=customer.headers).status == 201
    # When staff book the same specialist at 11:30, or block 12:00-12:30 on them
    walk_in = api.post(_path(salon), _staff_body(salon, salon.at(1, "11:30"), spec), headers=salon.owner.headers)
    block = api.post(
        _path(salon), _block_body(salon, salon.at(1, "12:00"), salon.at(1, "12:30"), spec), headers=salon.owner.headers
    )
    # Then both are refused as taken, and nothing of them is stored
    assert walk_in.status == 409 and walk_in.json["type"] == "/problems/slot-taken"
    assert block.status == 409 and block.json["type"] == "/problems/slot-taken"
    assert assert_booking_invariants() == {"pending": 1}
    # And "any" puts the walk-in with a free specialist instead
    anyone = api.post(_path(salon), _staff_body(salon, start, "any"), headers=salon.owner.headers)
    assert anyone.status == 201 and anyone.json["specialist_id"] != spec
    assert anyone.json["specialist_requested"] is False


def test_a_block_occupies_the_time_through_the_same_locks_until_cancelled(api, salon, customer):
    spec = salon.specialist_ids[1]
    # Given a block of specialist 1 from 12:00 to 14:00 (not on the slot grid: 12:07)
    block = api.post(
        _path(salon), _block_body(salon, salon.at(1, "12:07"), salon.at(1, "14:00"), spec), headers=salon.owner.headers
    )
    assert block.status == 201, block.body
    assert block.json["kind"] == "block" and block.json["customer"] is None and block.json["status"] == "confirmed"
    assert _audit_actions(salon.business_id) == ["booking.blocked"]
    # When a customer asks for that specialist inside the block
    taken = api.post("/v1/bookings", salon.body(salon.at(1, "13:00"), spec), headers=customer.headers)
    # Then it is taken; availability does not offer it either
    assert taken.status == 409 and taken.json["type"] == "/problems/slot-taken"
    day = salon.today + timedelta(days=1)
    free = api.get(
        f"/v1/venues/{salon.venue_id}/availability?service_id={salon.service.service_id}"
        f"&specialist_id={spec}&from={day}&to={day}",
        headers=customer.headers,
    )
    starts = [s["start"] for s in free.json["slots"]]
    assert salon.at(1, "13:00").isoformat().replace("+00:00", "Z") not in starts
    assert not any(salon.at(1, "12:00") < _parse(s) < salon.at(1, "14:00") for s in starts)
    # And a block cannot be attended or moved, only cancelled, which frees the time
    block_path = f"{_path(salon)}/{block.json['id']}"
    salon.owner.headers = relogin(salon.owner)
    assert api.post(f"{block_path}/reschedule", {"start": salon.at(2, "12:00").isoformat()},
                    headers=salon.owner.headers).json["type"] == "/problems/booking-state"  # fmt: skip
    cancelled = api.post(f"{block_path}/cancel", headers=salon.owner.headers)
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    again = api.post("/v1/bookings", salon.body(salon.at(1, "13:00"), spec), headers=customer.headers)
    assert again.status == 201, again.body
    assert_booking_invariants()


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_a_phone_of_an_account_links_the_booking_and_the_business_learns_nothing_more(api, salon, signup):
    # proves: SHARE-1
    # Given a customer with an account, and a number without one
    person = signup(name="Real Name")
    spec = salon.specialist_ids[0]
    # When the owner books by phone for the account's number (under another name) and for the other
    linked = api.post(
        _path(salon),
        _staff_body(salon, salon.at(1, "10:00"), spec, customer={"name": "Phone Pat", "phone": person.phone}),
        headers=salon.owner.headers,
    )
    unlinked = api.post(
        _path(salon),
        _staff_body(salon, salon.at(1, "12:00"), spec, customer={"name": "Phone Pip", "phone": "+4915199887766"}),
        headers=salon.owner.headers,
    )
    assert linked.status == unlinked.status == 201
    # Then both answers have the same shape: the name and phone the business entered, no account id
    for answer, name in ((linked.json, "Phone Pat"), (unlinked.json, "Phone Pip")):
        assert answer["customer"]["name"] == name and answer["customer_user_id"] == ""
    assert linked.json.keys() == unlinked.json.keys()
    # And the account holder sees the linked booking (without the business's record) and may cancel it
    mine = api.get("/v1/me/bookings", headers=person.headers).json["items"]
    assert [b["id"] for b in mine] == [linked.json["id"]]
    assert mine[0]["customer"] is None and mine[0]["business_customer_id"] is None
    # And the customer's notification goes to the account only (the event names it; the other none)
    by_booking = {p["booking_id"]: p for p in _outbox_payloads()}
    assert by_booking[linked.json["id"]]["customer_user_id"] == person.user_id
    assert by_booking[unlinked.json["id"]]["customer_user_id"] == ""
    # And the business's view stays its own record after the account's name is what it is
    read = api.get(f"{_path(salon)}/{linked.json['id']}", headers=salon.owner.headers)
    assert read.json["customer"]["name"] == "Phone Pat" and read.json["customer_user_id"] == ""
    assert api.post(f"/v1/bookings/{linked.json['id']}/cancel", headers=person.headers).status == 200


def test_a_walk_in_without_an_account_gets_no_message(aws):
    from chalicelib.services import subscribers
    from chalicelib.services.events import DomainEvent

    # Given a created-event of a walk-in with no account
    payload = {
        "booking_id": "b1", "business_id": "biz", "venue_id": "v", "customer_user_id": "", "venue_name": "V",
        "service_name": "S", "specialist_name": None, "start": "2026-11-23T10:00:00+00:00", "timezone": "UTC",
        "reminder_offsets_minutes": [120], "status": "confirmed",
    }  # fmt: skip
    sent: list[Any] = []
    from chalicelib.notify import events as notifications

    original = notifications.publish
    notifications.publish = lambda *a, **k: sent.append(a)  # type: ignore[assignment]
    try:
        # When the notification subscriber runs, and then for an account's booking
        subscribers.notify_customer(DomainEvent("booking.created", "b1:created", payload), _parse(payload["start"]))
        payload["customer_user_id"] = "u1"
        subscribers.notify_customer(DomainEvent("booking.created", "b1:created", payload), _parse(payload["start"]))
    finally:
        notifications.publish = original  # type: ignore[assignment]
    # Then only the account's booking is published
    assert len(sent) == 1


def test_specialists_book_only_for_themselves(api, salon, signup):
    from dataclasses import replace
    from datetime import time

    from chalicelib.domain.catalog import Specialist, TimeRange, WorkingPlan
    from chalicelib.domain.identity import Role
    from chalicelib.store import catalog, memberships

    # Given a staff member who is specialist "Mine" (linked to their account) and a manager
    me = signup(name="Specialist Sam")
    memberships.add_membership(salon.business_id, me.user_id, Role.SPECIALIST)
    mine = catalog.create_specialist(
        Specialist(
            business_id=salon.business_id, venue_id=salon.venue_id, specialist_id=catalog.new_id(), name="Mine",
            plan=WorkingPlan(hours={d: (TimeRange(time(9), time(18)),) for d in range(7)}), user_id=me.user_id,
        )
    )  # fmt: skip
    manager = signup(name="Manager Mo")
    memberships.add_membership(salon.business_id, manager.user_id, Role.MANAGER)
    # When the specialist blocks their own time, books for themselves (naming nobody) and blocks another's
    own_block = _block_body(salon, salon.at(1, "09:00"), salon.at(1, "10:00"), mine.specialist_id)
    own = api.post(_path(salon), own_block, headers=me.headers)
    everyone = catalog.create_service(replace(salon.short_service, service_id=catalog.new_id(), specialist_ids=()))
    implicit_body = _staff_body(salon, salon.at(1, "11:00"), service_id=everyone.service_id)
    implicit = api.post(_path(salon), implicit_body, headers=me.headers)
    other = api.post(
        _path(salon),
        _block_body(salon, salon.at(1, "09:00"), salon.at(1, "10:00"), salon.specialist_ids[0]),
        headers=me.headers,
    )
    # Then their own succeed, the other is forbidden; a manager may book anyone
    assert own.status == 201, own.body
    assert implicit.status == 201 and implicit.json["specialist_id"] == mine.specialist_id
    assert other.status == 403
    by_manager = api.post(_path(salon), _staff_body(salon, salon.at(1, "10:00"), salon.specialist_ids[0]),
                          headers=manager.headers)  # fmt: skip
    assert by_manager.status == 201
    # And a customer (no staff role) cannot use the route at all
    outsider = signup(name="Customer")
    assert api.post(_path(salon), _staff_body(salon, salon.at(1, "15:00")), headers=outsider.headers).status == 403
    assert_booking_invariants()


def test_a_retry_with_the_same_idempotency_key_gives_the_same_booking(api, salon):
    body = _staff_body(salon, salon.at(1, "10:00"), salon.specialist_ids[0])
    headers = {**salon.owner.headers, "Idempotency-Key": "walk-in-1"}
    first = api.post(_path(salon), body, headers=headers)
    second = api.post(_path(salon), body, headers=headers)
    assert first.status == 201 and second.status == 201
    assert second.json["id"] == first.json["id"] and second.header("Idempotent-Replayed") == "true"
    other = api.post(_path(salon), body | {"notes": "changed"}, headers=headers)
    assert other.status == 422 and other.json["type"] == "/problems/idempotency-key-reused"
    assert assert_booking_invariants() == {"confirmed": 1}


def test_the_business_exports_and_erases_the_customers_it_entered(api, salon, signup):
    from chalicelib.store import business_customers

    # Given a walk-in customer with two bookings (the second reuses the record), one with notes
    first = api.post(
        _path(salon),
        _staff_body(salon, salon.at(1, "10:00"), salon.specialist_ids[0], notes="Allergic to X",
                    customer={"name": "Rita", "phone": "+4915199887755"}),
        headers=salon.owner.headers,
    )  # fmt: skip
    customer_id = first.json["business_customer_id"]
    second = api.post(
        _path(salon),
        _staff_body(salon, salon.at(2, "10:00"), salon.specialist_ids[0], customer=None, customer_id=customer_id),
        headers=salon.owner.headers,
    )
    assert second.status == 201, second.body
    assert second.json["customer"] == {"name": "Rita", "phone": "+4915199887755"}
    # When the owner exports the record
    path = f"/v1/businesses/{salon.business_id}/customers/{customer_id}"
    export = api.get(path, headers=salon.owner.headers)
    # Then it holds the record and both bookings, the notes included; the read is audited
    assert export.status == 200, export.body
    assert (export.json["name"], export.json["phone"]) == ("Rita", "+4915199887755")
    assert [b["id"] for b in export.json["bookings"]] == [first.json["id"], second.json["id"]]
    assert export.json["bookings"][0]["notes"] == "Allergic to X"
    assert "business_customer.export" in _audit_actions(salon.business_id)
    # And another business's staff, and customers, cannot read it
    stranger = signup(name="Other Owner")
    from tests.support.fixtures_bookings import make_salon

    make_salon(stranger, salon.at(0, "10:00"))
    assert api.get(path.replace(salon.business_id, "nope"), headers=stranger.headers).status in (403, 404)
    assert api.get(path, headers=stranger.headers).status == 404
    # When the owner erases it
    assert api.delete(path, headers=salon.owner.headers).status == 204
    # Then the record is gone, the notes of its bookings too, and the bookings show no card
    assert api.get(path, headers=salon.owner.headers).status == 404
    assert business_customers.get(salon.business_id, customer_id, salon.at(0, "10:00")) is None
    read = api.get(f"{_path(salon)}/{first.json['id']}", headers=salon.owner.headers)
    assert read.json["customer"] is None and read.json["notes"] is None
    assert "business_customer.erased" in _audit_actions(salon.business_id)
    assert api.delete(path, headers=salon.owner.headers).status == 404
    # And a new booking for the erased record is refused
    again = api.post(
        _path(salon),
        _staff_body(salon, salon.at(3, "10:00"), salon.specialist_ids[0], customer=None, customer_id=customer_id),
        headers=salon.owner.headers,
    )
    assert again.status == 422
    assert_booking_invariants()


def test_a_business_customer_leaves_two_years_after_its_last_booking(api, salon, clock):
    from chalicelib.privacy import sweeps
    from chalicelib.retention_rules import window
    from chalicelib.store import business_customers

    # Given a walk-in booked now
    made = api.post(_path(salon), _staff_body(salon, salon.at(1, "10:00"), salon.specialist_ids[0]),
                    headers=salon.owner.headers)  # fmt: skip
    customer_id = made.json["business_customer_id"]
    due = clock.now() + window("business_customer")
    # When the sweep runs a day before the deadline, then a day after
    sweeps.run(due - timedelta(days=1))
    kept = business_customers.get(salon.business_id, customer_id, due - timedelta(days=1))
    sweeps.run(due + timedelta(days=1))
    # Then the record is kept until then and gone after
    assert kept is not None and kept.name == "Walk-in Wanda"
    assert business_customers.get(salon.business_id, customer_id, due - timedelta(days=1)) is None


@pytest.mark.parametrize("body_change", [
    {"kind": "block"},  # a block with a customer and a service
    {"customer": None},  # neither customer nor customer_id
    {"customer_id": "c1"},  # both
    {"end": "2026-11-23T12:00:00+00:00"},  # a booking with an end
])  # fmt: skip
def test_malformed_staff_requests_are_422(api, salon, body_change):
    body = {k: v for k, v in (_staff_body(salon, salon.at(1, "10:00"), salon.specialist_ids[0]) | body_change).items()
            if v is not None}  # fmt: skip
    answer = api.post(_path(salon), body, headers=salon.owner.headers)
    assert answer.status == 422, answer.body
