"""The rules /openapi.json states for a field are the ones the server applies: the stated
pattern, enum or const accepts exactly what the model accepts, and a refusal names the field."""

from __future__ import annotations

import re
from typing import Any

import pydantic
import pytest

from chalicelib.schemas.auth import OtpRequest, RegisterRequest
from chalicelib.schemas.catalog import VenueCreate, VenuePatch, zone_names
from chalicelib.schemas.discovery import NEAR_PATTERN, VenueSearchQuery
from chalicelib.schemas.me import MePatch
from chalicelib.security.contacts import EMAIL_PATTERN


def _refused(model: type[pydantic.BaseModel], data: dict[str, Any]) -> list[str]:
    """The locations pydantic names for ``data`` (empty: accepted)."""
    try:
        model.model_validate(data)
    except pydantic.ValidationError as exc:
        return [".".join(str(part) for part in error["loc"]) or "(body)" for error in exc.errors()]
    return []


@pytest.mark.parametrize(
    ("near", "valid"),
    [
        ("40.3777,49.8920", True),
        (" 40.3777 , 49.8920 ", True),
        ("90,180", True),
        ("-90.0,-180.000", True),
        ("0,0", True),
        ("90.5,0", False),
        ("-91,0", False),
        ("0,180.1", False),
        ("0,181", False),
        ("1e1,2", False),
        ("?", False),
        ("\u0663,4", False),  # an Arabic-Indic digit: Python's \d would take it, JavaScript's not
    ],
)
def test_near_pattern_is_the_whole_rule(near: str, valid: bool) -> None:
    # Given a 'lat,lon' text; When the schema's pattern and the model judge it
    stated = re.match(NEAR_PATTERN, near) is not None
    refused = _refused(VenueSearchQuery, {"city": "Baku", "near": near})
    # Then both agree, and the model refuses naming the field
    assert stated is valid
    assert refused == ([] if valid else ["near"])


def test_near_pattern_is_in_the_document() -> None:
    assert VenueSearchQuery.model_json_schema()["properties"]["near"]["anyOf"][0]["pattern"] == NEAR_PATTERN


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({}, True),
        ({"latitude": 1.5, "longitude": 2.5}, True),
        ({"latitude": None, "longitude": None}, True),
        ({"latitude": 1.5}, False),
        ({"longitude": 2.5}, False),
        ({"latitude": 1.5, "longitude": None}, False),
        ({"latitude": None}, False),
    ],
)
def test_a_venue_patch_sends_coordinates_in_pairs(body: dict[str, Any], valid: bool) -> None:
    # Given the pairing the schema states (anyOf), When a patch sends some coordinates
    refused = _refused(VenuePatch, body)
    # Then it is refused exactly when the stated rule says so
    assert (refused == []) is valid
    assert "anyOf" in VenuePatch.model_json_schema()


def test_a_new_venue_has_both_coordinates_or_neither() -> None:
    base = {"name": "N", "address": "A", "city": "C", "timezone": "Europe/Berlin"}
    assert _refused(VenueCreate, base) == []
    assert _refused(VenueCreate, {**base, "latitude": 1.0, "longitude": 2.0}) == []
    assert _refused(VenueCreate, {**base, "latitude": 1.0}) == ["(body)"]


def test_coordinates_are_rounded_so_any_valid_float_can_be_stored() -> None:
    # Given coordinates DynamoDB cannot store as sent (below its 1e-130 floor)
    # When a patch carries them
    patch = VenuePatch.model_validate({"latitude": -5e-324, "longitude": 2.1558050065016063e-193})
    # Then they are rounded to 7 places (no -0.0 either)
    assert (patch.latitude, patch.longitude) == (0.0, 0.0)
    assert str(patch.latitude) == "0.0"
    assert VenuePatch.model_validate({"latitude": 40.37771234567, "longitude": 1}).latitude == 40.3777123


def test_the_zone_enum_is_what_the_catalog_accepts() -> None:
    from chalicelib.domain.availability import is_known_zone

    # Given the enum the document states
    enum = VenueCreate.model_json_schema()["properties"]["timezone"]["enum"]
    # Then it is the tzdata list, each name loads, and anything else is refused naming the field
    assert enum == list(zone_names()) and len(enum) > 400
    assert all(is_known_zone(name) for name in enum)
    assert _refused(VenuePatch, {"timezone": "Asia/Baku"}) == []
    assert _refused(VenuePatch, {"timezone": "w"}) == ["timezone"]
    assert _refused(VenuePatch, {"timezone": "localtime"}) == ["timezone"]


@pytest.mark.parametrize("field", ["name", "address", "city", "timezone"])
def test_venue_fields_that_cannot_be_cleared_do_not_offer_null(field: str) -> None:
    schema = VenuePatch.model_json_schema()["properties"][field]
    assert {"type": "null"} not in schema.get("anyOf", [])
    assert _refused(VenuePatch, {field: None}) == [field]


def _register(**changes: Any) -> dict[str, Any]:
    from chalicelib.settings import get_settings

    body = {"name": "A", "phone": "+4915112345678", "age_16_or_older": True}
    return {"terms_version": get_settings().terms_version, **body, **changes}


def test_registration_states_its_consent_rules_as_consts() -> None:
    from chalicelib.settings import get_settings

    # Given the document's schema of a registration
    properties = RegisterRequest.model_json_schema()["properties"]
    # Then the age confirmation must be true and the terms version the current one
    assert properties["age_16_or_older"]["const"] is True
    assert properties["terms_version"]["const"] == get_settings().terms_version
    # And the model refuses a false confirmation, naming it
    assert _refused(RegisterRequest, _register()) == []
    assert _refused(RegisterRequest, _register(age_16_or_older=False)) == ["age_16_or_older"]


def test_email_fields_state_the_servers_own_pattern() -> None:
    email = MePatch.model_json_schema()["properties"]["email"]["anyOf"][0]
    assert email["pattern"] == EMAIL_PATTERN and email["format"] == "email"
    assert _refused(MePatch, {"email": "Lia@Example.com"}) == []
    assert _refused(MePatch, {"email": "lia@example"}) == ["email"]


def test_a_phone_that_matches_the_pattern_but_does_not_exist_is_refused_naming_it() -> None:
    phone = OtpRequest.model_json_schema()["properties"]["phone"]
    assert "x-phone-number" in phone
    assert re.match(phone["pattern"], "+1000")
    assert _refused(OtpRequest, {"phone": "+1000"}) == ["phone"]
