"""Customer side over HTTP: discovery by city/category/nearby (DATA-5), public venue pages,
availability in the venue's zone, favourites (RET-7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.data import sample_path

WEEKDAYS_9_TO_12 = {day: {"hours": [{"start": "09:00", "end": "12:00"}]} for day in ("mon", "tue", "wed", "thu", "fri")}


def _venue(api: Any, owner: Any, business_id: str, **fields: Any) -> str:
    body = {"name": "Venue", "address": "Street 1", "city": "Baku", "timezone": "Asia/Baku", **fields}
    response = api.post(f"/v1/businesses/{business_id}/venues", body, headers=owner.headers)
    assert response.status == 201, response.body
    return str(response.json["id"])


def _business(api: Any, owner: Any) -> str:
    response = api.post("/v1/businesses", {"name": "Biz"}, headers=owner.headers)
    assert response.status == 201, response.body
    return str(response.json["id"])


def _scan_everything() -> str:
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    pages = client("dynamodb").get_paginator("scan").paginate(TableName=get_settings().resolved_table_name())
    return json.dumps([item for page in pages for item in page["Items"]])


def test_discovery_by_city_and_category_then_nearby_without_storing_the_location(api, clock, signup, capsys):
    # proves: DATA-5
    owner = signup(name="Owner")
    biz = _business(api, owner)
    old_city = _venue(api, owner, biz, name="Icheri Hair", categories=["hair"], latitude=40.3660, longitude=49.8372)
    ganjlik = _venue(api, owner, biz, name="Ganjlik Nails", categories=["nails"], latitude=40.4005, longitude=49.8513)
    _venue(api, owner, biz, name="Sofia Hair", city="Sofia", timezone="Europe/Sofia", categories=["hair"])
    # When customers search Baku, Baku hair, and (with consent) near the old city within 2 km
    everything = api.get("/v1/venues?city=baku").json
    hair = api.get("/v1/venues?city=Baku&category=hair").json
    capsys.readouterr()
    near = api.get("/v1/venues?city=Baku&near=40.36871,49.83712&radius_km=2")
    # Then city and category select by key, and "near" keeps only what is within the radius
    assert {v["id"] for v in everything["items"]} == {old_city, ganjlik}
    assert [v["id"] for v in hair["items"]] == [old_city]
    assert near.status == 200, near.body
    assert [(v["id"], v["distance_km"] is not None) for v in near.json["items"]] == [(old_city, True)]
    assert near.json["items"][0]["distance_km"] < 1
    # And the caller's coordinates are neither stored anywhere in the table nor logged
    table = _scan_everything()
    logs = capsys.readouterr()
    for fragment in ("40.36871", "49.83712"):
        assert fragment not in table
        assert fragment not in logs.out + logs.err


@pytest.mark.ddblocal
def test_discovery_pages_with_a_cursor_and_rejects_bad_input(api, clock, signup):
    owner = signup(name="Owner")
    biz = _business(api, owner)
    ids = {_venue(api, owner, biz, name=f"Venue {i}", categories=["spa"]) for i in range(3)}
    first = api.get("/v1/venues?city=Baku&category=spa&limit=2").json
    second = api.get(f"/v1/venues?city=Baku&category=spa&limit=2&cursor={first['next_cursor']}").json
    assert {v["id"] for v in first["items"] + second["items"]} == ids
    # A cursor from Baku/spa does not work for another city; a malformed location is a 422
    assert api.get(f"/v1/venues?city=Sofia&category=spa&cursor={first['next_cursor']}").status == 422
    bad = api.get("/v1/venues?city=Baku&near=north-ish")
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "query.near"


def test_public_venue_page_shows_services_and_only_specialists_public_names(api, clock, signup):
    owner = signup(name="Owner")
    biz = _business(api, owner)
    v = _venue(api, owner, biz, categories=["hair"])
    base = f"/v1/businesses/{biz}/venues/{v}"
    api.post(
        f"{base}/specialists",
        {"name": "Leyla", "user_id": owner.user_id, "weekly": WEEKDAYS_9_TO_12},
        headers=owner.headers,
    )
    api.post(f"{base}/services", {"name": "Cut", "duration_minutes": 30, "price_minor": 2000, "currency": "AZN"},
             headers=owner.headers)  # fmt: skip
    # When anyone opens the venue page
    page = api.get(f"/v1/venues/{v}")
    # Then services and specialists' names are there, and nothing about staff accounts or schedules
    assert page.status == 200, page.body
    assert [s["name"] for s in page.json["services"]] == ["Cut"]
    assert [set(p) for p in page.json["specialists"]] == [{"id", "name"}]
    assert owner.user_id not in page.body.decode()
    assert api.get(sample_path("/v1/venues/{venue_id}")).status == 404


def test_availability_in_the_venues_zone_for_one_or_any_specialist(api, clock, signup):
    # Given a Baku venue (UTC+4), two specialists 09:00-12:00 on weekdays (one off on Monday), a 60-min service
    owner = signup(name="Owner")
    biz = _business(api, owner)
    v = _venue(api, owner, biz, slot_interval_minutes=60)
    base = f"/v1/businesses/{biz}/venues/{v}"
    first = api.post(f"{base}/specialists", {"name": "A", "weekly": WEEKDAYS_9_TO_12}, headers=owner.headers).json
    second = api.post(
        f"{base}/specialists",
        {"name": "B", "weekly": WEEKDAYS_9_TO_12, "exceptions": [{"date": "2026-11-23", "hours": []}]},
        headers=owner.headers,
    ).json
    service = api.post(
        f"{base}/services", {"name": "Massage", "duration_minutes": 60, "price_minor": 5000, "currency": "AZN"},
        headers=owner.headers,
    ).json  # fmt: skip
    query = f"/v1/venues/{v}/availability?service_id={service['id']}&from=2026-11-23&to=2026-11-24"
    # When one specialist and "any" are asked for Monday-Tuesday (the clock is Sunday 13:00 in Baku)
    only_b = api.get(query + f"&specialist_id={second['id']}")
    anyone = api.get(query)
    # Then times are local with the +04:00 offset; B is off on Monday; "any" unites both, naming who is free
    assert only_b.status == 200, only_b.body
    assert [s["start"] for s in only_b.json["slots"]] == [
        "2026-11-24T09:00:00+04:00",
        "2026-11-24T10:00:00+04:00",
        "2026-11-24T11:00:00+04:00",
    ]
    assert anyone.json["timezone"] == "Asia/Baku"
    slots = {s["start"]: sorted(s["specialist_ids"]) for s in anyone.json["slots"]}
    assert slots["2026-11-23T09:00:00+04:00"] == [first["id"]]
    assert slots["2026-11-24T09:00:00+04:00"] == sorted([first["id"], second["id"]])
    assert len(slots) == 6
    # And a reversed or too long range is refused naming query.to
    assert api.get(query.replace("to=2026-11-24", "to=2026-11-20")).json["errors"][0]["field"] == "query.to"
    assert api.get(query.replace("to=2026-11-24", "to=2027-01-24")).status == 422


def test_availability_excludes_live_bookings_with_their_buffers(api, salon, signup):
    # Given the salon (60-min service, buffers 10 before / 5 after, 15-min grid) and a 10:00 booking
    customer = signup(name="Customer")
    spec = salon.specialist_ids[0]
    booked = api.post("/v1/bookings", salon.body(salon.at(1, "10:00"), spec), headers=customer.headers)
    assert booked.status == 201, booked.body
    day = salon.today.toordinal() + 1
    from datetime import date

    iso = date.fromordinal(day).isoformat()
    # When that specialist's availability for the day is read
    response = api.get(
        f"/v1/venues/{salon.venue_id}/availability?service_id={salon.service.service_id}"
        f"&specialist_id={spec}&from={iso}&to={iso}"
    )
    starts = [s["start"][11:16] for s in response.json["slots"]]
    # Then no start whose buffered interval overlaps 09:50-11:05 is offered: before it there is
    # no room (09:15 would occupy 09:05-10:20), the first is 11:15 (occupying 11:05-12:20)
    assert response.status == 200, response.body
    assert starts[:2] == ["11:15", "11:30"]
    assert starts[-1] == "16:45"  # its buffer after ends at 18:00 sharp


def test_favourites_are_the_users_own_until_removed(api, clock, signup):
    # proves: RET-7
    owner = signup(name="Owner")
    biz = _business(api, owner)
    venues = [_venue(api, owner, biz, name=f"V{i}") for i in range(3)]
    me, other = signup(name="Me"), signup(name="Other")
    # When I add three favourites (one twice) and the other user adds one
    first = api.put(f"/v1/me/favorites/{venues[0]}", headers=me.headers)
    clock.advance(__import__("datetime").timedelta(minutes=5))
    again = api.put(f"/v1/me/favorites/{venues[0]}", headers=me.headers)
    for v in venues[1:]:
        assert api.put(f"/v1/me/favorites/{v}", headers=me.headers).status == 200
    api.put(f"/v1/me/favorites/{venues[0]}", headers=other.headers)
    # Then adding is idempotent and keeps the first time; my list has exactly my three, paged
    assert first.status == 200 and again.json["added_at"] == first.json["added_at"]
    page = api.get("/v1/me/favorites?limit=2", headers=me.headers).json
    rest = api.get(f"/v1/me/favorites?limit=2&cursor={page['next_cursor']}", headers=me.headers).json
    assert sorted(f["venue_id"] for f in page["items"] + rest["items"]) == sorted(venues)
    assert {f["name"] for f in page["items"] + rest["items"]} == {"V0", "V1", "V2"}
    # And my cursor is not valid for another user's list
    assert api.get(f"/v1/me/favorites?cursor={page['next_cursor']}", headers=other.headers).status == 422
    # When I remove one (twice: idempotent), it is gone from my list only
    assert api.delete(f"/v1/me/favorites/{venues[0]}", headers=me.headers).status == 204
    assert api.delete(f"/v1/me/favorites/{venues[0]}", headers=me.headers).status == 204
    mine = api.get("/v1/me/favorites", headers=me.headers).json["items"]
    theirs = api.get("/v1/me/favorites", headers=other.headers).json["items"]
    assert sorted(f["venue_id"] for f in mine) == sorted(venues[1:])
    assert [f["venue_id"] for f in theirs] == [venues[0]]
    # And unknown venues and anonymous callers are refused
    assert api.put(sample_path("/v1/me/favorites/{venue_id}"), headers=me.headers).status == 404
    assert api.get("/v1/me/favorites").status == 401
