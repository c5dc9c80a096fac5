"""Every date and date-time a request carries is one of the shared, range-checked types;
JSON nesting is bounded before parsing; nulls the spec does not offer are refused."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import pydantic
import pytest
from pydantic import AwareDatetime, NaiveDatetime

import chalicelib.schemas
from chalicelib.api.routing import MAX_JSON_DEPTH, json_depth_exceeds
from chalicelib.schemas.common import (
    EARLIEST_DATE,
    MAX_DAYS_AHEAD,
    ApiDate,
    ApiDateTime,
    DateRange,
    Omittable,
    RequestModel,
)

_DATE_KINDS: tuple[Any, ...] = (date, datetime, AwareDatetime, NaiveDatetime, pydantic.PastDate, pydantic.FutureDate)


def _request_models() -> list[type[RequestModel]]:
    for module in pkgutil.iter_modules(chalicelib.schemas.__path__):
        importlib.import_module(f"chalicelib.schemas.{module.name}")
    found: list[type[RequestModel]] = []
    pending = list(RequestModel.__subclasses__())
    while pending:
        model = pending.pop()
        if model.__module__.startswith("chalicelib."):  # not the stand-ins other tests define
            found.append(model)
        pending += model.__subclasses__()
    return sorted(found, key=lambda m: m.__qualname__)


def _bare_dates(hint: Any, marked: bool = False) -> list[str]:
    """Date or datetime types inside ``hint`` that are not wrapped in the shared ``DateRange``."""
    if typing.get_origin(hint) is Annotated:
        base, *metadata = typing.get_args(hint)
        return _bare_dates(base, marked or any(isinstance(m, DateRange) for m in metadata))
    if hint in _DATE_KINDS or (isinstance(hint, type) and issubclass(hint, date)):
        return [] if marked else [repr(hint)]
    return [bare for arg in typing.get_args(hint) for bare in _bare_dates(arg)]


MODELS = _request_models()


def test_the_walk_finds_the_request_models():
    names = {model.__name__ for model in MODELS}
    assert {"BookingCreate", "DiscountCodePatch", "TimeOffIn", "DateExceptionIn", "AvailabilityQuery"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__qualname__)
def test_every_request_date_uses_the_shared_range_checked_type(model):
    # Given a request model, when its fields' types are walked (unions, lists, Annotated)
    offenders = {}
    for name, info in model.model_fields.items():
        top_marked = any(isinstance(m, DateRange) for m in info.metadata)
        bare = _bare_dates(info.annotation, top_marked)
        if bare:
            offenders[name] = bare
    # Then none is a bare date/datetime: each is ApiDate or ApiDateTime (schemas/common.py)
    assert not offenders, f"{model.__qualname__}: use ApiDate / ApiDateTime for {offenders}"


def test_the_walker_flags_a_bare_datetime():
    # The check above is only worth something if it would catch one
    assert _bare_dates(datetime | None) and _bare_dates(list[AwareDatetime]) and _bare_dates(date)
    assert not _bare_dates(ApiDateTime | None) and not _bare_dates(list[ApiDate])


class _Dated(RequestModel):
    day: ApiDate
    at: ApiDateTime


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "field"),
    [
        ("0837-07-07", "2026-03-02T10:00:00Z", "day"),
        ("9999-12-31", "2026-03-02T10:00:00Z", "day"),
        ("0001-01-01", "2026-03-02T10:00:00Z", "day"),
        ("2026-03-02", "0837-07-07T05:44:10Z", "at"),
        ("2026-03-02", "9999-12-31T23:45:00Z", "at"),
        ("2026-03-02", "2036-01-01T00:00:00Z", "at"),
        ("2026-03-02", 1767225600, "at"),  # a number is not read as Unix time
    ],
)
def test_out_of_range_dates_are_refused_naming_the_field(day, at, field):
    with pytest.raises(pydantic.ValidationError) as refused:
        _Dated.model_validate({"day": day, "at": at}, context={"now": NOW})
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


def test_the_range_edges_are_accepted():
    latest = NOW + timedelta(days=MAX_DAYS_AHEAD)
    ok = _Dated.model_validate({"day": latest.date().isoformat(), "at": latest.isoformat()}, context={"now": NOW})
    assert ok.at == latest
    assert _Dated.model_validate({"day": EARLIEST_DATE.isoformat(), "at": "2000-01-01T00:00:00Z"}).day == EARLIEST_DATE
    with pytest.raises(pydantic.ValidationError):
        _Dated.model_validate(
            {"day": "2026-03-02", "at": (latest + timedelta(seconds=1)).isoformat()}, context={"now": NOW}
        )


def test_the_schema_documents_the_range():
    props = _Dated.model_json_schema()["properties"]
    assert props["day"]["format"] == "date" and props["day"]["formatMinimum"] == "2000-01-01"
    assert props["at"]["format"] == "date-time" and props["at"]["formatMaximum"] == "2100-01-01T00:00:00Z"
    assert props["at"]["x-max-days-ahead"] == MAX_DAYS_AHEAD and "five years" in props["at"]["description"]


class _Patch(RequestModel):
    count: Omittable[int] = None


def test_an_omittable_field_refuses_null_and_the_schema_does_not_offer_it():
    assert _Patch.model_validate({}).count is None
    with pytest.raises(pydantic.ValidationError) as refused:
        _Patch.model_validate({"count": None})
    assert refused.value.errors()[0]["loc"] == ("count",)
    schema = _Patch.model_json_schema()["properties"]["count"]
    assert schema["type"] == "integer" and "anyOf" not in schema


# --- JSON nesting -------------------------------------------------------------------------


def test_deep_nesting_is_detected_without_recursion():
    deep = b"[" * 20000 + b"]" * 20000  # json.loads raises RecursionError on this
    assert json_depth_exceeds(deep)
    assert json_depth_exceeds(b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1))


def test_ordinary_and_string_brackets_are_not_nesting():
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert not json_depth_exceeds(b'{"notes": "' + b"[{" * 5000 + b'\\" [[["}')
    assert not json_depth_exceeds(b'{"a": [1, 2, {"b": [3]}]}')
