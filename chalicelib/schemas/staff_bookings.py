"""Staff-made bookings, blocks and the business's own customer records (issue #18, item 1)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from chalicelib.domain.bookings import NOTES_MAX_CHARS
from chalicelib.schemas.auth import Phone
from chalicelib.schemas.bookings import Id, Instant
from chalicelib.schemas.common import FreeText, Omittable, RequestModel, ResponseModel, date_bounds

CUSTOMER_NAME_MAX_CHARS = 120


class WalkInCustomer(RequestModel):
    """A customer the business enters itself (no account needed)."""

    name: Annotated[str, FreeText(max_length=CUSTOMER_NAME_MAX_CHARS, min_length=1)]
    phone: Omittable[Phone] = Field(
        default=None,
        description="When it is exactly an account's phone, the booking is also linked to that account "
        "(the customer sees it and is notified); the answer is the same either way",
    )


# What the service checks across fields, stated in the schema (a client can read it): a
# booking names a service and exactly one of customer/customer_id and has no end; a block
# names one specialist and an end, and has no customer and no service.
_KINDS: dict[str, Any] = {
    "oneOf": [
        {
            "title": "booking",
            "properties": {"kind": {"const": "booking"}},
            "required": ["service_id"],
            "oneOf": [{"required": ["customer"]}, {"required": ["customer_id"]}],
            "not": {"required": ["end"]},
        },
        {
            "title": "block",
            "properties": {"kind": {"const": "block"}, "specialist_id": {"not": {"const": "any"}}},
            "required": ["kind", "end", "specialist_id"],
            "not": {"anyOf": [{"required": ["customer"]}, {"required": ["customer_id"]}, {"required": ["service_id"]}]},
        },
    ]
}


class StaffBookingCreate(RequestModel):
    """A walk-in or phone booking (``kind: "booking"``, the default: a service and a customer,
    new or entered before) or a personal block of a specialist's time (``kind: "block"``: a
    specialist, a start and an end; no customer, no service). Owners and managers book any
    specialist of the venue (or "any"); a specialist only themselves (``specialist_id`` may
    then be left out for a booking). Minimum notice does not apply; the time must be free.
    Send ``Idempotency-Key`` to make retries safe."""

    model_config = ConfigDict(json_schema_extra=_KINDS)

    kind: Literal["booking", "block"] = "booking"
    venue_id: Id
    start: Instant = Field(description="Start instant with its UTC offset")
    end: Omittable[Instant] = Field(
        default=None,
        description="A block's end: after the start, at most a day later",
        json_schema_extra=date_bounds(after=["start"], max=["start+1"]),
    )
    specialist_id: Omittable[Id | Literal["any"]] = Field(
        default=None, description='A specialist, or "any"/omitted for whoever is free (bookings only)'
    )
    service_id: Omittable[Id] = Field(default=None, description="A booking's service")
    customer: Omittable[WalkInCustomer] = Field(default=None, description="A new customer record")
    customer_id: Omittable[Id] = Field(default=None, description="A customer record the business entered before")
    notes: Omittable[Annotated[str, FreeText(max_length=NOTES_MAX_CHARS, multiline=True)]] = None


class ExportedBooking(ResponseModel):
    id: str
    kind: Literal["booking", "block"]
    status: str
    venue_id: str
    service_name: str
    specialist_name: str
    start: AwareDatetime
    end: AwareDatetime
    notes: str | None = None


class BusinessCustomerOut(ResponseModel):
    """All the business stores about a customer it entered (its export)."""

    id: str
    name: str
    phone: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    bookings: list[ExportedBooking]
