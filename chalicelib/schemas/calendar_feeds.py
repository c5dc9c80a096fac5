"""Calendar feeds: issue and revoke subscribable ICS URLs (the token in the URL is the credential)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.schemas.common import RequestModel, ResponseModel

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class BusinessFeedCreate(RequestModel):
    venue_id: Id = Field(description="The venue: its feed, or the venue of the specialist")
    specialist_id: Id | None = Field(
        default=None, description="A specialist of the venue: their feed. Omitted: the whole venue's (owners, managers)"
    )


class BusinessFeedTarget(RequestModel):
    """Which of the caller's feeds to revoke (query string)."""

    venue_id: Id
    specialist_id: Id | None = None


class FeedOut(ResponseModel):
    """A new feed URL. Shown once: only a hash of its token is stored, so a lost URL is
    replaced by issuing a new one (which ends the old one)."""

    scope: Literal["customer", "venue", "specialist"]
    venue_id: str | None = None
    specialist_id: str | None = None
    url: str = Field(description="https URL of the feed (GET, no auth header: the token is the credential)")
    webcal_url: str = Field(description="The same feed as webcal:// (Google, Apple and Outlook calendars subscribe)")
    days_ahead: int = Field(description="How far ahead the feed lists bookings")
