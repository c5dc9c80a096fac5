"""The message that travels on the notifications queue (producer -> consumer contract)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"
    TELEGRAM = "telegram"


class Category(StrEnum):
    """Preference categories (NOTE-2). ACCOUNT (sign-in codes, security) cannot be turned off."""

    ACCOUNT = "account"
    BOOKING_UPDATES = "booking_updates"
    REMINDERS = "reminders"
    PARTNER_MARKETING = "partner_marketing"
    PLATFORM_NEWS = "platform_news"
    TRAVEL_UPDATES = "travel_updates"  # replies, quotes and status changes of travel requests
    # wallet pushes (NOTE-4): each its own category, per-channel switchable
    WALLET_TOP_UPS = "wallet_top_ups"
    WALLET_PAYMENTS = "wallet_payments"
    WAITLIST = "waitlist"  # issue #18: a held slot offered from the waitlist
    # Service-quality survey invitations after a visit (REV-3): standard, on by default.
    SURVEYS = "surveys"
    SUPPORT_REPLIES = "support_replies"  # an operator answered the user's support ticket (docs/support.md)
    TICKET_USES = "ticket_uses"  # "your ticket was used" (NOTE-4)


class NotificationMessage(BaseModel):
    """One notification to one recipient. ``notification_id`` makes delivery idempotent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notification_id: str = Field(min_length=8, max_length=128)
    kind: str = Field(description='Template key, e.g. "otp", "booking.created", "booking.reminder"')
    category: Category
    user_id: str | None = None  # resolved to a Contact by the consumer
    # Direct addresses win over the account's for their channel: a sign-in code to a phone with
    # no account yet, or a verification code to a new phone/e-mail that is not the account's yet.
    to_phone: str | None = None
    to_email: str | None = None
    channels: list[Channel] | None = None  # None: the user's preferences decide
    locale: str = "en"
    partner_id: str | None = None  # the business, for partner marketing consent (SHARE-4)
    params: dict[str, str] = Field(default_factory=dict)
