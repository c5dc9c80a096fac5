"""SHARE-1: the business's booking views show who booked (name and phone, read from the account
when the view is built) and nothing else of the customer; the customer's own views do not."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.identity import Role
from tests.support.dynamo_calls import counting
from tests.support.fixtures_bookings import relogin


def _book(api: Any, salon: Any, person: Any, days: int, wall: str, spec: str | None = None) -> dict[str, Any]:
    response = api.post("/v1/bookings", salon.body(salon.at(days, wall), spec), headers=person.headers)
    assert response.status == 201, response.body
    return dict(response.json)


def _calendar(salon: Any, days: int) -> str:
    day = (salon.today + timedelta(days=days)).isoformat()
    return f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}&day={day}"


def test_staff_see_the_customers_name_and_phone_the_customer_sees_none(api, salon, signup, staff):
    # proves: SHARE-1
    # Given a customer's booking and a specialist of the salon
    ada = signup(name="Ada Lovelace")
    created = _book(api, salon, ada, 1, "10:00", salon.specialist_ids[0])
    specialist = staff(salon.business_id, Role.SPECIALIST, name="Mia")
    card = {"name": "Ada Lovelace", "phone": ada.phone}
    # When the specialist reads the day's calendar and the booking itself
    calendar = api.get(_calendar(salon, 1), headers=specialist.headers)
    single = api.get(f"/v1/businesses/{salon.business_id}/bookings/{created['id']}", headers=specialist.headers)
    # Then both show the customer's name and phone
    assert calendar.status == 200 and single.status == 200
    assert [item["customer"] for item in calendar.json["items"]] == [card]
    assert single.json["customer"] == card
    # And the customer's own views carry no card: they know who they are
    assert created["customer"] is None
    assert api.get(f"/v1/bookings/{created['id']}", headers=ada.headers).json["customer"] is None
    assert [item["customer"] for item in api.get("/v1/me/bookings", headers=ada.headers).json["items"]] == [None]


def test_every_business_booking_answer_carries_the_card(api, salon, signup, clock):
    # proves: SHARE-1
    # Given two of a customer's bookings
    ada = signup(name="Ada Lovelace")
    kept = _book(api, salon, ada, 1, "10:00", salon.specialist_ids[0])
    dropped = _book(api, salon, ada, 1, "14:00", salon.specialist_ids[0])
    base = f"/v1/businesses/{salon.business_id}/bookings"
    card = {"name": "Ada Lovelace", "phone": ada.phone}
    # When the owner confirms, moves and later marks one attended, and cancels the other
    answers = [
        api.post(f"{base}/{kept['id']}/confirm", headers=salon.owner.headers),
        api.post(
            f"{base}/{kept['id']}/reschedule",
            {"start": salon.at(1, "11:00").isoformat()},
            headers=salon.owner.headers,
        ),
        api.post(f"{base}/{dropped['id']}/cancel", headers=salon.owner.headers),
    ]
    clock.advance(timedelta(days=1, hours=4))
    relogin(salon.owner)
    answers.append(api.post(f"{base}/{kept['id']}/attended", headers=salon.owner.headers))
    # Then every answer shows the customer's card
    assert [a.status for a in answers] == [200, 200, 200, 200], [a.body for a in answers]
    assert [a.json["customer"] for a in answers] == [card] * 4


def test_a_corrected_name_shows_to_the_business_at_once(api, salon, signup):
    # proves: SHARE-1
    # proves: RIGHT-3
    # Given a booking the business has seen under the customer's old name
    ada = signup(name="Ada Byron")
    created = _book(api, salon, ada, 1, "10:00")
    single = f"/v1/businesses/{salon.business_id}/bookings/{created['id']}"
    assert api.get(single, headers=salon.owner.headers).json["customer"]["name"] == "Ada Byron"
    # When the customer corrects their name
    assert api.patch("/v1/me", {"name": "Ada Lovelace"}, headers=ada.headers).status == 200
    # Then the business's calendar and booking show the new name (nothing was copied onto the booking)
    assert api.get(single, headers=salon.owner.headers).json["customer"]["name"] == "Ada Lovelace"
    calendar = api.get(_calendar(salon, 1), headers=salon.owner.headers).json["items"]
    assert [item["customer"]["name"] for item in calendar] == ["Ada Lovelace"]


def test_a_closed_account_shows_its_card_only_on_bookings_still_to_happen(
    api, salon, signup, clock, buckets, drain_jobs
):
    # proves: SHARE-1
    # proves: RET-2
    # proves: RIGHT-4
    # Given a customer with a booking that has ended and one still to happen, who then
    # deletes the account
    ada = signup(name="Ada Lovelace")
    ended = _book(api, salon, ada, 1, "10:00")
    upcoming = _book(api, salon, ada, 5, "10:00")
    clock.advance(timedelta(days=2))
    relogin(ada), relogin(salon.owner)
    assert api.delete("/v1/me", headers=ada.headers).status == 202
    assert drain_jobs() >= 1  # the erasure's background job
    base = f"/v1/businesses/{salon.business_id}/bookings"
    # When the business reads both bookings and their days
    ended_view = api.get(f"{base}/{ended['id']}", headers=salon.owner.headers)
    upcoming_view = api.get(f"{base}/{upcoming['id']}", headers=salon.owner.headers)
    ended_day = api.get(_calendar(salon, 1), headers=salon.owner.headers)
    upcoming_day = api.get(_calendar(salon, 5), headers=salon.owner.headers)
    # Then the booking still to happen keeps name and phone so the business can act on it
    # (RET-2: the retention sweep removes them within 30 days)
    card = {"name": "Ada Lovelace", "phone": ada.phone}
    assert upcoming_view.status == 200 and upcoming_view.json["customer"] == card
    assert [item["customer"] for item in upcoming_day.json["items"]] == [card]
    # And the ended one no longer says who it was for
    assert ended_view.status == 200 and ended_view.json["customer"] is None
    assert [item["customer"] for item in ended_day.json["items"]] == [None]
    assert b"Ada Lovelace" not in ended_view.body and ada.phone.encode() not in ended_day.body


def test_nothing_else_of_the_customer_reaches_the_business(api, salon, signup, staff):
    # proves: SHARE-1
    # Given a customer with an e-mail and a non-default language
    ada = signup(name="Ada Lovelace", email="ada.private@example.org", locale="de")
    created = _book(api, salon, ada, 1, "10:00")
    base = f"/v1/businesses/{salon.business_id}/bookings"
    specialist = staff(salon.business_id, Role.SPECIALIST)
    # When staff read and change the booking
    answers = [
        api.get(_calendar(salon, 1), headers=specialist.headers),
        api.get(f"{base}/{created['id']}", headers=specialist.headers),
        api.post(f"{base}/{created['id']}/confirm", headers=salon.owner.headers),
    ]
    # Then the card holds exactly name and phone, and the e-mail appears nowhere in the answers
    assert all(a.status == 200 for a in answers)
    cards = [answers[0].json["items"][0]["customer"], answers[1].json["customer"], answers[2].json["customer"]]
    assert all(set(card) == {"name", "phone"} for card in cards)
    assert all(b"example.org" not in a.body for a in answers)


@pytest.mark.ddblocal
def test_the_calendar_page_reads_all_its_customers_in_one_batch(api, salon, signup):
    # proves: SHARE-1
    # Given day 1 with one customer's booking, and day 2 with four bookings of three customers
    solo = signup(name="Solo")
    _book(api, salon, solo, 1, "10:00")
    people = [signup(name=f"Customer {i}") for i in range(3)]
    for person, (wall, spec) in zip(
        [*people, people[0]],
        [("10:00", 0), ("10:00", 1), ("10:00", 2), ("12:00", 0)],
        strict=True,
    ):
        _book(api, salon, person, 2, wall, salon.specialist_ids[spec])
    # When the owner reads each day's calendar
    with counting() as one_customer:
        small = api.get(_calendar(salon, 1), headers=salon.owner.headers)
    with counting() as three_customers:
        big = api.get(_calendar(salon, 2), headers=salon.owner.headers)
    # Then every booking has its customer's card
    assert [item["customer"]["name"] for item in small.json["items"]] == ["Solo"]
    names = [item["customer"]["name"] for item in big.json["items"]]
    assert sorted(names) == ["Customer 0", "Customer 0", "Customer 1", "Customer 2"]
    # And both pages made the same calls: one BatchGetItem for the cards, none per customer
    assert three_customers["BatchGetItem"] == 1
    assert three_customers == one_customer
    assert three_customers["Scan"] == 0


@pytest.mark.ddblocal
def test_the_store_asks_once_per_page_for_distinct_ids_and_only_name_and_phone(aws, signup):
    # proves: SHARE-1
    from chalicelib.store import users
    from chalicelib.store.users import User

    # Given three accounts
    people = [signup(name=f"P{i}") for i in range(3)]
    ids = [p.user_id for p in people]
    sent: list[dict[str, Any]] = []
    events = User._get_connection().connection.client.meta.events

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    events.register("before-parameter-build.dynamodb.BatchGetItem", record, unique_id="card-recorder")
    try:
        # When their cards are read, with repeats, plus an id with no account
        cards = users.customer_cards([*ids, ids[0], ids[1], "no-such-user"])
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", unique_id="card-recorder")
    # Then one BatchGetItem asked for the four distinct keys, projected to the card's attributes
    assert len(sent) == 1
    (request,) = sent[0]["RequestItems"].values()
    assert len(request["Keys"]) == 4 and request["ConsistentRead"] is True
    projected = {request["ExpressionAttributeNames"][name] for name in request["ProjectionExpression"].split(", ")}
    assert projected == {"user_id", "name", "phone", "active"}
    # And the answer maps each existing account to its name and phone
    assert {uid: (card.name, card.phone) for uid, card in cards.items()} == {
        p.user_id: (p.name, p.phone) for p in people
    }


def test_the_store_follows_unprocessed_keys(aws, signup):
    # proves: SHARE-1
    from chalicelib.store import users
    from chalicelib.store.users import User

    # Given two accounts, and DynamoDB leaving every key unprocessed on the first attempt
    people = [signup(name=f"Q{i}") for i in range(2)]
    events = User._get_connection().connection.client.meta.events
    attempts: list[int] = []

    class _Http:
        status_code = 200
        headers: dict[str, str] = {}

    def throttle_once(params: dict[str, Any], **_: Any) -> Any:
        attempts.append(1)
        if len(attempts) > 1:
            return None  # the real call
        (table, request) = next(iter(json.loads(params["body"])["RequestItems"].items()))
        return _Http(), {"Responses": {table: []}, "UnprocessedKeys": {table: request}}

    events.register("before-call.dynamodb.BatchGetItem", throttle_once, unique_id="card-throttle")
    try:
        # When the cards are read
        cards = users.customer_cards([p.user_id for p in people])
    finally:
        events.unregister("before-call.dynamodb.BatchGetItem", unique_id="card-throttle")
    # Then the unprocessed keys were asked for again and every card arrived
    assert len(attempts) == 2
    assert {uid: card.name for uid, card in cards.items()} == {p.user_id: p.name for p in people}
