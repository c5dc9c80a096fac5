"""Idempotent create, discount codes (limit under concurrency), atomic reschedule, Idempotency-Key
on reschedule and status changes, the same-start no-op, the no-Scan guard."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.support.fixtures_bookings import (
    assert_booking_invariants,
    in_request_path,
    relogin,
    run_concurrently,
    table_items,
)


def _bookings_in_table() -> int:
    return sum(1 for item in table_items() if item["entity"]["S"] == "BookingRecord")


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_same_booking(api, salon, customer):
    # Given a create request with an Idempotency-Key
    body = salon.body(salon.at(1, "10:00"), salon.specialist_ids[0], notes="first")
    headers = {**customer.headers, "Idempotency-Key": "retry-1"}
    first = api.post("/v1/bookings", body, headers=headers)
    # When the client retries it (e.g. after a timeout)
    second = api.post("/v1/bookings", body, headers=headers)
    # Then the same booking comes back, marked as a replay, and only one exists
    assert first.status == 201 and second.status == 201
    assert second.json == first.json
    assert second.header("Idempotent-Replayed") == "true" and first.header("Idempotent-Replayed") is None
    assert _bookings_in_table() == 1


def test_a_retry_that_first_missed_the_record_still_gets_the_booking(api, salon, customer, monkeypatch):
    # Given a booking made with a key
    body = salon.body(salon.at(1, "10:00"), salon.specialist_ids[0])
    headers = {**customer.headers, "Idempotency-Key": "racy"}
    first = api.post("/v1/bookings", body, headers=headers)
    # And a retry whose first look for the key happens before that booking committed
    # (simulated: the first read of the record finds nothing)
    from chalicelib.services import bookings as service

    real = service.store.get_idempotency
    calls = []

    def first_misses(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(service.store, "get_idempotency", first_misses)
    # When the retry then finds its own interval in the lock
    second = api.post("/v1/bookings", body, headers=headers)
    # Then it answers with the booking, not a conflict
    assert second.status == 201, second.body
    assert second.json["id"] == first.json["id"] and len(calls) == 2
    assert _bookings_in_table() == 1


def test_the_same_key_with_another_body_is_refused(api, salon, customer):
    headers = {**customer.headers, "Idempotency-Key": "retry-2"}
    assert api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=headers).status == 201
    # When the key is reused for a different request
    other = api.post("/v1/bookings", salon.body(salon.at(1, "14:00")), headers=headers)
    # Then it is a 422 problem naming the header, and no second booking exists
    assert other.status == 422 and other.json["type"] == "/problems/idempotency-key-reused"
    assert other.json["errors"][0]["field"] == "header.Idempotency-Key"
    assert _bookings_in_table() == 1


def test_keys_are_per_caller(api, salon, signup):
    # Given two customers who happen to use the same key for different slots
    a, b = signup(name="A"), signup(name="B")
    ra = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers={**a.headers, "Idempotency-Key": "k"})
    rb = api.post("/v1/bookings", salon.body(salon.at(1, "12:00")), headers={**b.headers, "Idempotency-Key": "k"})
    # Then both get their own booking
    assert ra.status == rb.status == 201 and ra.json["id"] != rb.json["id"]


def test_an_invalid_key_is_422(api, salon, customer):
    response = api.post(
        "/v1/bookings", salon.body(salon.at(1, "10:00")), headers={**customer.headers, "Idempotency-Key": "x" * 300}
    )
    assert response.status == 422 and response.json["errors"][0]["field"] == "header.Idempotency-Key"


@pytest.mark.ddblocal
def test_concurrent_retries_with_one_key_make_one_booking(concurrent_api, salon, customer):
    # Given ten copies of one request with one key, sent at once (a client retrying aggressively)
    body = salon.body(salon.at(1, "10:00"), "any")
    headers = {**customer.headers, "Idempotency-Key": "burst"}
    answers = run_concurrently([lambda: concurrent_api.post("/v1/bookings", body, headers=headers)] * 10)
    # Then every answer is the same booking and the table holds one
    assert {a.status for a in answers} == {201}, [a.body for a in answers if a.status != 201]
    assert len({a.json["id"] for a in answers}) == 1
    assert _bookings_in_table() == 1
    assert_booking_invariants()


# --- discount codes ---------------------------------------------------------------------------------


def _code(api, salon, clock, **overrides):
    payload = {
        "code": "autumn10",
        "kind": "percent",
        "value": 10,
        "valid_from": (clock.now() - timedelta(days=1)).isoformat(),
        "valid_until": (clock.now() + timedelta(days=30)).isoformat(),
    } | overrides
    return api.post(f"/v1/businesses/{salon.business_id}/discount-codes", payload, headers=salon.owner.headers)


def test_percent_and_fixed_codes_reduce_the_price(api, salon, customer, clock):
    # Given a 10 % code and a 5.00 EUR code
    assert _code(api, salon, clock).status == 201
    assert _code(api, salon, clock, code="FIVE", kind="fixed", value=500, currency="EUR").status == 201
    # When bookings use them (codes are case-insensitive)
    pct = api.post("/v1/bookings", salon.body(salon.at(1, "10:00"), discount_code="Autumn10"), headers=customer.headers)
    fix = api.post("/v1/bookings", salon.body(salon.at(1, "12:00"), discount_code="five"), headers=customer.headers)
    # Then 40.00 becomes 36.00 and 35.00, and each use is counted
    assert pct.json["total_minor"] == 3600 and pct.json["discount_code"] == "AUTUMN10"
    assert fix.json["total_minor"] == 3500 and fix.json["discount_minor"] == 500
    listed = api.get(f"/v1/businesses/{salon.business_id}/discount-codes", headers=salon.owner.headers).json
    assert {c["code"]: c["uses"] for c in listed["items"]} == {"AUTUMN10": 1, "FIVE": 1}


def test_unusable_codes_are_refused_and_nothing_is_booked(api, salon, customer, clock):
    # Given an unknown code, a code not yet valid, one in another currency, and a switched-off one
    _code(api, salon, clock, code="LATER", valid_from=(clock.now() + timedelta(days=3)).isoformat())
    _code(api, salon, clock, code="DOLLARS", kind="fixed", value=500, currency="USD")
    _code(api, salon, clock, code="OFF")
    off = api.patch(f"/v1/businesses/{salon.business_id}/discount-codes/off", {"active": False},
                    headers=salon.owner.headers)  # fmt: skip
    assert off.status == 200 and off.json["active"] is False
    start = salon.at(1, "10:00")
    # When bookings try them
    unknown = api.post("/v1/bookings", salon.body(start, discount_code="NOPE"), headers=customer.headers)
    answers = [
        api.post("/v1/bookings", salon.body(start, discount_code=code), headers=customer.headers)
        for code in ("LATER", "DOLLARS", "OFF")
    ]
    # Then each is refused with a clear problem and no booking exists
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "body.discount_code"
    assert [a.json["type"] for a in answers] == ["/problems/discount-unavailable"] * 3
    assert _bookings_in_table() == 0


@pytest.mark.ddblocal
def test_usage_limit_holds_under_concurrency(concurrent_api, salon, customer, clock):
    # Given a code usable 3 times and 10 simultaneous bookings of distinct free slots using it
    api = concurrent_api
    assert _code(api, salon, clock, code="THREE", max_uses=3).status == 201
    slots = [(spec, wall) for spec in salon.specialist_ids for wall in ("10:00", "11:30", "13:00", "14:30")][:10]
    bodies = [salon.body(salon.at(1, wall), spec, discount_code="THREE") for spec, wall in slots]
    answers = run_concurrently([lambda b=b: api.post("/v1/bookings", b, headers=customer.headers) for b in bodies])
    # Then exactly three bookings carry the code; the others are refused as used up
    assert Counter(a.status for a in answers) == {201: 3, 409: 7}
    assert all(a.json["type"] == "/problems/discount-unavailable" for a in answers if a.status == 409)
    listed = api.get(f"/v1/businesses/{salon.business_id}/discount-codes", headers=salon.owner.headers).json
    assert listed["items"][0]["uses"] == 3
    assert _bookings_in_table() == 3


def test_cancelling_gives_the_use_back(api, salon, customer, clock):
    _code(api, salon, clock, code="ONCE", max_uses=1)
    first = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), discount_code="ONCE"), headers=customer.headers)
    used_up = api.post("/v1/bookings", salon.body(salon.at(2, "12:00"), discount_code="ONCE"), headers=customer.headers)
    assert first.status == 201 and used_up.status == 409
    assert api.post(f"/v1/bookings/{first.json['id']}/cancel", headers=customer.headers).status == 200
    again = api.post("/v1/bookings", salon.body(salon.at(2, "12:00"), discount_code="ONCE"), headers=customer.headers)
    assert again.status == 201


def test_only_managers_manage_codes_and_duplicates_conflict(api, salon, clock, staff, customer):
    from chalicelib.domain.identity import Role

    specialist = staff(salon.business_id, Role.SPECIALIST)
    path = f"/v1/businesses/{salon.business_id}/discount-codes"
    assert _code(api, salon, clock).status == 201
    assert _code(api, salon, clock).status == 409
    assert api.get(path, headers=specialist.headers).status == 403
    assert api.get(path, headers=customer.headers).status == 403
    from chalicelib.store.audit import list_records

    assert "discount_code.created" in [r.action for r in list_records(salon.business_id)]


# --- reschedule ---------------------------------------------------------------------------------------


def test_reschedule_moves_the_booking_and_frees_the_old_slot(api, salon, signup):
    # Given a booking at 10:00 with specialist 0
    spec = salon.specialist_ids[0]
    mover, other = signup(name="Mover"), signup(name="Other")
    created = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=mover.headers).json
    # When it is moved by 15 minutes (overlapping its own old interval) and then to 14:00
    nudged = api.post(f"/v1/bookings/{created['id']}/reschedule", {"start": salon.at(2, "10:15").isoformat()},
                      headers=mover.headers)  # fmt: skip
    moved = api.post(f"/v1/bookings/{created['id']}/reschedule", {"start": salon.at(2, "14:00").isoformat()},
                     headers=mover.headers)  # fmt: skip
    # Then both moves succeed, the old time is free for someone else and the new one is not
    assert nudged.status == 200 and moved.status == 200
    assert moved.json["local_start"].endswith("14:00:00+01:00") and moved.json["id"] == created["id"]
    assert api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=other.headers).status == 201
    assert api.post("/v1/bookings", salon.body(salon.at(2, "14:00"), spec), headers=other.headers).status == 409
    assert_booking_invariants()


def test_reschedule_into_a_taken_slot_changes_nothing(api, salon, signup):
    # Given two bookings of one specialist at 10:00 and 14:00
    spec = salon.specialist_ids[0]
    a, b = signup(name="A"), signup(name="B")
    first = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=a.headers).json
    api.post("/v1/bookings", salon.body(salon.at(2, "14:00"), spec), headers=b.headers)
    before = table_items()
    # When the first is moved onto the second
    response = api.post(f"/v1/bookings/{first['id']}/reschedule", {"start": salon.at(2, "14:30").isoformat()},
                        headers=a.headers)  # fmt: skip
    # Then it is a 409 and the table is exactly as before: the old slot is still held
    assert response.status == 409 and response.json["type"] == "/problems/slot-taken"
    assert sorted(map(str, table_items())) == sorted(map(str, before))


@pytest.mark.ddblocal
def test_two_concurrent_reschedules_into_one_slot(concurrent_api, salon, signup):
    # Given two bookings of one specialist and a free 15:00
    api = concurrent_api
    spec = salon.specialist_ids[0]
    people = [signup(name="A"), signup(name="B")]
    ids = [
        api.post("/v1/bookings", salon.body(salon.at(2, wall), spec), headers=p.headers).json["id"]
        for p, wall in zip(people, ("10:00", "12:00"), strict=True)
    ]
    target = {"start": salon.at(2, "15:00").isoformat()}
    # When both move there at once
    answers = run_concurrently(
        [lambda i=i, p=p: api.post(f"/v1/bookings/{i}/reschedule", target, headers=p.headers)
         for i, p in zip(ids, people, strict=True)]
    )  # fmt: skip
    # Then one moves, the other keeps its old slot
    assert sorted(a.status for a in answers) == [200, 409]
    assert_booking_invariants()
    starts = sorted(api.get(f"/v1/bookings/{i}", headers=p.headers).json["local_start"][11:16]
                    for i, p in zip(ids, people, strict=True))  # fmt: skip
    assert starts in (["10:00", "15:00"], ["12:00", "15:00"])


def test_customer_cannot_reschedule_inside_the_notice_but_the_business_can(api, salon, customer, clock):
    created = api.post("/v1/bookings", salon.body(salon.at(1, "11:00")), headers=customer.headers).json
    clock.advance(timedelta(hours=3))
    relogin(customer), relogin(salon.owner)
    late = api.post(f"/v1/bookings/{created['id']}/reschedule", {"start": salon.at(1, "15:00").isoformat()},
                    headers=customer.headers)  # fmt: skip
    assert late.status == 409 and late.json["type"] == "/problems/cancellation-notice"
    by_business = api.post(
        f"/v1/businesses/{salon.business_id}/bookings/{created['id']}/reschedule",
        {"start": salon.at(1, "15:00").isoformat()},
        headers=salon.owner.headers,
    )
    assert by_business.status == 200
    from chalicelib.store.audit import list_records

    moved = [r for r in list_records(salon.business_id) if r.action == "booking.rescheduled"]
    assert moved and moved[0].summary["previous_start"] != moved[0].summary["start"]


# --- Idempotency-Key on changes (reschedule, cancel, status) and the same-start no-op ---------------


def _moves_of(booking_id: str) -> dict[str, int]:
    """What one booking's reschedules left: its version, audit records and outbox events."""
    items = table_items(("BookingRecord", "AuditRecord", "OutboxEvent"))
    booking = next(i for i in items if i["entity"]["S"] == "BookingRecord" and i["booking_id"]["S"] == booking_id)
    return {
        "version": int(booking["version"]["N"]),
        "audit": sum(
            1 for i in items
            if i["entity"]["S"] == "AuditRecord" and i.get("action", {}).get("S") == "booking.rescheduled"
            and i.get("target_id", {}).get("S") == booking_id
        ),
        "events": sum(1 for i in items if i["entity"]["S"] == "OutboxEvent" and ":rescheduled:" in str(i)),
    }  # fmt: skip


