"""Bookings and discount codes: the public contract (DATA-3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from chalicelib.domain.bookings import NOTES_MAX_CHARS
from chalicelib.schemas.common import (
    ApiDate,
    ApiDateTime,
    Currency,
    FreeText,
    RequestModel,
    ResponseModel,
    date_bounds,
)
from chalicelib.schemas.pagination import PageQuery

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Code = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
StatusName = Literal["pending", "confirmed", "cancelled", "completed", "no_show"]


# Request instants and dates: the shared, range-checked types (schemas/common.py).
Instant = ApiDateTime


class BookingCreate(RequestModel):
    """Send ``Idempotency-Key: <unique string>`` to make retries safe: the same key and body
    return the same booking; the same key with another body is refused (422)."""

    venue_id: Id
    service_id: Id
    start: Instant = Field(description="Start instant with its UTC offset (a free start from availability)")
    specialist_id: Id | Literal["any"] | None = Field(
        default=None, description='A specialist, or "any"/omitted for whoever is free (least busy first)'
    )
    notes: Annotated[str, FreeText(max_length=NOTES_MAX_CHARS, multiline=True)] | None = Field(
        default=None, description="Notes to the venue"
    )
    discount_code: Code | None = None


class BookingReschedule(RequestModel):
    """Send ``Idempotency-Key: <unique string>`` to make retries safe: the same key and body
    return the booking as it is now (``Idempotent-Replayed: true``) without moving it again;
    the same key with another body is refused (422). Without a key, a move to the start the
    booking already has changes nothing and returns it."""

    start: Instant = Field(description="The new start; same service and specialist")


class CustomerOut(ResponseModel):
    """The customer as the business sees them (SHARE-1): nothing but name and phone."""

    name: str
    phone: str | None = Field(description="E.164, e.g. +4915112345678; null when the account has none")


class BookingOut(ResponseModel):
    id: str
    status: StatusName
    business_id: str
    venue_id: str
    venue_name: str
    service_id: str
    service_name: str
    specialist_id: str
    specialist_name: str
    specialist_requested: bool
    customer_user_id: str
    customer: CustomerOut | None = Field(
        default=None,
        description=(
            "Business routes (/v1/businesses/{business_id}/bookings...) only: the customer's current "
            "name and phone; null on the customer's own routes, and once the account is closed unless "
            "the booking is still to happen (kept up to 30 days so the business can act on it)"
        ),
    )
    start: AwareDatetime
    end: AwareDatetime
    timezone: str
    local_start: str = Field(description="Wall-clock start in the venue's zone, ISO 8601 with offset")
    notes: str | None = None
    discount_code: str | None = None
    price_minor: int
    discount_minor: int
    total_minor: int
    currency: str
    cancelled_by: Literal["customer", "business"] | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    kind: Literal["booking", "block"] = Field(
        default="booking", description='"block": a specialist\'s personal block made by staff (no customer)'
    )
    visit_id: str | None = Field(default=None, description="A part of a multi-service visit: the visit's id")
    business_customer_id: str | None = Field(
        default=None,
        description="Business routes only: the customer record the business entered for a walk-in or phone booking",
    )


class BookingPage(ResponseModel):
    items: list[BookingOut]
    next_cursor: str | None = None


class MyBookingsQuery(PageQuery):
    scope: Literal["upcoming", "past"] = "upcoming"


class BusinessBookingsQuery(PageQuery):
    venue_id: Id
    specialist_id: Id | None = None
    day: ApiDate | None = Field(default=None, description="A local date in the venue's zone; default: from now on")


# --- discount codes -------------------------------------------------------------------------


class DiscountCodeCreate(RequestModel):
    code: Code
    kind: Literal["percent", "fixed"]
    value: int = Field(gt=0, description="Percent (1-100) or an amount in minor units")
    currency: Currency | None = Field(default=None, description="Required for fixed amounts")
    valid_from: Instant
    valid_until: Instant = Field(
        description="Exclusive; after valid_from", json_schema_extra=date_bounds(after=["valid_from"])
    )
    max_uses: int | None = Field(default=None, ge=1, description="Omit for unlimited")

    @model_validator(mode="after")
    def _consistent(self) -> DiscountCodeCreate:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percentage is at most 100")
        if self.kind == "fixed" and self.currency is None:
            raise ValueError("a fixed amount needs a currency")
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class DiscountCodePatch(RequestModel):
    active: bool | None = None
    valid_until: Instant | None = Field(
        default=None,
        description="Exclusive; after the code's valid_from (which never changes)",
        json_schema_extra=date_bounds(after=["code.valid_from"]),
    )
    max_uses: int | None = Field(default=None, ge=1)


class DiscountCodeOut(ResponseModel):
    code: str
    kind: Literal["percent", "fixed"]
    value: int
    currency: str | None = None
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    max_uses: int | None = None
    uses: int
    active: bool


class DiscountCodePage(ResponseModel):
    items: list[DiscountCodeOut]
    next_cursor: str | None = None


class DiscountCodesQuery(PageQuery):
    pass
