"""Waitlists (issue #18, item 3): the public contract."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from chalicelib.schemas.bookings import Id, Instant
from chalicelib.schemas.common import Omittable, RequestModel, ResponseModel, date_bounds


class WaitlistJoin(RequestModel):
    """Wait for a start of ``service_id`` (with ``specialist_id``, or any) inside the window.
    When one opens (a cancellation, a move), the waiting customers are offered it in the order
    they joined; an offer holds the slot for a while (15 minutes by default) for that customer
    only: book it with ``waitlist_entry_id``. The entry leaves when the window passes."""

    service_id: Id
    specialist_id: Omittable[Id | Literal["any"]] = Field(default=None, description='A specialist, or "any"/omitted')
    window_start: Instant = Field(
        description="The earliest start that suits (not more than 12 days ago)",
        json_schema_extra=date_bounds(min=["today-12"]),
    )
    window_end: Instant = Field(
        description="The latest end that suits: after window_start (at most 14 days), in the future",
        json_schema_extra=date_bounds(after=["window_start", "today"], max=["window_start+14"]),
    )


class WaitlistEntryOut(ResponseModel):
    id: str
    venue_id: str
    service_id: str
    specialist_id: str | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    joined_at: AwareDatetime
    offer_start: AwareDatetime | None = Field(
        default=None, description="The start held for you, while an offer is open"
    )
    offer_specialist_id: str | None = None
    offer_expires_at: AwareDatetime | None = Field(default=None, description="When the hold lapses")


class WaitlistPage(ResponseModel):
    items: list[WaitlistEntryOut]
