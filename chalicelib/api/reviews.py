"""Reviews (REV-1, REV-2): the customer's review of a visit, the venue's public list, business
replies, reports and the operators' moderation (SEC-6). Thin: parse, call one service, map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.domain import reviews as rules
    from chalicelib.schemas import pagination as paging
    from chalicelib.schemas import reviews as schemas
    from chalicelib.services import reviews
    from chalicelib.store.reviews import QueueView, ReviewView
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    reviews = lazy_import("chalicelib.services.reviews")
    schemas = lazy_import("chalicelib.schemas.reviews")
    rules = lazy_import("chalicelib.domain.reviews")
    paging = lazy_import("chalicelib.schemas.pagination")

blueprint = Blueprint(__name__)
TAGS = ["reviews"]


def _ratings(view: ReviewView) -> schemas.RatingsOut:
    criteria = view.ratings.criteria
    return schemas.RatingsOut(overall=view.ratings.overall, **{name: criteria.get(name) for name in rules.CRITERIA})


def _reply(view: ReviewView) -> schemas.ReplyOut | None:
    if view.reply_text is None or view.reply_at is None:
        return None
    return schemas.ReplyOut(text=view.reply_text, replied_at=view.reply_at)


def public(view: ReviewView) -> schemas.PublicReview:
    """REV-2: built field by field from the review, never from a dump of it."""
    return schemas.PublicReview(
        id=view.review_id,
        reviewer_name=view.author_name,
        ratings=_ratings(view),
        text=view.text,
        created_at=view.created_at,
        specialist_name=view.specialist_name or None,
        reply=_reply(view),
    )


def _mine(view: ReviewView) -> schemas.MyReview:
    return schemas.MyReview(
        id=view.review_id,
        booking_id=view.booking_id,
        venue_id=view.venue_id,
        status=view.status.value,
        hidden_reason=view.hidden_reason,
        ratings=_ratings(view),
        text=view.text,
        specialist_name=view.specialist_name or None,
        created_at=view.created_at,
        updated_at=view.updated_at,
        editable_until=view.created_at + reviews.edit_window(),
        reply=_reply(view),
    )


def _ratings_in(body: schemas.RatingsIn) -> rules.Ratings:
    criteria = {name: value for name in rules.CRITERIA if (value := getattr(body, name)) is not None}
    return rules.Ratings(body.overall, criteria)


# --- the customer's review of a booking --------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/review",
    "POST",
    summary="Review an attended visit (once per booking, within the review window)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    description="Only the booking's customer, once the venue marked the visit attended, from its end "
    "until the review window closes. Someone else's booking: 404. Cancelled, no-show, not yet ended, "
    "not attended, too late or already reviewed: 409, each with its own problem type.",
)
def create_review(ctx: RequestContext, booking_id: str, body: schemas.ReviewCreate) -> schemas.MyReview:
    view = reviews.create(ctx.principal, booking_id, _ratings_in(body.ratings), body.text, deps.clock().now())
    ctx.response_headers["Location"] = f"/v1/bookings/{booking_id}/review"
    return _mine(view)


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/review",
    "PATCH",
    summary="Edit my review (within the edit window after posting)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def edit_review(ctx: RequestContext, booking_id: str, body: schemas.ReviewUpdate) -> schemas.MyReview:
    ratings = _ratings_in(body.ratings) if body.ratings is not None else None
    text = body.text if "text" in body.model_fields_set else reviews.UNSET
    return _mine(reviews.edit(ctx.principal, booking_id, ratings, text, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/review",
    "DELETE",
    summary="Delete my review, at any time (idempotent; RET-7)",
    tags=TAGS,
    status=204,
    errors_=[],
    auth=True,
)
def delete_review(ctx: RequestContext, booking_id: str) -> None:
    reviews.delete(ctx.principal, booking_id)


@endpoint(
    blueprint,
    "/v1/me/reviews",
    "GET",
    summary="My reviews, newest first (hidden ones marked)",
    tags=["me", *TAGS],
    auth=True,
)
def list_my_reviews(ctx: RequestContext, query: paging.PageQuery) -> schemas.MyReviewPage:
    scope = f"my-reviews:{ctx.principal.user_id}"
    page, last = reviews.mine(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.MyReviewPage(items=[_mine(v) for v in page], next_cursor=pagination.encode(last, scope=scope))


# --- the public list -----------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/venues/{venue_id}/reviews",
    "GET",
    summary="A venue's published reviews, with its rating and how reviews are verified",
    tags=["discovery", *TAGS],
    errors_=[404],
)
def list_venue_reviews(ctx: RequestContext, venue_id: str, query: schemas.VenueReviewsQuery) -> schemas.VenueReviewPage:
    scope = f"venue-reviews:{venue_id}:{query.sort}"
    found = reviews.venue_reviews(venue_id, query.sort, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.VenueReviewPage(
        verification=reviews.verification(),
        rating=found.rating.rating,
        review_count=found.rating.review_count,
        items=[public(v) for v in found.reviews],
        next_cursor=pagination.encode(found.last_key, scope=scope),
    )


# --- the business's reply --------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/reviews/{review_id}/reply",
    "PUT",
    summary="Reply to a review of one of the business's venues, or edit the reply (owners, managers; audited)",
    tags=["business", *TAGS],
    errors_=[404],
    auth=True,
)
def put_reply(ctx: RequestContext, business_id: str, review_id: str, body: schemas.ReplyIn) -> schemas.ReplyResult:
    view = reviews.reply(ctx.principal, business_id, review_id, body.text, deps.clock().now())
    reply = _reply(view)
    if reply is None:  # cannot happen: the reply was just written
        raise RuntimeError("reply missing")
    return schemas.ReplyResult(review_id=view.review_id, reply=reply)


# --- reports and moderation ------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/reviews/{review_id}/reports",
    "POST",
    summary="Report a review to the operators (once per review; rate-limited)",
    tags=TAGS,
    status=201,
    errors_=[404, 409, 429],
    auth=True,
)
def report_review(ctx: RequestContext, review_id: str, body: schemas.ReportIn) -> schemas.ReportResult:
    now = deps.clock().now()
    reviews.report(ctx.principal, review_id, rules.ReportReason(body.reason), body.text, now)
    return schemas.ReportResult(review_id=review_id, reason=body.reason, reported_at=now)


def _queue_item(view: QueueView) -> schemas.QueueItem:
    review = view.review
    return schemas.QueueItem(
        review_id=view.review_id,
        reports=view.reports,
        reasons=[rules.ReportReason(r) for r in view.reasons],
        first_reported_at=view.first_reported_at,
        last_reported_at=view.last_reported_at,
        review=None
        if review is None
        else schemas.ReportedReview(
            id=review.review_id,
            venue_id=review.venue_id,
            status=review.status.value,
            reviewer_name=review.author_name,
            ratings=_ratings(review),
            text=review.text,
            created_at=review.created_at,
        ),
    )


@endpoint(
    blueprint,
    "/v1/operator/review-reports",
    "GET",
    summary="Operators: reviews with open reports, oldest first",
    tags=["operator", *TAGS],
    auth=True,
)
def list_review_reports(ctx: RequestContext, query: paging.PageQuery) -> schemas.QueuePage:
    scope = "review-reports"
    page, last = reviews.queue(
        ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope), deps.clock().now()
    )
    return schemas.QueuePage(items=[_queue_item(v) for v in page], next_cursor=pagination.encode(last, scope=scope))


def _moderated(view: ReviewView) -> schemas.ModerationResult:
    return schemas.ModerationResult(
        review_id=view.review_id,
        status=view.status.value,
        reason=view.hidden_reason or "",
        moderated_at=view.moderated_at or view.updated_at,
    )


@endpoint(
    blueprint,
    "/v1/operator/reviews/{review_id}/hide",
    "POST",
    summary="Operators: hide a review (it leaves the public list and the rating; audited)",
    tags=["operator", *TAGS],
    errors_=[404, 409],
    auth=True,
)
def hide_review(ctx: RequestContext, review_id: str, body: schemas.ModerationIn) -> schemas.ModerationResult:
    return _moderated(reviews.moderate(ctx.principal, review_id, True, body.reason, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/operator/reviews/{review_id}/restore",
    "POST",
    summary="Operators: restore a hidden review (audited)",
    tags=["operator", *TAGS],
    errors_=[404, 409],
    auth=True,
)
def restore_review(ctx: RequestContext, review_id: str, body: schemas.ModerationIn) -> schemas.ModerationResult:
    result = _moderated(reviews.moderate(ctx.principal, review_id, False, body.reason, deps.clock().now()))
    return result.model_copy(update={"reason": body.reason})
