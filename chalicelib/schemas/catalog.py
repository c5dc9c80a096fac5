"""Businesses, staff, venues, services and specialists: the business-side contract (DATA-6)."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from chalicelib.domain.catalog import MAX_NAMED_SPECIALISTS, MAX_SERVICE_MINUTES
from chalicelib.schemas.auth import Phone
from chalicelib.schemas.common import (
    ApiDate,
    ApiDateTime,
    Currency,
    FreeText,
    Omittable,
    RequestModel,
    ResponseModel,
    date_bounds,
    refers_to,
)

Name = Annotated[str, FreeText(max_length=120, min_length=1)]
Address = Annotated[str, FreeText(max_length=300)]
VenueAddress = Annotated[str, FreeText(max_length=300, min_length=1)]
City = Annotated[str, FreeText(max_length=80, min_length=1)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
SpecialistId = Annotated[Id, Field(json_schema_extra=refers_to("specialist"))]
RoleName = Literal["owner", "manager", "specialist"]
HhMm = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00", "24:00"])]
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


# --- business ------------------------------------------------------------------------


class PaymentDetailsIn(RequestModel):
    account_holder: Name
    iban: str = Field(min_length=15, max_length=34, description="International bank account number")
    bic: str | None = Field(default=None, pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        compact = value.replace(" ", "").upper()
        if not _IBAN.match(compact):
            raise ValueError("not an IBAN")
        return compact


class BusinessCreate(RequestModel):
    name: Name
    address: Address = ""
    tax_number: str | None = Field(default=None, min_length=3, max_length=32, pattern=r"^[A-Za-z0-9 -]+$")
    payment_details: PaymentDetailsIn | None = None


class BusinessPatch(RequestModel):
    """Only the fields sent change; ``null`` clears tax number or payment details (name and
    address cannot be cleared: leave them out)."""

    name: Omittable[Name] = None
    address: Omittable[Address] = None
    tax_number: str | None = Field(default=None, min_length=3, max_length=32, pattern=r"^[A-Za-z0-9 -]+$")
    payment_details: PaymentDetailsIn | None = None


class PaymentDetailsOut(ResponseModel):
    account_holder: str
    iban: str = Field(description="Full for owners; masked to the last 4 characters for managers")
    bic: str | None = None


class BusinessOut(ResponseModel):
    id: str
    name: str
    address: str
    tax_number: str | None = Field(
        description="Full for owners, masked to the last 4 characters for managers, null for specialists"
    )
    payment_details: PaymentDetailsOut | None = Field(description="As tax_number; null for specialists")
    your_role: RoleName


# --- staff ---------------------------------------------------------------------------


class StaffInvite(RequestModel):
    """Add an existing account as staff, by user id or by its phone number (E.164)."""

    user_id: Id | None = None
    phone: Phone | None = None
    role: RoleName

    @model_validator(mode="after")
    def _exactly_one_identity(self) -> StaffInvite:
        if (self.user_id is None) == (self.phone is None):
            raise ValueError("give exactly one of user_id or phone")
        return self


class StaffRoleChange(RequestModel):
    role: RoleName


class StaffMember(ResponseModel):
    user_id: str
    role: RoleName
    since: str


class StaffPage(ResponseModel):
    items: list[StaffMember]
    next_cursor: str | None = None


# --- venues --------------------------------------------------------------------------


@cache
def zone_names() -> tuple[str, ...]:
    """The IANA names the pinned tzdata package lists and the catalog can load (is_known_zone):
    the enum /openapi.json states, built when the document is (not at import: cold start)."""
    from importlib import resources

    from chalicelib.domain.availability import is_known_zone

    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return tuple(sorted(name for name in listed if is_known_zone(name)))


def _zone_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(zone_names())


def _known_zone(value: str) -> str:
    if value not in zone_names():
        raise ValueError("not an IANA time zone name, e.g. Asia/Baku")
    return value


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, description="IANA zone, e.g. Asia/Baku", json_schema_extra=_zone_enum),
    AfterValidator(_known_zone),
]
COORDINATE_DECIMALS = 7  # about 1 cm: finer digits mean nothing, and DynamoDB stores no 5e-324


def _coordinate(value: float) -> float:
    return round(value, COORDINATE_DECIMALS) + 0.0  # + 0.0: no -0.0


_ROUNDED = f"degrees, rounded to {COORDINATE_DECIMALS} decimal places"
Latitude = Annotated[float, Field(ge=-90, le=90, description=_ROUNDED), AfterValidator(_coordinate)]
Longitude = Annotated[float, Field(ge=-180, le=180, description=_ROUNDED), AfterValidator(_coordinate)]
_BOTH_COORDINATES = "give both latitude and longitude, or neither"
_NUMBER: JsonDict = {"type": "number"}
_NULL: JsonDict = {"type": "null"}
# Coordinates come in pairs; stated in the schema (anyOf) and checked by the models below.
_CREATE_COORDINATES: JsonDict = {
    "anyOf": [
        {"required": ["latitude", "longitude"], "properties": {"latitude": _NUMBER, "longitude": _NUMBER}},
        {"properties": {"latitude": _NULL, "longitude": _NULL}},
    ]
}
# A patch sends neither (the stored pair stays), both numbers, or both null (cleared).
_PATCH_COORDINATES: JsonDict = {
    "anyOf": [
        {"properties": {"latitude": False, "longitude": False}},
        {"required": ["latitude", "longitude"], "properties": {"latitude": _NUMBER, "longitude": _NUMBER}},
        {"required": ["latitude", "longitude"], "properties": {"latitude": _NULL, "longitude": _NULL}},
    ]
}

Category = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]


class VenueCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra=_CREATE_COORDINATES)

    name: Name
    address: VenueAddress
    city: City
    timezone: TimeZoneName
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    categories: list[Category] = Field(default_factory=list, max_length=10)
    slot_interval_minutes: int = Field(default=15, ge=5, le=240)
    min_notice_minutes: int = Field(default=60, ge=0, le=30 * 24 * 60)
    horizon_days: int = Field(default=60, ge=1, le=366)
    cancellation_notice_minutes: int = Field(default=24 * 60, ge=0, le=30 * 24 * 60)

    @model_validator(mode="after")
    def _paired(self) -> VenueCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError(_BOTH_COORDINATES)
        return self


class VenuePatch(RequestModel):
    """Only the fields sent change. Settings that always have a value (notice, horizon, grid,
    zone, categories) may be left out but not sent as null; latitude and longitude are sent
    together (both null clears them) or not at all."""

    model_config = ConfigDict(json_schema_extra=_PATCH_COORDINATES)

    name: Omittable[Name] = None
    address: Omittable[VenueAddress] = None
    city: Omittable[City] = None
    timezone: Omittable[TimeZoneName] = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    categories: Omittable[list[Category]] = Field(default=None, max_length=10)
    slot_interval_minutes: Omittable[int] = Field(default=None, ge=5, le=240)
    min_notice_minutes: Omittable[int] = Field(default=None, ge=0, le=30 * 24 * 60)
    horizon_days: Omittable[int] = Field(default=None, ge=1, le=366)
    cancellation_notice_minutes: Omittable[int] = Field(default=None, ge=0, le=30 * 24 * 60)

    @model_validator(mode="after")
    def _paired(self) -> VenuePatch:
        sent = {"latitude", "longitude"} & self.model_fields_set
        if sent and (len(sent) == 1 or (self.latitude is None) != (self.longitude is None)):
            raise ValueError(_BOTH_COORDINATES)
        return self


class VenueOut(ResponseModel):
    id: str
    business_id: str
    name: str
    address: str
    city: str
    timezone: str
    latitude: float | None
    longitude: float | None
    categories: list[str]
    slot_interval_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancellation_notice_minutes: int


class VenuePage(ResponseModel):
    items: list[VenueOut]
    next_cursor: str | None = None


# --- services ------------------------------------------------------------------------


class ServiceCreate(RequestModel):
    name: Name
    duration_minutes: int = Field(ge=5, le=MAX_SERVICE_MINUTES)
    price_minor: int = Field(ge=0, le=100_000_000, description="In the currency's minor unit (cents)")
    currency: Currency
    buffer_before_minutes: int = Field(default=0, ge=0, le=240)
    buffer_after_minutes: int = Field(default=0, ge=0, le=240)
    specialist_ids: list[SpecialistId] = Field(
        default_factory=list,
        max_length=MAX_NAMED_SPECIALISTS,
        description="Empty: every specialist. Each must be a specialist of this venue (422 otherwise)",
    )


class ServicePatch(RequestModel):
    """Only the fields sent change; none can be cleared, so null is refused (leave it out)."""

    name: Omittable[Name] = None
    duration_minutes: Omittable[int] = Field(default=None, ge=5, le=MAX_SERVICE_MINUTES)
    price_minor: Omittable[int] = Field(default=None, ge=0, le=100_000_000)
    currency: Omittable[Currency] = None
    buffer_before_minutes: Omittable[int] = Field(default=None, ge=0, le=240)
    buffer_after_minutes: Omittable[int] = Field(default=None, ge=0, le=240)
    specialist_ids: Omittable[list[SpecialistId]] = Field(
        default=None,
        max_length=MAX_NAMED_SPECIALISTS,
        description="Empty: every specialist. Each must be a specialist of this venue (422 otherwise)",
    )


class ServiceOut(ResponseModel):
    id: str
    venue_id: str
    name: str
    duration_minutes: int
    price_minor: int
    currency: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    specialist_ids: list[str]


class ServiceList(ResponseModel):
    items: list[ServiceOut]


# --- specialists and schedules -------------------------------------------------------


class TimeRangeIn(RequestModel):
    start: HhMm
    end: HhMm = Field(description="Exclusive; 24:00 = end of the day")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRangeIn:
        if self.start == "24:00" or not self.start < self.end:
            raise ValueError("start must be before end")
        return self


class DayPlan(RequestModel):
    hours: list[TimeRangeIn] = Field(default_factory=list, max_length=8)
    breaks: list[TimeRangeIn] = Field(default_factory=list, max_length=8)


class WeeklyPlan(RequestModel):
    """Local wall-clock hours in the venue's zone; a missing day is a day off."""

    mon: DayPlan | None = None
    tue: DayPlan | None = None
    wed: DayPlan | None = None
    thu: DayPlan | None = None
    fri: DayPlan | None = None
    sat: DayPlan | None = None
    sun: DayPlan | None = None


