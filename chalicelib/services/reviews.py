"""Verified reviews (REV-1, REV-2), replies, reports and moderation (SEC-6), the public rating.

Every change is one TransactWriteItems in the store: the review (conditional on absence or
on the version read) and the ADDs of the venue's and the specialist's aggregates, plus the
audit record for replies and moderation. Many reviews of one venue touch its aggregate at
once: a transaction that lost to a concurrent one is cancelled whole and retried here after
re-reading, so the aggregates stay exact (docs/reviews.md).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from chalicelib import errors
from chalicelib.domain import reviews as rules
from chalicelib.domain.identity import Principal
from chalicelib.domain.reviews import Ratings, ReviewStatus, Totals
from chalicelib.store import db
from chalicelib.store import reviews as store

# Contended aggregates: a cancelled transaction means another review of the venue committed,
# so each retry makes progress; jittered back-off spreads 50 concurrent writers out.
MAX_ATTEMPTS = 12
T = TypeVar("T")


def review_window() -> timedelta:
    from chalicelib.settings import get_settings

    return timedelta(days=get_settings().review_window_days)


def edit_window() -> timedelta:
    from chalicelib.settings import get_settings

    return timedelta(days=get_settings().review_edit_days)


def verification() -> str:
    return rules.verification_statement(review_window())


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.5, 0.01 * (2**attempt))))  # noqa: S311 - jitter, not security


def _retrying(attempt_once: Callable[[], T]) -> T:
    """Run ``attempt_once`` until it commits; it re-reads what it conditions on each time."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return attempt_once()
        except _Retry:
            _back_off(attempt)
    raise errors.DependencyUnavailable("Too many concurrent changes to this venue's reviews; try again")


class _Retry(Exception):
    """The transaction lost a race (a concurrent writer, or the version moved on)."""


def _commit(tx: db.Transaction, on_failed: Callable[[frozenset[str]], Exception | None]) -> None:
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if exc.failed:
            mapped = on_failed(exc.failed)
            if mapped is not None:
                raise mapped from None
        raise _Retry from None


# --- the customer's review ---------------------------------------------------------------------


def _own_review(principal: Principal, booking_id: str) -> store.ReviewView:
    """One GetItem; someone else's review (or none) is simply not there."""
    found = store.get(store.review_id_for(booking_id))
    if found is None or found.author_user_id != principal.user_id:
        raise errors.NotFound("No review of this booking")
    return found


def create(
    principal: Principal, booking_id: str, ratings: Ratings, text: str | None, now: datetime
) -> store.ReviewView:
    """REV-1. Calls: GetItem booking + GetItem profile (display name) + TransactWriteItems
    (review IF absent, venue and specialist aggregates ADD); a lost race repeats the last."""
    from chalicelib.store import bookings, users

    booking = bookings.get_booking(booking_id)
    if booking is None or booking.customer_user_id != principal.user_id:
        raise errors.NotFound("No such booking")  # like any booking the caller cannot see
    rules.ensure_reviewable(booking, now, review_window())
    user = users.get_user(principal.user_id)
    view = store.ReviewView(
        review_id=store.review_id_for(booking_id),
        booking_id=booking_id,
        business_id=booking.business_id,
        venue_id=booking.venue_id,
        specialist_id=booking.specialist_id,
        specialist_name=booking.specialist_name,
        author_user_id=principal.user_id,
        author_name=rules.display_name(user.name if user else ""),
        status=ReviewStatus.VISIBLE,
        ratings=ratings,
        text=text or None,
        created_at=now,
        updated_at=now,
    )

    def attempt() -> store.ReviewView:
        tx = db.Transaction()
        store.add_create(tx, view)
        # The review's put failing means the booking has a review (a retry of a committed
        # create included): the whole transaction is cancelled, the aggregates do not move.
        _commit(
            tx,
            lambda failed: rules.AlreadyReviewed("This booking already has a review") if "review" in failed else None,
        )
        return view

    return _retrying(attempt)


UNSET: Any = object()


