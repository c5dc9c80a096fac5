"""The fuzz harness's Conform: positive cases are made to meet the x- rules a schema states
(tests/support/fuzz.py), so a failure of the fuzz run is the server's, not the generator's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support import fuzz

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DATE = {"type": "string", "format": "date", "formatMinimum": "2000-01-01", "formatMaximum": "2099-12-31"}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "formatMinimum": "2000-01-01T00:00:00Z",
    "formatMaximum": "2100-01-01T00:00:00Z",
    "x-max-days-ahead": 1830,
}


@dataclass
class _Case:
    query: dict[str, Any] | None = None
    body: Any = None
    path_parameters: dict[str, Any] = field(default_factory=dict)


class _Operation:
    """The parts of a schemathesis operation Conform reads."""

    def __init__(self, parameters: list[dict[str, Any]], body: dict[str, Any] | None = None, **components: Any):
        raw: dict[str, Any] = {"parameters": parameters}
        if body is not None:
            raw["requestBody"] = {"content": {"application/json": {"schema": body}}}
        self.definition = type("Definition", (), {"raw": raw})()
        self.schema = type("Schema", (), {"raw_schema": {"components": {"schemas": components}}})()


def _conform(operation: _Operation, case: _Case, **world: Any) -> _Case:
    conform = fuzz.Conform(operation, fuzz.World({}, {}, now=NOW, **world), {})
    result: _Case = conform(None, case)
    return result


@pytest.mark.parametrize(
    ("start", "end"), [("2000-01-01", "2000-01-01"), ("2099-12-31", "2000-01-01"), ("2026-12-01", "2026-12-05")]
)
def test_availability_dates_land_inside_every_bound(start: str, end: str) -> None:
    # Given from/to bounded by today, the venue's horizon and each other
    operation = _Operation(
        [
            {
                "name": "to",
                "in": "query",
                "schema": {**DATE, "x-date-bounds": {"min": ["from", "today"], "max": ["from+30"]}},
            },
            {
                "name": "from",
                "in": "query",
                "schema": {**DATE, "x-date-bounds": {"min": ["today-30"], "max": ["today+venue.horizon_days"]}},
            },
        ]
    )
    # When a positive case is conformed
    query = _conform(operation, _Case(query={"from": start, "to": end}), facts={"venue.horizon_days": 60}).query
    assert query is not None
    low, high = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
    # Then 'from' (conformed first, though listed second) and 'to' meet the rules, today taken
    # on the side that holds in any zone
    today = NOW.date()
    assert today - timedelta(days=29) <= low <= today + timedelta(days=59)
    assert max(low, today + timedelta(days=1)) <= high <= low + timedelta(days=30)


def test_a_value_already_inside_its_bounds_is_kept() -> None:
    operation = _Operation([{"name": "day", "in": "query", "schema": DATE}])
    assert _conform(operation, _Case(query={"day": "2026-12-01"})).query == {"day": "2026-12-01"}


def test_bounds_beside_an_any_of_hold_for_its_option_and_may_name_the_addressed_object() -> None:
    # Given an optional instant that must follow the addressed code's valid_from
    body = {"$ref": "#/components/schemas/Patch"}
    patch = {
        "type": "object",
        "properties": {
            "valid_until": {"anyOf": [INSTANT, {"type": "null"}], "x-date-bounds": {"after": ["code.valid_from"]}},
            "active": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        },
    }
    operation = _Operation([], body, Patch=patch)
    # When year-0109 and 2015 instants are conformed
    for sent in ("0109-03-09T14:45:18+08:17", "2015-07-21T16:37:00+00:00"):
        case = _conform(
            operation,
            _Case(body={"valid_until": sent, "active": None}),
            facts={"code.valid_from": "2026-11-21T09:00:00+00:00"},
        )
        moved = datetime.fromisoformat(case.body["valid_until"])
        # Then each is after valid_from and at most 1830 days ahead; null stays null
        assert datetime(2026, 11, 21, 9, tzinfo=UTC) < moved <= NOW + timedelta(days=1830)
        assert case.body["active"] is None


def test_ids_tokens_and_phone_numbers_come_from_what_the_world_holds() -> None:
    # Given fields that name existing objects, a server-issued token and a phone number
    body = {
        "type": "object",
        "properties": {
            "ids": {"type": "array", "items": {"type": "string", "x-refers-to": "specialist"}},
            "phone": {"type": "string", "x-phone-number": "E.164"},
        },
    }
    token = {"type": "string", "x-server-issued": {"kind": "unsubscribe-token", "issued-in": "a link"}}
    operation = _Operation([{"name": "token", "in": "query", "schema": token}], body)
    # When a case with made-up values is conformed
    case = _conform(
        operation,
        _Case(query={"token": "forged-forged-forged"}, body={"ids": ["x", "y"], "phone": "+1000"}),
        issued={"unsubscribe-token": ["real-token"]},
        refers={"specialist": ["s1", "s2"]},
    )
    # Then each value is a real one
    assert case.query == {"token": "real-token"}
    assert set(case.body["ids"]) <= {"s1", "s2"}
    assert case.body["phone"] in fuzz._phone_numbers()


def test_every_generated_phone_number_is_one_the_api_accepts() -> None:
    from chalicelib.schemas.auth import OtpRequest

    numbers = fuzz._phone_numbers()
    assert len(numbers) > 200
    for number in numbers:
        OtpRequest.model_validate({"phone": number})
