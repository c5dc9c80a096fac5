"""Base models and the shapes every route shares (problem details, pages, free text)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from pydantic_core.core_schema import ValidationInfo

# C0 controls, DEL and C1 controls; a multi-line text still allows tab (U+0009) and newline (U+000A).
_SINGLE_LINE_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*$"
_MULTI_LINE_PATTERN = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"
_MULTI_LINE_ALLOWED = frozenset("\t\n")


def _refused(char: str, multiline: bool) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return not (multiline and char in _MULTI_LINE_ALLOWED)
    return False


@dataclass(frozen=True)
class FreeText:
    """The one type of every free-text field a client sends (names, notes, addresses,
    messages, descriptions): ``Annotated[str, FreeText(max_length=120, min_length=1)]``.

    Refuses C0/C1 control characters (tab and newline too, unless ``multiline``; a lone
    surrogate never gets here: pydantic refuses it as not a string), normalises to Unicode
    NFC, then checks the length (after normalisation and the model's whitespace strip).
    The OpenAPI schema shows it as ``pattern``, ``minLength``, ``maxLength`` and
    ``x-free-text``. tests/unit/test_free_text.py fails on a request model's ``str``
    field that is neither this type nor allowlisted there with its reason."""

    max_length: int
    min_length: int = 0
    multiline: bool = False

    def validate(self, value: str) -> str:
        for index, char in enumerate(value):
            if _refused(char, self.multiline):
                allowed = (
                    "no control characters but tab and newline"
                    if self.multiline
                    else "no control characters, line breaks or tabs"
                )
                raise PydanticCustomError(
                    "free_text_control",
                    "contains the control character U+{code} at position {index}: {allowed}",
                    {"code": f"{ord(char):04X}", "index": index, "allowed": allowed},
                )
        value = unicodedata.normalize("NFC", value)
        if len(value) < self.min_length:
            raise PydanticCustomError("free_text_too_short", "at least {min} character(s)", {"min": self.min_length})
        if len(value) > self.max_length:
            raise PydanticCustomError(
                "free_text_too_long",
                "at most {max} characters (counted after Unicode NFC normalisation)",
                {"max": self.max_length},
            )
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.validate, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        json_schema = dict(handler(schema))
        json_schema["pattern"] = _MULTI_LINE_PATTERN if self.multiline else _SINGLE_LINE_PATTERN
        json_schema["maxLength"] = self.max_length
        if self.min_length:
            json_schema["minLength"] = self.min_length
        json_schema["x-free-text"] = (
            "Unicode, normalised to NFC; lengths count code points after normalisation; no control "
            + ("characters but tab and newline" if self.multiline else "characters, tabs or line breaks")
        )
        return json_schema


class RequestModel(BaseModel):
    """Client input: unknown fields are refused, never silently dropped. Text is trimmed of
    surrounding whitespace first, so a length limit counts the trimmed text."""

    # defer_build keeps cold start lean: a schema is compiled on first use, not at import.
    model_config = ConfigDict(extra="forbid", defer_build=True, str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


@cache
def _currency_codes() -> frozenset[str]:
    """ISO 4217 codes that have a minor unit (so a price in minor units means something):
    funds of no unit, precious metals, XDR, XTS and XXX are left out. From the pinned
    ``iso4217`` package, imported on first use (about 45 ms: not at cold start)."""
    from iso4217 import Currency as Iso4217

    return frozenset(currency.code for currency in Iso4217 if currency.exponent is not None)


def currency_codes() -> list[str]:
    """Every code ``Currency`` accepts, sorted (for a schema that states them as an enum)."""
    return sorted(_currency_codes())


def _iso4217(value: str) -> str:
    if value not in _currency_codes():
        raise PydanticCustomError("currency", "not an ISO 4217 currency code with a minor unit, e.g. EUR")
    return value


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code with a minor unit, e.g. EUR, AZN", examples=["EUR"]),
    AfterValidator(_iso4217),
]


class ProblemFieldError(ResponseModel):
    field: str = Field(description="Where the problem is: body.<field>, query.<param>, header.<name>, path.<param>")
    reason: str


class Problem(ResponseModel):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str = Field(description="A URI reference naming the problem type, e.g. /problems/not-found")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = None
    errors: list[ProblemFieldError] | None = None


# --- dates and instants: one type per kind, used by every request field -------------------
#
# Every date and date-time the API accepts lies in a documented range, checked here at the
# boundary before any service runs (so no domain arithmetic overflows at year 1 or 9999 and
# nothing far-fetched is stored): from ``EARLIEST_DATE``, and at most ``MAX_DAYS_AHEAD`` days
# after the request's time (the route passes the clock's ``now`` as validation context; the
# static ``LATEST_DATE`` bounds it when there is none). Services bound some further, e.g. a
# booking's start or an availability query by the venue's booking horizon.
# tests/unit/test_schema_dates.py fails on a request field that is a bare date or datetime.

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
MAX_DAYS_AHEAD = 1830  # about five years
_EARLIEST_INSTANT = datetime.combine(EARLIEST_DATE, time(0), tzinfo=UTC)
_LATEST_INSTANT = datetime.combine(LATEST_DATE + timedelta(days=1), time(0), tzinfo=UTC)
_RANGE_TEXT = f"from {EARLIEST_DATE.isoformat()} to at most {MAX_DAYS_AHEAD} days (about five years) after the request"


def _as_text(value: Any) -> Any:
    # Lax mode would read a number as a Unix timestamp; clients must send ISO 8601 text.
    if not isinstance(value, str):
        raise ValueError("ISO 8601 text")
    return value


def _latest(info: ValidationInfo) -> datetime:
    now = (info.context or {}).get("now") if isinstance(info.context, dict) else None
    if isinstance(now, datetime):
        return min(now.astimezone(UTC) + timedelta(days=MAX_DAYS_AHEAD), _LATEST_INSTANT)
    return _LATEST_INSTANT


def _date_in_range(value: date, info: ValidationInfo) -> date:
    if value < EARLIEST_DATE:
        raise ValueError(f"must be on or after {EARLIEST_DATE.isoformat()}")
    latest = _latest(info).date()
    if value > latest:
        raise ValueError(f"must be at most {MAX_DAYS_AHEAD} days ahead (on or before {latest.isoformat()})")
    return value


def _instant_in_range(value: datetime, info: ValidationInfo) -> datetime:
    if value < _EARLIEST_INSTANT:
        raise ValueError(f"must be on or after {_EARLIEST_INSTANT.isoformat()}")
    latest = _latest(info)
    if value > latest:
        raise ValueError(f"must be at most {MAX_DAYS_AHEAD} days ahead (not after {latest.isoformat()})")
    return value


@dataclass(frozen=True)
class DateRange:
    """Marks the shared date types (the schema test looks for it) and documents their range
    in the JSON schema (``formatMinimum``/``formatMaximum``, as JSON Schema validators read them)."""

    minimum: str
    maximum: str

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("description", f"Accepted {_RANGE_TEXT}")
        schema["formatMinimum"] = self.minimum
        schema["formatMaximum"] = self.maximum
        schema["x-max-days-ahead"] = MAX_DAYS_AHEAD
        return schema


ApiDate = Annotated[
    date,
    BeforeValidator(_as_text),
    AfterValidator(_date_in_range),
    DateRange(EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()),
]
ApiDateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_as_text),
    AfterValidator(_instant_in_range),
    DateRange(_EARLIEST_INSTANT.isoformat().replace("+00:00", "Z"), _LATEST_INSTANT.isoformat().replace("+00:00", "Z")),
]


# --- PATCH fields that may be left out but not cleared --------------------------------------


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null; leave the field out to keep its value")
    return value


@dataclass(frozen=True)
class NotNullable:
    """Drops the ``null`` option from the JSON schema of an ``Omittable`` field."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            del schema["anyOf"]
            schema.update(options[0])
        elif options:
            schema["anyOf"] = options
        return schema


_T = TypeVar("_T")
# A PATCH field that may be omitted (its default None means "not sent") but never sent as null:
# the value has no "cleared" state. The spec and the 422 agree: null is not offered.
Omittable = Annotated[_T | None, BeforeValidator(_not_null), NotNullable()]


# --- rules no static JSON Schema keyword can state -----------------------------------------
#
# Stated beside the field's description as ``x-`` extensions, so a client generated from
# /openapi.json can read them (tests/support/fuzz.py generates conforming values from them):
# - ``x-server-issued: {"kind", "issued-in"}``: a value only the server mints (a list cursor, a
#   signed link's token). Clients pass on what they were given; anything else is a 422 naming
#   the field, which is the honest answer: the value is well formed but was never issued.
# - ``x-refers-to``: the kind of existing object an id names (e.g. a specialist of the venue
#   in the path); an id of no such object is a 422 naming the field.
# - ``x-date-bounds: {"min"|"max"|"after"|"before": [expression, ...]}``: bounds (inclusive or
#   exclusive) relative to the request or to other fields. An expression is terms joined by
#   "+": an integer (days), ``today`` (the request's date, in the venue's zone where a venue is
#   addressed), a sibling field's name, or ``<object>.<field>`` of the object the path
#   addresses (e.g. ``venue.horizon_days``).
# - ``x-phone-number``: the number must exist in its country's numbering plan (E.164).


def server_issued(kind: str, issued_in: str) -> dict[str, Any]:
    return {"x-server-issued": {"kind": kind, "issued-in": issued_in}}


def refers_to(kind: str) -> dict[str, Any]:
    return {"x-refers-to": kind}


def date_bounds(**bounds: list[str]) -> dict[str, Any]:
    unknown = set(bounds) - {"min", "max", "after", "before"}
    if unknown:
        raise ValueError(f"unknown date bounds: {sorted(unknown)}")
    return {"x-date-bounds": bounds}