def edit(
    principal: Principal, booking_id: str, ratings: Ratings | None, text: str | Any | None, now: datetime
) -> store.ReviewView:
    """Within ``review_edit_days`` of posting. ``text``: UNSET keeps it, None removes it.
    Calls: GetItem review + TransactWriteItems (review IF version, aggregates ADD the
    difference); a lost race repeats both."""

    def attempt() -> store.ReviewView:
        old = _own_review(principal, booking_id)
        rules.ensure_editable(old.created_at, now, edit_window())
        new = replace(
            old,
            ratings=ratings if ratings is not None else old.ratings,
            text=old.text if text is UNSET else (text or None),
            updated_at=now,
            version=old.version + 1,
        )
        tx = db.Transaction()
        store.add_replace(tx, old, new)
        _commit(tx, lambda failed: None)  # the version moved on: read again
        return new

    return _retrying(attempt)


def delete(principal: Principal, booking_id: str) -> None:
    """RET-7: at any time. Calls: GetItem review + TransactWriteItems (review IF version, its
    queue entry, aggregates ADD minus it); a lost race repeats both. Idempotent: gone is gone."""

    def attempt() -> None:
        try:
            old = _own_review(principal, booking_id)
        except errors.NotFound:
            return None
        tx = db.Transaction()
        store.add_delete(tx, old)
        _commit(tx, lambda failed: None)
        return None

    _retrying(attempt)


def mine(principal: Principal, limit: int, after: dict[str, Any] | None) -> tuple[list[store.ReviewView], Any]:
    """One Query (GSI1 ``USER#<u>``); hidden reviews included, marked."""
    return store.author_page(principal.user_id, limit, after)


# --- the public view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueReviews:
    reviews: list[store.ReviewView]
    last_key: dict[str, Any] | None
    rating: rules.PublicRating


def venue_reviews(venue_id: str, sort: str, limit: int, after: dict[str, Any] | None) -> VenueReviews:
    """REV-2. Calls: Query GSI1 (the venue) + Query GSI2/GSI3 (one page) + GetItem aggregate."""
    from chalicelib.store import catalog

    venue = catalog.find_venue(venue_id)
    page, last = store.venue_page(venue.venue_id, sort, limit, after)
    found = store.aggregate(venue.business_id, "venue", venue.venue_id)
    return VenueReviews(page, last, rules.public_rating(found.totals if found else None))


def venue_ratings(keys: list[tuple[str, str]]) -> dict[str, rules.PublicRating]:
    """Ratings of listed venues, by venue id: one BatchGetItem per 100 (discovery)."""
    if not keys:
        return {}
    totals = store.venue_totals(keys)
    return {venue_id: rules.public_rating(totals.get(venue_id)) for _b, venue_id in keys}


# --- business replies --------------------------------------------------------------------------


def _audit(tx: db.Transaction, actor: str, review: store.ReviewView, action: str, now: datetime, **extra: str) -> None:
    from chalicelib.privacy import audit

    audit.record(
        tx,
        tenant=review.business_id,
        actor=actor,
        action=action,
        entity="review",
        entity_id=review.review_id,
        at=now,
        summary={"venue_id": review.venue_id, "status": review.status.value, **extra},
    )


def reply(principal: Principal, business_id: str, review_id: str, text: str, now: datetime) -> store.ReviewView:
    """One reply per review, by an owner or manager; a second PUT edits it (audited, SEC-6).
    Calls: GetItem membership + GetItem review + TransactWriteItems (review IF version, audit
    record); a lost race repeats the last two."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, authz.MANAGERS)

    def attempt() -> store.ReviewView:
        old = store.get(review_id)
        if old is None or old.business_id != business_id:
            raise errors.NotFound("No such review")  # another tenant's review is not there
        new = replace(old, reply_text=text, reply_at=now, reply_by=principal.user_id, version=old.version + 1)
        tx = db.Transaction()
        store.add_replace(tx, old, new)
        _audit(tx, principal.user_id, new, "review.replied" if old.reply_text is None else "review.reply_edited", now)
        _commit(tx, lambda failed: None)
        return new

    return _retrying(attempt)


# --- reports and moderation --------------------------------------------------------------------


def report(principal: Principal, review_id: str, reason: rules.ReportReason, text: str | None, now: datetime) -> None:
    """Any signed-in user, once per review, rate-limited. Calls: UpdateItem rate counter +
    TransactWriteItems (report IF absent, queue entry ADD, review exists check)."""
    from chalicelib.settings import get_settings
    from chalicelib.store import ratelimit

    settings = get_settings()
    ratelimit.hit(
        "review-report", principal.user_id, settings.review_report_limit, settings.review_report_window_seconds, now
    )

    def failed(roles: frozenset[str]) -> Exception:
        if "review" in roles:
            return errors.NotFound("No such review")
        return rules.AlreadyReported("You reported this review already")

    def attempt() -> None:
        tx = db.Transaction()
        store.add_report(tx, review_id, principal.user_id, reason.value, text or None, now)
        _commit(tx, failed)

    _retrying(attempt)


def queue(
    principal: Principal, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[store.QueueView], Any]:
    """Operators: reviews with open reports, oldest first. Calls: Query GSI1 ``REVIEWQUEUE`` +
    BatchGetItem reviews + PutItem audit (an operator read of customer content, SEC-6)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz

    authz.require_operator(principal)
    page, last = store.queue_page(limit, after)
    views = store.with_review(page)
    audit.record_alone(
        tenant=audit.PLATFORM,
        actor=principal.user_id,
        action="review_reports.read",
        entity="review_queue",
        entity_id="open",
        at=now,
        summary={"count": str(len(views))},
    )
    return views, last