def _reschedule(api, booking_id, start, person, key=None, **kwargs):
    headers = {**person.headers, "Idempotency-Key": key} if key else person.headers
    return api.post(f"/v1/bookings/{booking_id}/reschedule", {"start": start.isoformat()}, headers=headers, **kwargs)


def test_a_reschedule_whose_answer_was_lost_replays_on_a_retry_with_its_key(api, salon, customer, monkeypatch):
    from tests.support.faults import fail_next

    # Given a booking at 10:00
    created = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), salon.specialist_ids[0]),
                       headers=customer.headers).json  # fmt: skip
    # And a move to 14:00 with a key whose TransactWriteItems commits but whose answer is lost
    # (a 503, which the spec leaves to the gateway: not checked against the route contract)
    lost = fail_next(monkeypatch, "dynamodb.TransactWriteItems", "after")
    first = _reschedule(api, created["id"], salon.at(2, "14:00"), customer, key="move-1", check_contract=False)
    assert lost.failed == ["dynamodb.TransactWriteItems"] and first.status == 503, first.body
    # When the client retries with the same key and body
    retried = _reschedule(api, created["id"], salon.at(2, "14:00"), customer, key="move-1")
    # Then it answers with the moved booking, marked as a replay, and the booking moved once:
    # one version step, one booking.rescheduled record, one event
    assert retried.status == 200 and retried.header("Idempotent-Replayed") == "true", retried.body
    assert retried.json["local_start"].endswith("14:00:00+01:00")
    assert _moves_of(created["id"]) == {"version": 2, "audit": 1, "events": 1}
    assert_booking_invariants()


