"""Reviews: what a customer sends, the public view (REV-2), the author's and operators' views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.reviews import (
    REPLY_MAX_CHARS,
    REPORT_TEXT_MAX_CHARS,
    TEXT_MAX_CHARS,
    ReportReason,
)
from chalicelib.schemas.common import FreeText, Omittable, RequestModel, ResponseModel
from chalicelib.schemas.pagination import PageQuery

Stars = Annotated[int, Field(ge=1, le=5)]
ReviewText = Annotated[str, FreeText(max_length=TEXT_MAX_CHARS, multiline=True)]
ReplyText = Annotated[str, FreeText(max_length=REPLY_MAX_CHARS, min_length=1, multiline=True)]
ReportText = Annotated[str, FreeText(max_length=REPORT_TEXT_MAX_CHARS, multiline=True)]
ModerationReason = Annotated[str, FreeText(max_length=500, min_length=1)]


class RatingsIn(RequestModel):
    """1 to 5 stars: ``overall`` is required; each criterion is optional (leave out or null
    what you cannot judge)."""

    overall: Stars
    service: Stars | None = None
    cleanliness: Stars | None = None
    staff: Stars | None = None
    atmosphere: Stars | None = None
    value: Stars | None = None


class ReviewCreate(RequestModel):
    ratings: RatingsIn
    text: ReviewText | None = Field(default=None, description="Plain text; optional")


class ReviewUpdate(RequestModel):
    """Only what is sent changes: ``ratings`` replaces all ratings; ``text`` null removes it."""

    ratings: Omittable[RatingsIn] = None
    text: ReviewText | None = None


class RatingsOut(ResponseModel):
    overall: int
    service: int | None
    cleanliness: int | None
    staff: int | None
    atmosphere: int | None
    value: int | None


class ReplyOut(ResponseModel):
    text: str
    replied_at: datetime


class PublicReview(ResponseModel):
    """REV-2: exactly these fields, never a phone, e-mail, user id, booking id or notes.
    ``id`` is the review's own opaque id (to report it); it reveals nothing of the booking."""

    id: str
    reviewer_name: str
    ratings: RatingsOut
    text: str | None
    created_at: datetime
    specialist_name: str | None
    reply: ReplyOut | None


class VenueReviewsQuery(PageQuery):
    sort: Literal["newest", "highest", "lowest"] = Field(default="newest", description="Order of the list")


class VenueReviewPage(ResponseModel):
    verification: str = Field(description="How reviews are verified (Omnibus Directive)")
    rating: float | None = Field(description="Bayesian average (docs/reviews.md); null below the minimum count")
    review_count: int
    items: list[PublicReview]
    next_cursor: str | None = None


class MyReview(ResponseModel):
    id: str
    booking_id: str
    venue_id: str
    status: Literal["visible", "hidden"]
    hidden_reason: str | None
    ratings: RatingsOut
    text: str | None
    specialist_name: str | None
    created_at: datetime
    updated_at: datetime
    editable_until: datetime
    reply: ReplyOut | None


class MyReviewPage(ResponseModel):
    items: list[MyReview]
    next_cursor: str | None = None


class ReplyIn(RequestModel):
    text: ReplyText


class ReplyResult(ResponseModel):
    review_id: str
    reply: ReplyOut


class ReportIn(RequestModel):
    reason: ReportReason
    text: ReportText | None = None


class ReportResult(ResponseModel):
    review_id: str
    reason: ReportReason
    reported_at: datetime


class ModerationIn(RequestModel):
    reason: ModerationReason


class ModerationResult(ResponseModel):
    review_id: str
    status: Literal["visible", "hidden"]
    reason: str
    moderated_at: datetime


class ReportedReview(ResponseModel):
    """What an operator needs to decide: the review as published, and its state."""

    id: str
    venue_id: str
    status: Literal["visible", "hidden"]
    reviewer_name: str
    ratings: RatingsOut
    text: str | None
    created_at: datetime


class QueueItem(ResponseModel):
    review_id: str
    reports: int
    reasons: list[ReportReason]
    first_reported_at: datetime
    last_reported_at: datetime
    review: ReportedReview | None = Field(description="Null when the review was deleted meanwhile")


class QueuePage(ResponseModel):
    items: list[QueueItem]
    next_cursor: str | None = None
