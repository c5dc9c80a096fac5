"""The boundary refuses what the contract does not accept, before anything is read or written:
extreme and far-future dates, availability outside the venue's horizon, an empty discount
window on PATCH, nulls the spec does not offer; and the spec says what the code enforces."""

from __future__ import annotations

import http.client
import threading
from datetime import timedelta

import pytest

from tests.support.data import count_items
from tests.support.fixtures_bookings import table_items

# --- dates at the extremes were 500s ---------------------------------------------------------


def _availability(api, salon, day_from, day_to):
    path = f"/v1/venues/{salon.venue_id}/availability?service_id={salon.service.service_id}"
    return api.get(f"{path}&from={day_from}&to={day_to}")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_availability_at_the_ends_of_the_calendar_is_422_not_500(api, salon, day):
    # When availability is asked for the first or last date Python knows
    response = _availability(api, salon, day, day)
    # Then the query's dates are refused by name (they overflowed day_bounds before)
    assert response.status == 422, response.body
    assert {e["field"] for e in response.json["errors"]} == {"query.from", "query.to"}


def test_a_booking_at_the_end_of_time_is_422_not_500(api, salon, customer):
    before = count_items()
    payload = salon.body(salon.at(1, "10:00")) | {"start": "9999-12-31T23:45:00Z"}
    response = api.post("/v1/bookings", payload, headers=customer.headers)
    assert response.status == 422, response.body
    assert response.json["errors"][0]["field"] == "body.start"
    assert count_items() == before


def test_a_deeply_nested_booking_body_is_400_not_500(api, customer):
    raw = b"[" * 20000 + b"]" * 20000  # 40 KB
    response = api.request(
        "POST", "/v1/bookings", raw=raw, headers={**customer.headers, "Content-Type": "application/json"}
    )
    assert response.status == 400 and response.json["type"] == "/problems/malformed-json"


# --- far-future writes and queries -----------------------------------------------------------


def test_availability_beyond_the_horizon_is_422_naming_from_and_the_horizon(api, salon):
    # Given a venue that takes bookings 60 days ahead
    first = salon.today + timedelta(days=61)
    # When availability is asked for days after that (and ten years out)
    later = _availability(api, salon, first.isoformat(), (first + timedelta(days=2)).isoformat())
    decade = _availability(
        api, salon, (salon.today + timedelta(days=3650)).isoformat(), (salon.today + timedelta(days=3651)).isoformat()
    )
    # Then both are 422 problems naming the field, and the first says the horizon
    assert later.status == 422 and later.json["errors"][0]["field"] == "query.from"
    assert "60 days" in later.json["errors"][0]["reason"]
    assert decade.status == 422 and {e["field"] for e in decade.json["errors"]} >= {"query.from"}


def test_availability_reaching_into_the_horizon_still_answers(api, salon):
    # A range that starts inside the window is answered for the days inside it
    response = _availability(
        api, salon, (salon.today + timedelta(days=55)).isoformat(), (salon.today + timedelta(days=70)).isoformat()
    )
    assert response.status == 200 and response.json["slots"]


def test_availability_wholly_in_the_past_is_422(api, salon):
    response = _availability(
        api, salon, (salon.today - timedelta(days=3)).isoformat(), (salon.today - timedelta(days=1)).isoformat()
    )
    assert response.status == 422 and response.json["errors"][0]["field"] == "query.to"


def _specialists_path(salon):
    return f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}/specialists"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"time_off": [{"start": "2036-01-01T00:00:00Z", "end": "2036-01-02T00:00:00Z"}]}, "body.time_off.0.start"),
        ({"time_off": [{"start": "2026-12-01T00:00:00Z", "end": "9999-12-31T00:00:00Z"}]}, "body.time_off.0.end"),
        ({"exceptions": [{"date": "9999-12-31", "hours": []}]}, "body.exceptions.0.date"),
        ({"exceptions": [{"date": "2036-06-01", "hours": []}]}, "body.exceptions.0.date"),
    ],
)
def test_far_future_schedule_entries_are_refused_and_nothing_changes(api, salon, payload, field):
    path = f"{_specialists_path(salon)}/{salon.specialist_ids[0]}"
    before = api.get(path, headers=salon.owner.headers).json
    response = api.patch(path, payload, headers=salon.owner.headers)
    assert response.status == 422, response.body
    assert field in {e["field"] for e in response.json["errors"]}
    assert api.get(path, headers=salon.owner.headers).json == before


# --- discount codes: range and window on PATCH ------------------------------------------------


def _codes(salon):
    return f"/v1/businesses/{salon.business_id}/discount-codes"


@pytest.fixture
def code(api, salon, clock):
    created = api.post(
        _codes(salon),
        {
            "code": "spring",
            "kind": "percent",
            "value": 10,
            "valid_from": (clock.now() + timedelta(days=10)).isoformat(),
            "valid_until": (clock.now() + timedelta(days=40)).isoformat(),
        },
        headers=salon.owner.headers,
    )
    assert created.status == 201, created.body
    return created.json


def _stored_code(salon, code):
    listed = [c for c in table_items() if c["entity"]["S"] == "DiscountCodeRecord"]
    return [c for c in listed if code["code"] in c["sk"]["S"]]