def test_the_same_reschedule_key_with_another_body_is_refused(api, salon, customer):
    # Given a booking made with a key and moved to 14:00 with another
    created = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), salon.specialist_ids[0]),
                       headers={**customer.headers, "Idempotency-Key": "made"}).json  # fmt: skip
    moved = _reschedule(api, created["id"], salon.at(2, "14:00"), customer, key="move-2")
    assert moved.status == 200 and moved.header("Idempotent-Replayed") is None
    # When the move's key is sent again with another start, and create's key is sent on a reschedule
    other = _reschedule(api, created["id"], salon.at(2, "15:00"), customer, key="move-2")
    crossed = _reschedule(api, created["id"], salon.at(2, "15:00"), customer, key="made")
    # Then both are 422 problems naming the header, and the booking stays where it was moved
    for refused in (other, crossed):
        assert refused.status == 422 and refused.json["type"] == "/problems/idempotency-key-reused"
        assert refused.json["errors"][0]["field"] == "header.Idempotency-Key"
    assert _moves_of(created["id"]) == {"version": 2, "audit": 1, "events": 1}
    shown = api.get(f"/v1/bookings/{created['id']}", headers=customer.headers).json
    assert shown["local_start"].endswith("14:00:00+01:00")


def test_a_reschedule_to_the_start_the_booking_has_is_a_no_op(api, salon, customer):
    from datetime import UTC

    from tests.support.dynamo_calls import counting

    # Given a booking at 10:00
    created = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), salon.specialist_ids[0]),
                       headers=customer.headers).json  # fmt: skip
    before = table_items()
    # When the customer, then the business, move it to that same instant (written in UTC)
    same = salon.at(2, "10:00").astimezone(UTC)
    with counting() as calls:
        mine = _reschedule(api, created["id"], same, customer)
    by_business = api.post(f"/v1/businesses/{salon.business_id}/bookings/{created['id']}/reschedule",
                           {"start": same.isoformat()}, headers=salon.owner.headers)  # fmt: skip
    # Then both return the booking unchanged, and nothing was written: no move, record or event
    assert mine.status == 200 and mine.json == created
    assert by_business.status == 200 and by_business.json["updated_at"] == created["updated_at"]
    assert calls == {"GetItem": 2}  # the session and the booking
    assert sorted(map(str, table_items())) == sorted(map(str, before))


