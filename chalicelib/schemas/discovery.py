"""Public discovery, venue pages, availability and favourites (customer side)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from chalicelib.schemas.common import ApiDate, FreeText, RequestModel, ResponseModel
from chalicelib.schemas.pagination import PageQuery

_NEAR = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class VenueSearchQuery(PageQuery):
    city: Annotated[str, FreeText(max_length=80, min_length=1)]
    category: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    near: str | None = Field(
        default=None,
        max_length=64,
        description="'lat,lon' from the device, sent only when the user chose 'use my location'. "
        "Used for this request only: never stored or logged (DATA-5).",
        examples=["40.3777,49.8920"],
    )
    radius_km: float = Field(default=5.0, gt=0, le=100)

    @field_validator("near")
    @classmethod
    def _near(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _NEAR.match(value)
        if not match or not (-90 <= float(match[1]) <= 90 and -180 <= float(match[2]) <= 180):
            raise ValueError("expected 'lat,lon' in degrees")
        return value

    def near_point(self) -> tuple[float, float] | None:
        if self.near is None:
            return None
        match = _NEAR.match(self.near)
        if match is None:  # cannot happen: validated on parse
            raise ValueError("near")
        return float(match[1]), float(match[2])


class VenueSummary(ResponseModel):
    id: str
    name: str
    address: str
    city: str
    timezone: str
    categories: list[str]
    distance_km: float | None = Field(default=None, description="Only when 'near' was sent")


class VenueSearchPage(ResponseModel):
    items: list[VenueSummary]
    next_cursor: str | None = None


class PublicService(ResponseModel):
    id: str
    name: str
    duration_minutes: int
    price_minor: int
    currency: str
    specialist_ids: list[str] = Field(description="Empty: any specialist of the venue")


class PublicSpecialist(ResponseModel):
    id: str
    name: str


class PublicVenue(ResponseModel):
    id: str
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
    services: list[PublicService]
    specialists: list[PublicSpecialist]


class AvailabilityQuery(RequestModel):
    service_id: str = Field(min_length=1, max_length=64)
    specialist_id: str = Field(default="any", min_length=1, max_length=64, description="A specialist id, or 'any'")
    from_: ApiDate = Field(alias="from", description="First local date (venue's zone)")
    to: ApiDate = Field(description="Last local date, inclusive; at most 31 days after 'from'")


class Slot(ResponseModel):
    start: datetime = Field(description="In the venue's zone, with its UTC offset")
    specialist_ids: list[str] = Field(description="Who is free at this start")


class AvailabilityResponse(ResponseModel):
    venue_id: str
    service_id: str
    timezone: str
    duration_minutes: int
    slots: list[Slot]


class FavoriteOut(ResponseModel):
    venue_id: str
    added_at: str
    name: str | None = Field(default=None, description="None if the venue no longer exists")
    city: str | None = None


class FavoritePage(ResponseModel):
    items: list[FavoriteOut]
    next_cursor: str | None = None