@pytest.mark.parametrize("valid_until", ["0837-07-07T05:44:10Z", "9999-12-31T23:59:59Z"])
def test_patching_a_code_to_an_out_of_range_end_is_422_and_changes_nothing(api, salon, code, valid_until):
    before = _stored_code(salon, code)
    response = api.patch(f"{_codes(salon)}/{code['code']}", {"valid_until": valid_until}, headers=salon.owner.headers)
    assert response.status == 422 and response.json["errors"][0]["field"] == "body.valid_until"
    assert _stored_code(salon, code) == before


def test_patching_a_code_to_end_before_it_starts_is_422_as_on_create(api, salon, code, clock):
    # Given a code valid from 10 days ahead
    before = _stored_code(salon, code)
    # When its end is moved before its start (the check POST makes)
    end = (clock.now() + timedelta(days=5)).isoformat()
    response = api.patch(f"{_codes(salon)}/{code['code']}", {"valid_until": end}, headers=salon.owner.headers)
    # Then it is refused naming the field, and the stored code is unchanged
    assert response.status == 422, response.body
    assert response.json["errors"][0]["field"] == "body.valid_until"
    assert "valid_from" in response.json["errors"][0]["reason"]
    assert _stored_code(salon, code) == before


def test_patching_a_code_within_its_window_still_works(api, salon, code, clock):
    end = (clock.now() + timedelta(days=20)).isoformat()
    response = api.patch(f"{_codes(salon)}/{code['code']}", {"valid_until": end}, headers=salon.owner.headers)
    assert response.status == 200 and response.json["valid_until"].startswith(end[:19])


# --- the spec and the code agree ---------------------------------------------------------------


def _property(api, model, name):
    return api.spec["components"]["schemas"][model]["properties"][name]


@pytest.mark.parametrize(
    ("model", "field", "path"),
    [
        ("VenuePatch", "min_notice_minutes", "/v1/businesses/{b}/venues/{v}"),
        ("ServicePatch", "price_minor", "/v1/businesses/{b}/venues/{v}/services/{s}"),
    ],
)
def test_fields_that_cannot_be_cleared_are_not_nullable_in_the_spec_and_null_is_422(api, salon, model, field, path):
    # Given the spec: the field may be left out, but null is not offered
    schema = _property(api, model, field)
    assert "anyOf" not in schema and schema["type"] == "integer"
    url = path.format(b=salon.business_id, v=salon.venue_id, s=salon.service.service_id)
    before = count_items()
    # When null is sent anyway
    response = api.patch(url, {field: None}, headers=salon.owner.headers)
    # Then the boundary refuses it by name, as the spec says
    assert response.status == 422 and response.json["errors"][0]["field"] == f"body.{field}"
    assert count_items() == before


def test_latitude_null_is_nullable_in_the_spec_and_accepted(api, salon):
    assert {"type": "null"} in _property(api, "VenuePatch", "latitude")["anyOf"]
    url = f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}"
    assert api.patch(url, {"latitude": None, "longitude": None}, headers=salon.owner.headers).status == 200


def test_phones_carry_the_e164_pattern_the_code_enforces(api, salon):
    from chalicelib.schemas.auth import E164

    for model in ("RegisterRequest", "StaffInvite"):
        prop = _property(api, model, "phone")
        options = prop.get("anyOf", [prop])
        assert any(option.get("pattern") == E164 for option in options), (model, prop)
    # And what the pattern refuses, the code refuses by name (national form, letters)
    for phone in ("015112345678", "+49 151 CALL ME"):
        invite = {"phone": phone, "role": "manager"}
        response = api.post(f"/v1/businesses/{salon.business_id}/staff", invite, headers=salon.owner.headers)
        assert response.status == 422 and response.json["errors"][0]["field"] == "body.phone"


def test_text_length_counts_after_trimming_and_the_spec_says_so(api, salon):
    # The spec documents the order: surrounding whitespace is trimmed, then the length counted
    assert "trimmed" in api.spec["info"]["description"]
    url = f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}/services/{salon.service.service_id}"
    padded = "  " + "n" * 120 + "  "  # 124 characters as sent, 120 (the maximum) once trimmed
    response = api.patch(url, {"name": padded}, headers=salon.owner.headers)
    assert response.status == 200 and response.json["name"] == "n" * 120
    assert api.patch(url, {"name": "   "}, headers=salon.owner.headers).status == 422  # empty once trimmed


# --- the local HTTP server ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "CONNECT"])
def test_the_local_server_answers_trace_and_connect_with_a_405_problem(aws, method):
    from infra.local.api_server import create_server

    server = create_server("127.0.0.1", 0)
    port = server.server.server_address[1]
    worker = threading.Thread(target=server.handle_single_request, daemon=True)
    worker.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(method, "/v1/health")
        response = connection.getresponse()
        body = response.read()
    finally:
        worker.join(timeout=30)
        server.server.server_close()
    assert response.status == 405, body
    assert response.getheader("Content-Type") == "application/problem+json"
    assert response.getheader("Allow") == "GET"