def test_a_key_costs_a_reschedule_one_get_item_and_nothing_without_one(api, salon, customer):
    from tests.support.dynamo_calls import counting

    # Given two bookings
    ids = [
        api.post("/v1/bookings", salon.body(salon.at(2, wall), salon.specialist_ids[0]), headers=customer.headers)
        .json["id"] for wall in ("10:00", "12:00")
    ]  # fmt: skip
    # When one is moved without a key and the other with one
    with counting() as plain:
        assert _reschedule(api, ids[0], salon.at(3, "10:00"), customer).status == 200
    with counting() as keyed:
        assert _reschedule(api, ids[1], salon.at(3, "12:00"), customer, key="counted").status == 200
    # Then the key's record rode in the move's TransactWriteItems: one GetItem more, nothing else
    assert keyed - plain == {"GetItem": 1} and plain - keyed == {}
    assert plain["TransactWriteItems"] == 1


@pytest.mark.ddblocal
def test_concurrent_copies_of_a_keyed_reschedule_and_cancel_change_once(concurrent_api, salon, customer):
    from chalicelib.store.audit import list_records

    # Given two bookings
    api = concurrent_api
    ids = [
        api.post("/v1/bookings", salon.body(salon.at(2, wall), salon.specialist_ids[0]), headers=customer.headers)
        .json["id"] for wall in ("10:00", "12:00")
    ]  # fmt: skip
    # When eight copies of a keyed move of the first, and eight of a keyed cancel of the second, are sent at once
    move = {"start": salon.at(2, "15:00").isoformat()}
    moving = {**customer.headers, "Idempotency-Key": "burst-move"}
    cancelling = {**customer.headers, "Idempotency-Key": "burst-cancel"}
    answers = run_concurrently(
        [lambda: api.post(f"/v1/bookings/{ids[0]}/reschedule", move, headers=moving)] * 8
        + [lambda: api.post(f"/v1/bookings/{ids[1]}/cancel", None, headers=cancelling)] * 8
    )
    # Then every copy answers 200 with the changed booking, and each change committed once
    assert {a.status for a in answers} == {200}, [a.body for a in answers if a.status != 200]
    assert {a.json["local_start"][11:16] for a in answers[:8]} == {"15:00"}
    assert {a.json["status"] for a in answers[8:]} == {"cancelled"}
    actions = Counter(r.action for r in list_records(salon.business_id) if r.target_id in ids)
    assert actions["booking.rescheduled"] == 1 and actions["booking.cancelled"] == 1
    assert_booking_invariants()


