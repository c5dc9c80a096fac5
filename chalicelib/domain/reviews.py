"""Verified reviews (REV-1, REV-2): who may review, the rating criteria, the public rating.

Pure rules: no AWS, no clock (``now`` is passed in). The store enforces "one review per
booking" with a conditional put keyed on the booking, and keeps the aggregates exact by
moving them in the review's own transaction (docs/reviews.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib import errors
from chalicelib.domain.bookings import Booking, BookingStatus

TEXT_MAX_CHARS = 2000
REPLY_MAX_CHARS = 1000
REPORT_TEXT_MAX_CHARS = 500
RATING_MIN, RATING_MAX = 1, 5

# The fixed, documented set of criteria (docs/reviews.md). Each is optional: a customer who
# never met the staff need not rate them; the overall rating is required.
CRITERIA: tuple[str, ...] = ("service", "cleanliness", "staff", "atmosphere", "value")

# The public rating is a Bayesian average (docs/reviews.md): PRIOR_WEIGHT imaginary reviews of
# PRIOR_MEAN stars pull a venue with few reviews towards the middle; below MIN_COUNT reviews
# no rating is shown at all.
PRIOR_MEAN = 3.5
PRIOR_WEIGHT = 5
MIN_COUNT = 3

FORMER_CUSTOMER = "Former customer"


class ReportReason(StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    PERSONAL_DATA = "personal_data"
    NOT_A_CUSTOMER = "not_a_customer"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OTHER = "other"


class ReviewStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"


# --- errors: each a distinct problem type ------------------------------------------------------


class BookingCancelled(errors.Conflict):
    slug = "review-booking-cancelled"
    title = "A cancelled booking cannot be reviewed"


class BookingNoShow(errors.Conflict):
    slug = "review-booking-no-show"
    title = "A booking the venue marked as no-show cannot be reviewed"


class VisitNotEnded(errors.Conflict):
    slug = "review-visit-not-ended"
    title = "The visit has not ended yet"


class NotAttended(errors.Conflict):
    slug = "review-not-attended"
    title = "Only a visit the venue marked attended can be reviewed"


class ReviewWindowClosed(errors.Conflict):
    slug = "review-window-closed"
    title = "The time to review this visit has passed"


class AlreadyReviewed(errors.Conflict):
    slug = "review-exists"
    title = "This booking has already been reviewed"


class EditWindowClosed(errors.Conflict):
    slug = "review-edit-window-closed"
    title = "The review can no longer be edited"


class AlreadyReported(errors.Conflict):
    slug = "review-already-reported"
    title = "You have already reported this review"


class ModerationState(errors.Conflict):
    slug = "review-moderation-state"
    title = "The review is already in that state"


# --- ratings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    overall: int
    criteria: Mapping[str, int] = field(default_factory=dict)  # a subset of CRITERIA

    def __post_init__(self) -> None:
        for name, value in {"overall": self.overall, **self.criteria}.items():
            if name != "overall" and name not in CRITERIA:
                raise errors.InvalidInput([errors.FieldError(f"ratings.{name}", "unknown criterion")])
            if not RATING_MIN <= value <= RATING_MAX:
                raise errors.InvalidInput([errors.FieldError(f"ratings.{name}", "from 1 to 5")])


@dataclass(frozen=True)
class Totals:
    """Count and sum of the overall rating and of each criterion (a criterion counts only the
    reviews that rated it). The aggregates hold exactly these numbers."""

    count: int = 0
    overall_sum: int = 0
    criteria_count: Mapping[str, int] = field(default_factory=dict)
    criteria_sum: Mapping[str, int] = field(default_factory=dict)


def delta(old: Ratings | None, new: Ratings | None) -> Totals:
    """How the totals move when ``old`` becomes ``new`` (None: no visible review)."""
    count = (new is not None) - (old is not None)
    overall = (new.overall if new else 0) - (old.overall if old else 0)
    counts: dict[str, int] = {}
    sums: dict[str, int] = {}
    for name in CRITERIA:
        before = old.criteria.get(name) if old else None
        after = new.criteria.get(name) if new else None
        counts[name] = (after is not None) - (before is not None)
        sums[name] = (after or 0) - (before or 0)
    return Totals(count, overall, counts, sums)


def add(totals: Totals, ratings: Ratings) -> Totals:
    change = delta(None, ratings)
    return Totals(
        totals.count + change.count,
        totals.overall_sum + change.overall_sum,
        {n: totals.criteria_count.get(n, 0) + change.criteria_count[n] for n in CRITERIA},
        {n: totals.criteria_sum.get(n, 0) + change.criteria_sum[n] for n in CRITERIA},
    )


def normalised(totals: Totals) -> Totals:
    """Zero entries filled in, so two totals compare equal when their numbers are."""
    return Totals(
        totals.count,
        totals.overall_sum,
        {n: int(totals.criteria_count.get(n, 0)) for n in CRITERIA},
        {n: int(totals.criteria_sum.get(n, 0)) for n in CRITERIA},
    )


def bayesian(count: int, total: int) -> float | None:
    """(PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + count), to 2 places; None below MIN_COUNT."""
    if count < MIN_COUNT:
        return None
    return round((PRIOR_WEIGHT * PRIOR_MEAN + total) / (PRIOR_WEIGHT + count), 2)


@dataclass(frozen=True)
class PublicRating:
    rating: float | None
    review_count: int


def public_rating(totals: Totals | None) -> PublicRating:
    if totals is None:
        return PublicRating(None, 0)
    return PublicRating(bayesian(totals.count, totals.overall_sum), totals.count)


# --- who may review, and when ---------------------------------------------------------------------


def ensure_reviewable(booking: Booking, now: datetime, window: timedelta) -> None:
    """REV-1: only an attended visit, from its end until ``window`` after it. The caller has
    already checked the booking is the caller's own (anyone else's is a 404)."""
    if booking.status is BookingStatus.CANCELLED:
        raise BookingCancelled("The booking was cancelled")
    if booking.status is BookingStatus.NO_SHOW:
        raise BookingNoShow("The venue marked this booking as no-show")
    if now < booking.end:
        raise VisitNotEnded("A visit can be reviewed once it has ended")
    if booking.status is not BookingStatus.COMPLETED:
        raise NotAttended("The venue has not marked this visit attended")
    if now > booking.end + window:
        raise ReviewWindowClosed(f"Reviews are possible within {window.days} days of the visit")


def ensure_editable(created_at: datetime, now: datetime, window: timedelta) -> None:
    if now > created_at + window:
        raise EditWindowClosed(f"A review can be edited for {window.days} days after posting; it can still be deleted")


def verification_statement(window: timedelta) -> str:
    """The Omnibus Directive's "whether and how reviews are verified", from the settings."""
    return (
        "Only customers whose visit the venue marked attended can review it, "
        f"once per visit, within {window.days} days of the visit."
    )


def display_name(name: str) -> str:
    """What the public sees of the reviewer: the first name and the initial of the last
    ("Ada Lovelace" -> "Ada L."), never the full name."""
    parts = name.split()
    if not parts:
        return FORMER_CUSTOMER
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."
