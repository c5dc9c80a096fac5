"""Businesses, staff, venues, services and specialists: the business-side contract (DATA-6)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from chalicelib.domain.catalog import MAX_NAMED_SPECIALISTS
from chalicelib.schemas.auth import Phone
from chalicelib.schemas.common import ApiDate, ApiDateTime, Currency, FreeText, Omittable, RequestModel, ResponseModel

Name = Annotated[str, FreeText(max_length=120, min_length=1)]
Address = Annotated[str, FreeText(max_length=300)]
VenueAddress = Annotated[str, FreeText(max_length=300, min_length=1)]
City = Annotated[str, FreeText(max_length=80, min_length=1)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
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
    """Only the fields sent change; ``null`` clears tax number or payment details."""

    name: Name | None = None
    address: Address | None = None
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

Category = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]


class VenueCreate(RequestModel):
    name: Name
    address: VenueAddress
    city: City
    timezone: str = Field(min_length=1, max_length=64, description="IANA zone, e.g. Asia/Baku")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    categories: list[Category] = Field(default_factory=list, max_length=10)
    slot_interval_minutes: int = Field(default=15, ge=5, le=240)
    min_notice_minutes: int = Field(default=60, ge=0, le=30 * 24 * 60)
    horizon_days: int = Field(default=60, ge=1, le=366)
    cancellation_notice_minutes: int = Field(default=24 * 60, ge=0, le=30 * 24 * 60)


class VenuePatch(RequestModel):
    """Only the fields sent change. Settings that always have a value (notice, horizon, grid,
    zone, categories) may be left out but not sent as null; latitude/longitude null clears."""

    name: Name | None = None
    address: VenueAddress | None = None
    city: City | None = None
    timezone: Omittable[str] = Field(default=None, min_length=1, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    categories: Omittable[list[Category]] = Field(default=None, max_length=10)
    slot_interval_minutes: Omittable[int] = Field(default=None, ge=5, le=240)
    min_notice_minutes: Omittable[int] = Field(default=None, ge=0, le=30 * 24 * 60)
    horizon_days: Omittable[int] = Field(default=None, ge=1, le=366)
    cancellation_notice_minutes: Omittable[int] = Field(default=None, ge=0, le=30 * 24 * 60)


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
    duration_minutes: int = Field(ge=5, le=12 * 60)
    price_minor: int = Field(ge=0, le=100_000_000, description="In the currency's minor unit (cents)")
    currency: Currency
    buffer_before_minutes: int = Field(default=0, ge=0, le=240)
    buffer_after_minutes: int = Field(default=0, ge=0, le=240)
    specialist_ids: list[Id] = Field(
        default_factory=list,
        max_length=MAX_NAMED_SPECIALISTS,
        description="Empty: every specialist. Each must be a specialist of this venue (422 otherwise)",
    )


class ServicePatch(RequestModel):
    """Only the fields sent change; none can be cleared, so null is refused (leave it out)."""

    name: Name | None = None
    duration_minutes: Omittable[int] = Field(default=None, ge=5, le=12 * 60)
    price_minor: Omittable[int] = Field(default=None, ge=0, le=100_000_000)
    currency: Omittable[Currency] = None
    buffer_before_minutes: Omittable[int] = Field(default=None, ge=0, le=240)
    buffer_after_minutes: Omittable[int] = Field(default=None, ge=0, le=240)
    specialist_ids: Omittable[list[Id]] = Field(default=None, max_length=MAX_NAMED_SPECIALISTS)


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
    end: ApiDateTime

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

    name: Name | None = None
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
