"""Notification preferences, push devices and unsubscribe links (the public contract)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.notify.messages import Category, Channel
from chalicelib.schemas.common import RequestModel, ResponseModel, server_issued


class ChoiceIn(RequestModel):
    category: Category
    channel: Channel
    enabled: bool


class PreferencesPut(RequestModel):
    """The full set of choices: any category/channel not listed returns to its default."""

    choices: list[ChoiceIn] = Field(max_length=len(Category) * len(Channel))


class ChoiceView(ResponseModel):
    category: Category
    channel: Channel
    enabled: bool
    changeable: bool = Field(description="False for account messages (sign-in codes, policy notices)")


class PreferencesView(ResponseModel):
    choices: list[ChoiceView]
    sms_opted_out_at: str | None = Field(
        description="When the phone number replied STOP: SMS stays off until it opts in again at the carrier"
    )
    partner_marketing_note: str = Field(
        description="Partner marketing also needs consent per partner or for all: see /v1/me/consents"
    )


class DeviceIn(RequestModel):
    platform: Literal["apns", "fcm"]
    token: str = Field(min_length=8, max_length=4096, description="The APNs device token or FCM registration token")


class DeviceView(ResponseModel):
    device_id: str
    platform: Literal["apns", "fcm"]
    registered_at: str


class UnsubscribeQuery(RequestModel):
    token: str = Field(
        min_length=16,
        max_length=1024,
        description="The token of an unsubscribe link we sent (signed); any other value is a 422 naming query.token",
        json_schema_extra=server_issued("unsubscribe-token", "the List-Unsubscribe link of a message"),
    )


class UnsubscribeView(ResponseModel):
    category: Category
    channel: Channel
    unsubscribed: bool = Field(description="True once this category is off on this channel")
    description: str