def test_a_cancel_or_confirm_retried_with_its_key_replays(api, salon, customer, monkeypatch):
    from chalicelib.store.audit import list_records
    from tests.support.faults import fail_next

    # Given two bookings
    ids = [
        api.post("/v1/bookings", salon.body(salon.at(2, wall), salon.specialist_ids[0]), headers=customer.headers)
        .json["id"] for wall in ("10:00", "12:00")
    ]  # fmt: skip
    # When a cancel with a key loses its answer and is retried, and staff send a confirm twice
    fail_next(monkeypatch, "dynamodb.TransactWriteItems", "after")
    cancel_headers = {**customer.headers, "Idempotency-Key": "cancel-1"}
    lost = api.post(f"/v1/bookings/{ids[0]}/cancel", None, headers=cancel_headers, check_contract=False)
    cancelled = api.post(f"/v1/bookings/{ids[0]}/cancel", None, headers=cancel_headers)
    confirm = f"/v1/businesses/{salon.business_id}/bookings/{ids[1]}/confirm"
    staff_headers = {**salon.owner.headers, "Idempotency-Key": "confirm-1"}
    confirmed = [api.post(confirm, None, headers=staff_headers) for _ in range(2)]
    # Then the retries answer as the first would have (not a 409 "already cancelled"), as replays
    assert lost.status == 503
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled", cancelled.body
    assert cancelled.header("Idempotent-Replayed") == "true"
    assert [r.status for r in confirmed] == [200, 200] and confirmed[1].json == confirmed[0].json
    assert [r.header("Idempotent-Replayed") for r in confirmed] == [None, "true"]
    assert confirmed[1].json["customer"] is not None  # a staff replay is still the staff view (SHARE-1)
    # And each change committed once
    actions = Counter(r.action for r in list_records(salon.business_id) if r.target_id in ids)
    assert actions["booking.cancelled"] == 1 and actions["booking.confirmed"] == 1
    # And a cancel retried without a key is still the plain 409 it was
    assert api.post(f"/v1/bookings/{ids[0]}/cancel", None, headers=customer.headers).status == 409


