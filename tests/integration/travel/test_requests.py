"""Travel requests over HTTP (TRV-1): filing, the business's queue, assignment, the thread,
status changes with their audit records and the customer's notifications."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.identity import Role


def _audit_actions(business_id: str) -> list[str]:
    from chalicelib.store.audit import list_records

    return sorted(record.action for record in list_records(business_id))


def _texts(notify) -> list[str]:
    return [text for _phone, text in notify.outbox.sms()]


def test_a_customer_files_a_request_and_the_business_works_it_through(api, travel_desk, staff, notify, clock):
    # proves: TRV-1
    # proves: SEC-6
    desk = travel_desk
    agent = staff(desk.business_id, Role.SPECIALIST, name="Travel Agent")
    # Given a request filed by the customer
    filed = desk.file()
    request_id = filed["id"]
    assert filed["status"] == "new" and filed["business_id"] == desk.business_id
    assert filed["first_response_due"].startswith((clock.now() + timedelta(hours=24)).date().isoformat())
    mine = api.get("/v1/me/travel-requests", headers=desk.customer.headers)
    assert [r["id"] for r in mine.json["items"]] == [request_id]
    queue = api.get(f"/v1/businesses/{desk.business_id}/travel-requests?status=new", headers=desk.owner.headers)
    assert [r["id"] for r in queue.json["items"]] == [request_id]

    # When the owner assigns it to a colleague, who reviews it and replies
    assigned = api.post(desk.staff_path(request_id, "/assign"), {"user_id": agent.user_id}, headers=desk.owner.headers)
    assert assigned.status == 200 and assigned.json["assignee_user_id"] == agent.user_id
    moved = api.post(desk.staff_path(request_id, "/status"), {"status": "in_review"}, headers=agent.headers)
    assert moved.status == 200 and moved.json["status"] == "in_review"
    reply = api.post(desk.staff_path(request_id, "/messages"), {"body": "Which hotel class?"}, headers=agent.headers)
    assert reply.status == 201 and reply.json["author_side"] == "staff"
    clock.advance(timedelta(minutes=5))
    asked = api.post(
        f"/v1/travel-requests/{request_id}/messages", {"body": "Four stars"}, headers=desk.customer.headers
    )
    assert asked.status == 201
    notify.drain()

    # Then the thread reads the same on both sides, the first response is recorded,
    thread = api.get(f"/v1/travel-requests/{request_id}/messages", headers=desk.customer.headers)
    assert [m["body"] for m in thread.json["items"]] == ["Which hotel class?", "Four stars"]
    staff_thread = api.get(desk.staff_path(request_id, "/messages"), headers=agent.headers)
    assert [m["body"] for m in staff_thread.json["items"]] == ["Which hotel class?", "Four stars"]
    now = api.get(f"/v1/travel-requests/{request_id}", headers=desk.customer.headers).json
    assert now["first_response_at"] is not None and now["messages"] == 2
    # the customer was told of the status change and the reply (not of their own message),
    texts = _texts(notify)
    assert any("is now: in_review" in text for text in texts), texts
    assert sum("new reply to your travel request" in text for text in texts) == 1, texts
    # and each change is in the business's audit log, with the staff reads of customer data
    actions = _audit_actions(desk.business_id)
    assert actions.count("travel_request.created") == 1
    assert actions.count("travel_request.assigned") == 1
    assert actions.count("travel_request.status") == 1
    assert "read_messages" in actions


def test_the_customer_cancels_their_own_and_a_closed_request_moves_no_more(api, travel_desk, signup):
    # proves: TRV-1
    desk = travel_desk
    request_id = desk.file()["id"]
    stranger = signup(name="Someone Else")
    # Given another customer: the request does not exist for them
    for path in ("", "/messages", "/quotes", "/documents"):
        assert api.get(f"/v1/travel-requests/{request_id}{path}", headers=stranger.headers).status == 404
    assert api.post(f"/v1/travel-requests/{request_id}/cancel", headers=stranger.headers).status == 404
    # When its customer cancels it
    cancelled = api.post(f"/v1/travel-requests/{request_id}/cancel", headers=desk.customer.headers)
    assert cancelled.status == 200
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancelled_by"] == "customer"
    assert cancelled.json["closed_at"] is not None
    # Then nothing moves it again, and the thread is closed
    for status in ("in_review", "completed", "cancelled"):
        again = api.post(desk.staff_path(request_id, "/status"), {"status": status}, headers=desk.owner.headers)
        assert again.status == 409, again.body
    closed = api.post(f"/v1/travel-requests/{request_id}/messages", {"body": "hi"}, headers=desk.customer.headers)
    assert closed.status == 409
    listed = api.get(f"/v1/businesses/{desk.business_id}/travel-requests?status=cancelled", headers=desk.owner.headers)
    assert [r["id"] for r in listed.json["items"]] == [request_id]
    assert _audit_actions(desk.business_id).count("travel_request.status") == 1


def test_filing_is_bounded_and_only_with_a_travel_business(api, travel_desk, salon, signup, clock):
    desk = travel_desk
    today = clock.now().date()
    # Given dates outside today..horizon, an end before the start, too many travellers
    for overrides in (
        {"start_date": (today - timedelta(days=1)).isoformat()},
        {"end_date": (today + timedelta(days=29)).isoformat()},
        {
            "start_date": (today + timedelta(days=400)).isoformat(),
            "end_date": (today + timedelta(days=401)).isoformat(),
        },
        {"travellers": 0},
        {"travellers": 21},
        {"destination": "line\nbreak"},
        {"service_type": "cruise"},
    ):
        body = {
            "business_id": desk.business_id,
            "service_type": "hotel",
            "destination": "Tbilisi",
            "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=31)).isoformat(),
            "travellers": 1,
        } | overrides
        # Then each is refused, naming the field
        answer = api.post("/v1/travel-requests", body, headers=desk.customer.headers)
        assert answer.status == 422, (overrides, answer.body)
    # And a business that publishes no exchange rates takes no travel requests
    other_owner = signup(name="Other Owner")
    from tests.support.fixtures_bookings import make_salon

    plain = make_salon(other_owner, clock.now())
    refused = api.post(
        "/v1/travel-requests",
        {
            "business_id": plain.business_id,
            "service_type": "hotel",
            "destination": "Tbilisi",
            "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=31)).isoformat(),
            "travellers": 1,
        },
        headers=desk.customer.headers,
    )
    assert refused.status == 404


def test_assignment_is_to_a_member_of_that_business_only(api, travel_desk, staff, signup):
    desk = travel_desk
    request_id = desk.file()["id"]
    outsider = signup(name="Not Staff")
    # When the owner assigns the request to someone who is not a member
    answer = api.post(desk.staff_path(request_id, "/assign"), {"user_id": outsider.user_id}, headers=desk.owner.headers)
    # Then there is no such member (404); a member themselves may take it
    assert answer.status == 404, answer.body
    agent = staff(desk.business_id, Role.SPECIALIST, name="Agent")
    taken = api.post(desk.staff_path(request_id, "/assign"), {"user_id": agent.user_id}, headers=agent.headers)
    assert taken.status == 200 and taken.json["assignee_user_id"] == agent.user_id
    # And a customer cannot reach the business side at all
    assert api.get(desk.staff_path(request_id), headers=desk.customer.headers).status == 403