def moderate(principal: Principal, review_id: str, hide: bool, reason: str, now: datetime) -> store.ReviewView:
    """Operators hide or restore a review with a reason (SEC-6: audited in the same
    transaction). A hidden review leaves the public list and the aggregates; its reports are
    dealt with (queue entry removed). Calls: GetItem review + TransactWriteItems (review IF
    version, aggregates ADD, queue entry delete, audit record); a lost race repeats both."""
    from chalicelib.services import authz

    authz.require_operator(principal)
    target = ReviewStatus.HIDDEN if hide else ReviewStatus.VISIBLE

    def attempt() -> store.ReviewView:
        old = store.get(review_id)
        if old is None:
            raise errors.NotFound("No such review")
        if old.status is target:
            raise rules.ModerationState(f"The review is already {target.value}")
        new = replace(
            old,
            status=target,
            hidden_reason=reason if hide else None,
            moderated_at=now,
            version=old.version + 1,
        )
        tx = db.Transaction()
        store.add_replace(tx, old, new)
        store.add_resolve_queue(tx, review_id)
        _audit(tx, principal.user_id, new, "review.hidden" if hide else "review.restored", now, reason=reason)
        _commit(tx, lambda failed: None)
        return new

    return _retrying(attempt)


# --- reconciliation (schedule) -------------------------------------------------------------------


def recount(reviews: list[store.ReviewView]) -> tuple[Totals, dict[str, Totals]]:
    """The venue's totals and each specialist's, from its visible reviews."""
    venue = rules.normalised(Totals())
    specialists: dict[str, Totals] = {}
    for review in reviews:
        venue = rules.add(venue, review.ratings)
        specialists[review.specialist_id] = rules.add(
            specialists.get(review.specialist_id, rules.normalised(Totals())), review.ratings
        )
    return venue, specialists


def reconcile_venue(business_id: str, venue_id: str) -> int:
    """How many of the venue's aggregates (venue, specialists) differ from a recount.
    Calls: Query GSI2 (every visible review) + GetItem per aggregate."""
    venue_totals, by_specialist = recount(store.visible_reviews_of_venue(venue_id))
    drift = 0
    stored = store.aggregate(business_id, "venue", venue_id)
    if rules.normalised(stored.totals if stored else Totals()) != venue_totals:
        drift += 1
    for specialist_id, totals in by_specialist.items():
        found = store.aggregate(business_id, "specialist", specialist_id)
        if rules.normalised(found.totals if found else Totals()) != totals:
            drift += 1
    return drift


def reconcile_all() -> dict[str, int]:
    """Every venue aggregate (Query GSI1 ``RATINGS#<shard>``, 16 shards; no Scan), recounted."""
    checked = drift = 0
    for shard in range(store.RATING_SHARDS):
        after: dict[str, Any] | None = None
        while True:
            page, after = store.aggregates_page(shard, after)
            for view in page:
                checked += 1
                drift += reconcile_venue(view.business_id, view.subject_id)
            if not after:
                break
    return {"checked": checked, "drift": drift}
