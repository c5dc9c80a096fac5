"""Business webhooks: register, list and delete the endpoints that receive booking events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.schemas.common import RequestModel, ResponseModel

EventKind = Literal[
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.completed",
    "booking.no_show",
]
# The whole rule a static schema can state: an http(s) URL without spaces, fragment or
# credentials. Whether its host may be called (https in deployed stages, public addresses
# only) is decided when it is registered (403 when refused) and again before each delivery.
EndpointUrl = Annotated[
    str,
    Field(
        min_length=10,
        max_length=2048,
        pattern=r"^https?://[^\s#@/?]+(/[^\s#]*)?$",
        description="https URL of the receiver; its host must resolve to public addresses only "
        "(refused: private, loopback, link-local, multicast, reserved; 403). A local stage also takes "
        "http:// and loopback (docs/webhooks.md).",
        examples=["https://hooks.example.com/bookings"],
    ),
]


class WebhookCreate(RequestModel):
    url: EndpointUrl
    kinds: list[EventKind] | None = Field(
        default=None, min_length=1, max_length=6, description="The events to receive; omitted: all of them"
    )


class WebhookOut(ResponseModel):
    id: str
    url: str
    kinds: list[str]
    status: Literal["active", "disabled"] = Field(description="disabled after 24 hours of failures without a success")
    created_at: datetime
    last_status: int | None = Field(default=None, description="HTTP status of the last attempt, if it got one")
    last_error: str | None = Field(default=None, description="Short code of the last failure (http_500, timeout, ...)")
    last_attempt_at: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    disabled_at: datetime | None = None


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret (whsec_...), shown only in this answer: verify each delivery's "
        "webhook-signature with it (Standard Webhooks)"
    )


class WebhookList(ResponseModel):
    items: list[WebhookOut]
