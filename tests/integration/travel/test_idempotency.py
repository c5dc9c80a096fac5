"""Safe retries for the travel POSTs: an Idempotency-Key makes a retried create, message or
quote answer what the first one made (Idempotent-Replayed: true) and make nothing new; the
same key with another body is refused (422); accepting an accepted quote again answers the
same without a key. Without a key, nothing changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from chalicelib.domain.identity import Principal, Role

LINES = [{"description": "Hotel, 2 nights", "quantity": 2, "unit_price": "450.50"}]


def _key(name: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": name}


def _body(desk, **overrides):
    today = desk.clock.now().date()
    return {
        "business_id": desk.business_id,
        "service_type": "tour",
        "destination": "Yerevan",
        "start_date": (today + timedelta(days=30)).isoformat(),
        "end_date": (today + timedelta(days=37)).isoformat(),
        "travellers": 2,
    } | overrides


def _mine(api, desk) -> list[str]:
    return [r["id"] for r in api.get("/v1/me/travel-requests", headers=desk.customer.headers).json["items"]]


def _audit_actions(business_id: str) -> list[str]:
    from chalicelib.store.audit import list_records

    return [record.action for record in list_records(business_id)]


@pytest.mark.ddblocal
def test_a_retried_keyed_request_files_one_and_answers_it_again(aws, api, travel_desk, clock):
    desk = travel_desk
    headers = _key("trip-2026-07", desk.customer.headers)
    # Given a request filed with an Idempotency-Key
    first = api.post("/v1/travel-requests", _body(desk), headers=headers)
    assert first.status == 201, first.body
    assert "Idempotent-Replayed" not in first.headers
    # When the client retries it, later, with the same key and body
    clock.advance(timedelta(minutes=3))
    again = api.post("/v1/travel-requests", _body(desk), headers=headers)
    # Then it answers the same request, marked a replay, and nothing new exists or is audited
    assert again.status == 201, again.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json
    assert _mine(api, desk) == [first.json["id"]]
    assert _audit_actions(desk.business_id).count("travel_request.created") == 1


def test_the_same_key_with_another_body_is_refused_and_two_keys_file_two(api, travel_desk):
    desk = travel_desk
    headers = _key("trip-a", desk.customer.headers)
    first = api.post("/v1/travel-requests", _body(desk), headers=headers)
    assert first.status == 201, first.body
    # When the same key comes with another body, it is refused naming the header
    other = api.post("/v1/travel-requests", _body(desk, travellers=3), headers=headers)
    assert other.status == 422, other.body
    assert other.json["type"].endswith("idempotency-key-reused")
    assert [e["field"] for e in other.json["errors"]] == ["header.Idempotency-Key"]
    # And another key with the very same body files a second request; so does no key at all
    second = api.post("/v1/travel-requests", _body(desk), headers=_key("trip-b", desk.customer.headers))
    unkeyed = api.post("/v1/travel-requests", _body(desk), headers=desk.customer.headers)
    assert second.status == unkeyed.status == 201
    assert len({first.json["id"], second.json["id"], unkeyed.json["id"]}) == 3
    assert sorted(_mine(api, desk)) == sorted([first.json["id"], second.json["id"], unkeyed.json["id"]])


def test_a_key_belongs_to_its_caller(api, travel_desk, signup):
    desk = travel_desk
    other = signup(name="Another Traveller")
    # Given two customers who happen to use the same key
    mine = api.post("/v1/travel-requests", _body(desk), headers=_key("k1", desk.customer.headers))
    theirs = api.post("/v1/travel-requests", _body(desk), headers=_key("k1", other.headers))
    # Then each files their own request: nobody receives the other's
    assert mine.status == theirs.status == 201
    assert mine.json["id"] != theirs.json["id"]
    assert theirs.json["customer_user_id"] == other.user_id
    assert "Idempotent-Replayed" not in theirs.headers


def test_a_malformed_key_is_refused(api, travel_desk):
    desk = travel_desk
    answer = api.post("/v1/travel-requests", _body(desk), headers=_key("x" * 256, desk.customer.headers))
    assert answer.status == 422, answer.body
    assert [e["field"] for e in answer.json["errors"]] == ["header.Idempotency-Key"]
    assert _mine(api, desk) == []


def test_retried_keyed_messages_post_once_on_both_sides(api, travel_desk, staff, notify, clock):
    desk = travel_desk
    agent = staff(desk.business_id, Role.SPECIALIST, name="Travel Agent")
    request_id = desk.file()["id"]
    mine = f"/v1/travel-requests/{request_id}/messages"
    theirs = desk.staff_path(request_id, "/messages")
    # Given a message from each side, each sent twice with its key
    asked = [api.post(mine, {"body": "Four stars?"}, headers=_key("m1", desk.customer.headers)) for _ in range(2)]
    clock.advance(timedelta(minutes=1))
    replied = [api.post(theirs, {"body": "Yes"}, headers=_key("m1", agent.headers)) for _ in range(2)]
    # Then each retry answers the first message, marked a replay,
    for first, again in (asked, replied):
        assert first.status == again.status == 201, (first.body, again.body)
        assert again.json == first.json and again.headers.get("Idempotent-Replayed") == "true"
    # the thread holds each once, the customer is told of the reply once,
    thread = api.get(mine, headers=desk.customer.headers).json["items"]
    assert [m["body"] for m in thread] == ["Four stars?", "Yes"]
    assert api.get(f"/v1/travel-requests/{request_id}", headers=desk.customer.headers).json["messages"] == 2
    notify.drain()
    assert sum("new reply to your travel request" in text for _phone, text in notify.outbox.sms()) == 1
    # and the same key with another text is refused; without a key a repeat is a new message
    reused = api.post(mine, {"body": "Five stars?"}, headers=_key("m1", desk.customer.headers))
    assert reused.status == 422 and reused.json["type"].endswith("idempotency-key-reused")
    for _ in range(2):
        assert api.post(mine, {"body": "Thanks"}, headers=desk.customer.headers).status == 201
    assert len(api.get(mine, headers=desk.customer.headers).json["items"]) == 4


def test_a_retried_keyed_quote_prices_once(api, travel_desk):
    desk = travel_desk
    request_id = desk.file()["id"]
    path = desk.staff_path(request_id, "/quotes")
    body = {"lines": LINES, "display_currencies": ["USD"]}
    # Given a quote sent twice with its key
    first = api.post(path, body, headers=_key("q1", desk.owner.headers))
    again = api.post(path, body, headers=_key("q1", desk.owner.headers))
    # Then the retry answers the same quote and there is one, the one on offer
    assert first.status == again.status == 201, (first.body, again.body)
    assert again.json == first.json and again.headers.get("Idempotent-Replayed") == "true"
    quotes = api.get(f"/v1/travel-requests/{request_id}/quotes", headers=desk.customer.headers).json["items"]
    assert [q["id"] for q in quotes] == [first.json["id"]]
    request = api.get(f"/v1/travel-requests/{request_id}", headers=desk.customer.headers).json
    assert request["latest_quote_id"] == first.json["id"]
    # And the same key with other lines is refused; another key makes a second quote
    other = {"lines": [LINES[0] | {"quantity": 3}], "display_currencies": ["USD"]}
    assert api.post(path, other, headers=_key("q1", desk.owner.headers)).status == 422
    assert api.post(path, body, headers=_key("q2", desk.owner.headers)).status == 201
    assert len(api.get(f"/v1/travel-requests/{request_id}/quotes", headers=desk.customer.headers).json["items"]) == 2


def test_accepting_the_accepted_quote_again_answers_the_same(api, travel_desk):
    desk = travel_desk
    request_id = desk.file()["id"]
    quote = api.post(desk.staff_path(request_id, "/quotes"), {"lines": LINES}, headers=desk.owner.headers).json
    accept = f"/v1/travel-requests/{request_id}/quotes/{quote['id']}/accept"
    # Given an accepted quote
    first = api.post(accept, headers=desk.customer.headers)
    assert first.status == 200, first.body
    # When the customer's client retries the accept (no key needed)
    again = api.post(accept, headers=desk.customer.headers)
    # Then it answers the confirmed request as it is, marked a replay, and nothing moved again
    assert again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json
    assert _audit_actions(desk.business_id).count("travel_request.status") == 2  # quoted, confirmed


@pytest.mark.ddblocal
@pytest.mark.timeout(180)
def test_ten_concurrent_twins_of_a_keyed_request_file_one(aws, travel_desk, clock):
    if aws == "moto":
        pytest.skip("moto is not thread-safe; DynamoDB Local proves this")
    from chalicelib.domain.travel import ServiceType
    from chalicelib.services import travel

    desk = travel_desk
    principal = Principal(user_id=desk.customer.user_id, session_id="s")
    today = clock.now().date()
    new = travel.NewRequest(
        business_id=desk.business_id,
        service_type=ServiceType.TOUR,
        destination="Yerevan",
        start_date=today + timedelta(days=30),
        end_date=today + timedelta(days=37),
        travellers=2,
    )
    # When ten threads send the same keyed request at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: travel.create_request(principal, new, clock.now(), "twin"), range(10)))
    # Then all answer the one request, exactly one of them as its maker
    assert len({a.item.request_id for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    page, _ = travel.list_own(principal, 50, None)
    assert [r.request_id for r in page] == [answers[0].item.request_id]


@pytest.mark.ddblocal
@pytest.mark.timeout(180)
def test_ten_concurrent_twins_of_a_keyed_message_post_one(aws, travel_desk, clock):
    if aws == "moto":
        pytest.skip("moto is not thread-safe; DynamoDB Local proves this")
    from chalicelib.services import travel

    desk = travel_desk
    request_id = desk.file()["id"]
    principal = Principal(user_id=desk.customer.user_id, session_id="s")

    def post(_: int) -> travel.Replayable[travel.Message]:
        return travel.post_own_message(principal, request_id, "Window seats", clock.now(), "twin")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert len({a.item.message_id for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    thread, _ = travel.own_messages(principal, request_id, 50, None)
    assert [m.body for m in thread] == ["Window seats"]
    assert travel.get_own(principal, request_id).messages == 1


def test_the_openapi_document_states_the_header_on_the_keyed_travel_posts(api):
    paths = api.get("/openapi.json").json["paths"]
    keyed = [
        "/v1/travel-requests",
        "/v1/travel-requests/{request_id}/messages",
        "/v1/businesses/{business_id}/travel-requests/{request_id}/messages",
        "/v1/businesses/{business_id}/travel-requests/{request_id}/quotes",
    ]
    for path in keyed:
        [header] = [p for p in paths[path]["post"].get("parameters", []) if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and header["required"] is False
        assert header["schema"]["maxLength"] == 255
        assert "422" in paths[path]["post"]["responses"]
    # and no other travel operation claims it
    accept = paths["/v1/travel-requests/{request_id}/quotes/{quote_id}/accept"]["post"]
    assert all(p["in"] != "header" for p in accept.get("parameters", []))