# --- the no-Scan guard itself ---------------------------------------------------------------------


def test_the_guard_fails_a_scan_inside_a_request_and_allows_it_outside(api, request, monkeypatch):
    from chalicelib.aws_clients import client
    from chalicelib.services import bookings as service
    from chalicelib.settings import get_settings
    from tests.support.fixtures_bookings import ScanInRequestPath

    table = get_settings().resolved_table_name()
    # Given the guard installed for this test (it uses ``api``)
    # Then a Scan outside a request is allowed (tests may Scan) ...
    client("dynamodb").scan(TableName=table, Limit=1)
    # ... and one issued while a request is handled raises
    with in_request_path("GET /simulated"), pytest.raises(ScanInRequestPath):
        client("dynamodb").scan(TableName=table, Limit=1)
    request.node.scan_violations.clear()
    # When a route's code path issues a Scan (a deliberately broken service)
    monkeypatch.setattr(service.store, "get_booking", lambda *_a, **_k: client("dynamodb").scan(TableName=table))
    from tests.support.fixtures_accounts import make_signup

    person = make_signup()
    response = api.get("/v1/bookings/abc", headers=person.headers)
    # Then the request fails and the violation is recorded (it would fail this test at teardown)
    assert response.status == 500
    assert request.node.scan_violations == [f"GET /v1/bookings/abc: Scan {table}"]
    request.node.scan_violations.clear()