class DateExceptionIn(RequestModel):
    date: ApiDate
    hours: list[TimeRangeIn] = Field(default_factory=list, max_length=8, description="Empty: day off")


class TimeOffIn(RequestModel):
    start: ApiDateTime
    end: ApiDateTime = Field(description="After start", json_schema_extra=date_bounds(after=["start"]))

    @model_validator(mode="after")
    def _ordered(self) -> TimeOffIn:
        if not self.start < self.end:
            raise ValueError("start must be before end")
        return self


class SpecialistCreate(RequestModel):
    name: Name = Field(description="Shown publicly (first name or working name)")
    user_id: Id | None = Field(default=None, description="The staff account behind this specialist, if any")
    weekly: WeeklyPlan = Field(default_factory=WeeklyPlan)
    exceptions: list[DateExceptionIn] = Field(default_factory=list, max_length=366)
    time_off: list[TimeOffIn] = Field(default_factory=list, max_length=200)


class SpecialistPatch(RequestModel):
    """Lists replace what is stored; a specialist may change only their own schedule."""

    name: Omittable[Name] = None
    user_id: Id | None = None
    weekly: WeeklyPlan | None = None
    exceptions: list[DateExceptionIn] | None = Field(default=None, max_length=366)
    time_off: list[TimeOffIn] | None = Field(default=None, max_length=200)


class TimeRangeOut(ResponseModel):
    start: str
    end: str


class DayPlanOut(ResponseModel):
    hours: list[TimeRangeOut]
    breaks: list[TimeRangeOut]


class DateExceptionOut(ResponseModel):
    date: date
    hours: list[TimeRangeOut]


class TimeOffOut(ResponseModel):
    start: AwareDatetime
    end: AwareDatetime


class SpecialistOut(ResponseModel):
    id: str
    venue_id: str
    name: str
    user_id: str | None
    weekly: dict[str, DayPlanOut] = Field(description="mon..sun; a missing day is a day off")
    exceptions: list[DateExceptionOut]
    time_off: list[TimeOffOut]


class SpecialistList(ResponseModel):
    items: list[SpecialistOut]
