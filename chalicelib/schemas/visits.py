"""Multi-service visits (issue #18, item 2): the public contract."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.availability import MAX_VISIT_PARTS
from chalicelib.domain.bookings import NOTES_MAX_CHARS
from chalicelib.schemas.bookings import BookingOut, Id, Instant
from chalicelib.schemas.common import FreeText, Omittable, RequestModel, ResponseModel


class VisitPartIn(RequestModel):
    service_id: Id
    specialist_id: Omittable[Id | Literal["any"]] = Field(
        default=None, description='A specialist for this part, or "any"/omitted for whoever is free'
    )


class VisitCreate(RequestModel):
    """Several services back to back in one visit, booked all or none. Each part starts when
    the previous part's service and buffers end; ``start`` (the first part's) must be a free
    start of the first service (availability with ``then_service_ids`` lists where the whole
    visit fits). Send ``Idempotency-Key`` to make retries safe."""

    venue_id: Id
    start: Instant = Field(description="The first part's start, with its UTC offset")
    parts: list[VisitPartIn] = Field(min_length=2, max_length=MAX_VISIT_PARTS)
    notes: Omittable[Annotated[str, FreeText(max_length=NOTES_MAX_CHARS, multiline=True)]] = None


class VisitOut(ResponseModel):
    id: str
    bookings: list[BookingOut] = Field(description="The parts, in order (each a booking with this visit_id)")


class VisitReschedule(RequestModel):
    """Move every live part of the visit so the chain starts at ``start`` (each part keeps its
    specialist; a part whose specialist is not free then refuses the move, 409). Send
    ``Idempotency-Key`` to make retries safe; a move to the start it already has changes nothing."""

    start: Instant = Field(description="The first live part's new start, with its UTC offset")
