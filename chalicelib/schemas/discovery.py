"""Public discovery, venue pages, availability and favourites (customer side)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from chalicelib.schemas.common import ApiDate, FreeText, RequestModel, ResponseModel, date_bounds
from chalicelib.schemas.pagination import PageQuery
from chalicelib.services.availability import MAX_DAYS

# 'lat,lon' in degrees, the ranges (-90..90, -180..180) included: the pattern /openapi.json
# states is the whole rule, and near_point reads the numbers back with it. ASCII digits only
# ([0-9], not \d, which Python reads as any Unicode digit and JavaScript as ASCII).
_LATITUDE = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
NEAR_PATTERN = rf"^ *({_LATITUDE}) *, *({_LONGITUDE}) *$"
_NEAR = re.compile(NEAR_PATTERN)


class VenueSearchQuery(PageQuery):
    city: Annotated[str, FreeText(max_length=80, min_length=1)]
    category: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    near: str | None = Field(
        default=None,
        max_length=64,
        pattern=NEAR_PATTERN,
        description="'lat,lon' in degrees (latitude -90..90, longitude -180..180) from the device, "
        "sent only when the user chose 'use my location'. Used for this request only: never "
        "stored or logged (DATA-5).",
        examples=["40.3777,49.8920"],
    )
    radius_km: float = Field(default=5.0, gt=0, le=100)

    @field_validator("near")
    @classmethod
    def _near(cls, value: str | None) -> str | None:
        # The pattern already held (pydantic checks it first); this names the rule in words.
        if value is not None and not _NEAR.match(value):
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
    rating: float | None = Field(
        default=None, description="Bayesian average of reviews (docs/reviews.md); null below the minimum count"
    )
    review_count: int = 0


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
    rating: float | None = Field(
        default=None, description="Bayesian average of reviews (docs/reviews.md); null below the minimum count"
    )
    review_count: int = 0


class AvailabilityQuery(RequestModel):
    service_id: str = Field(min_length=1, max_length=64)
    specialist_id: str = Field(default="any", min_length=1, max_length=64, description="A specialist id, or 'any'")
    from_: ApiDate = Field(
        alias="from",
        description=f"First local date (venue's zone): at most the venue's horizon_days after today, "
        f"and at most {MAX_DAYS - 1} days before it (else no 'to' can reach today)",
        json_schema_extra=date_bounds(min=[f"today-{MAX_DAYS - 1}"], max=["today+venue.horizon_days"]),
    )
    to: ApiDate = Field(
        description=f"Last local date, inclusive: not before 'from' nor before today, and at most "
        f"{MAX_DAYS - 1} days after 'from' ({MAX_DAYS} days in all)",
        json_schema_extra=date_bounds(min=["from", "today"], max=[f"from+{MAX_DAYS - 1}"]),
    )
    # issue #18: a multi-service visit
    then_service_ids: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,3}$",
        max_length=4 * 65,
        description="A visit of several services, back to back: the services after service_id, in order, "
        "comma-separated (at most 4, so 5 in all). Each slot then lists every part's start and who is free "
        "for it; specialist_id applies to the first part",
    )


class SlotPart(ResponseModel):
    service_id: str
    start: datetime = Field(description="This part's start, in the venue's zone")
    specialist_ids: list[str] = Field(description="Who is free for this part")


class Slot(ResponseModel):
    start: datetime = Field(description="In the venue's zone, with its UTC offset")
    specialist_ids: list[str] = Field(description="Who is free at this start")
    parts: list[SlotPart] | None = Field(default=None, description="A visit (then_service_ids): every part")


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
