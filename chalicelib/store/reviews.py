"""Reviews, their reports, the moderation queue and the rating aggregates (single table).

Keys (docs/reviews.md has the design and every operation's DynamoDB calls):

- Review ``REVIEW#<r>`` / ``REVIEW``: GSI1 ``USER#<author>`` / ``REVIEW#<created>#<r>`` (mine;
  the erasure finds it there); visible only: GSI2 ``REVIEWS#VENUE#<v>`` / ``<created>#<r>``
  (newest) and GSI3 ``REVIEWS#VENUE#<v>`` / ``<overall>#<created>#<r>`` (highest, lowest).
- ReviewReport ``REVIEW#<r>`` / ``REPORT#<reporter>``: GSI1 ``USER#<reporter>`` / ``REVIEWREPORT#<r>``.
- ReviewQueueEntry ``REVIEW#<r>`` / ``QUEUE``: GSI1 ``REVIEWQUEUE`` / ``<first reported>#<r>``.
- RatingAggregate ``BIZ#<b>`` / ``RATING#VENUE#<v>`` or ``RATING#SPEC#<p>``; venues also GSI1
  ``RATINGS#<shard>`` / ``VENUE#<v>`` (the reconciliation's walk, no Scan).

The review id is a keyed hash of the booking id (``lookup_hash``): the conditional put of
``REVIEW#<id(booking)>`` is keyed on the booking, so a booking has at most one review, and
the public id reveals nothing of the booking. Every change is one TransactWriteItems: the
review (conditional on absence, or on the version read) and the ADDs of the aggregates it
moves, so the aggregates are exact under concurrency and retries. Hidden reviews drop their
GSI2/GSI3 keys (sparse): they leave the public list by the same write that hides them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.update import Action

from chalicelib.domain.reviews import CRITERIA, Ratings, ReviewStatus, Totals, delta
from chalicelib.security.lookup import lookup_hash
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

REVIEW_SK = "REVIEW"
QUEUE_SK = "QUEUE"
QUEUE_KEY = "REVIEWQUEUE"  # one partition: written once per report (rate-limited, rare)
RATING_SHARDS = 16  # the reconciliation's walk over venue aggregates (GSI1)


class Review(TableItem, discriminator="Review"):
    review_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute()
    specialist_name = UnicodeAttribute(default="")
    author_user_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    status = UnicodeAttribute()
    overall = NumberAttribute()
    criteria = UnicodeAttribute(default="{}")  # JSON {criterion: 1..5}, rated ones only
    text = UnicodeAttribute(null=True)
    created_at = InstantAttribute()
    updated_at = InstantAttribute()
    hidden_reason = UnicodeAttribute(null=True)
    moderated_at = InstantAttribute(null=True)
    reply_text = UnicodeAttribute(null=True)
    reply_at = InstantAttribute(null=True)
    reply_by = UnicodeAttribute(null=True)
    version = NumberAttribute()


class ReviewReport(TableItem, discriminator="ReviewReport"):
    review_id = UnicodeAttribute()
    reporter_user_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    created_at = InstantAttribute()


class ReviewQueueEntry(TableItem, discriminator="ReviewQueueEntry"):
    review_id = UnicodeAttribute()
    reports = NumberAttribute(default=0)
    reasons = UnicodeSetAttribute(null=True)  # the distinct reasons reported
    first_reported_at = InstantAttribute()
    last_reported_at = InstantAttribute()


class RatingAggregate(TableItem, discriminator="RatingAggregate"):
    business_id = UnicodeAttribute()
    subject = UnicodeAttribute()  # "venue" or "specialist"
    subject_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    reviews_count = NumberAttribute(default=0)  # not "count": Model.count is a classmethod
    overall_sum = NumberAttribute(default=0)
    # Per criterion: how many reviews rated it and the sum of those ratings.
    service_count = NumberAttribute(default=0)
    service_sum = NumberAttribute(default=0)
    cleanliness_count = NumberAttribute(default=0)
    cleanliness_sum = NumberAttribute(default=0)
    staff_count = NumberAttribute(default=0)
    staff_sum = NumberAttribute(default=0)
    atmosphere_count = NumberAttribute(default=0)
    atmosphere_sum = NumberAttribute(default=0)
    value_count = NumberAttribute(default=0)
    value_sum = NumberAttribute(default=0)


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewView:
    review_id: str
    booking_id: str
    business_id: str
    venue_id: str
    specialist_id: str
    specialist_name: str
    author_user_id: str
    author_name: str
    status: ReviewStatus
    ratings: Ratings
    text: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    hidden_reason: str | None = None
    moderated_at: datetime | None = None
    reply_text: str | None = None
    reply_at: datetime | None = None
    reply_by: str | None = None

    @property
    def visible(self) -> bool:
        return self.status is ReviewStatus.VISIBLE


@dataclass(frozen=True)
class QueueView:
    review_id: str
    reports: int
    reasons: tuple[str, ...]
    first_reported_at: datetime
    last_reported_at: datetime
    review: ReviewView | None = None


@dataclass(frozen=True)
class AggregateView:
    business_id: str
    subject: str
    subject_id: str
    venue_id: str
    totals: Totals = field(default_factory=Totals)


# --- keys --------------------------------------------------------------------------------------


def review_id_for(booking_id: str) -> str:
    """The review's id: a keyed hash of the booking (one review per booking, no booking id shown)."""
    return lookup_hash("review", booking_id)[:32]


def review_pk(review_id: str) -> str:
    return f"REVIEW#{review_id}"


def venue_reviews_key(venue_id: str) -> str:
    return f"REVIEWS#VENUE#{venue_id}"


def _shard(value: str, shards: int) -> int:
    return zlib.crc32(value.encode()) % shards


def _aggregate_key(business_id: str, subject: str, subject_id: str) -> tuple[str, str]:
    kind = "VENUE" if subject == "venue" else "SPEC"
    return f"BIZ#{business_id}", f"RATING#{kind}#{subject_id}"


def _created_key(view: ReviewView) -> str:
    return f"{codec.encode(view.created_at)}#{view.review_id}"


def _item(view: ReviewView) -> Review:
    visible = view.visible
    return Review(
        review_pk(view.review_id),
        REVIEW_SK,
        gsi1pk=f"USER#{view.author_user_id}",
        gsi1sk=f"REVIEW#{_created_key(view)}",
        gsi2pk=venue_reviews_key(view.venue_id) if visible else None,
        gsi2sk=_created_key(view) if visible else None,
        gsi3pk=venue_reviews_key(view.venue_id) if visible else None,
        gsi3sk=f"{view.ratings.overall}#{_created_key(view)}" if visible else None,
        review_id=view.review_id,
        booking_id=view.booking_id,
        business_id=view.business_id,
        venue_id=view.venue_id,
        specialist_id=view.specialist_id,
        specialist_name=view.specialist_name,
        author_user_id=view.author_user_id,
        author_name=view.author_name,
        status=view.status.value,
        overall=view.ratings.overall,
        criteria=json.dumps(dict(view.ratings.criteria), sort_keys=True),
        text=view.text,
        created_at=view.created_at,
        updated_at=view.updated_at,
        hidden_reason=view.hidden_reason,
        moderated_at=view.moderated_at,
        reply_text=view.reply_text,
        reply_at=view.reply_at,
        reply_by=view.reply_by,
        version=view.version,
    )


_decode = db.decoder(Review)


def _view(values: Mapping[str, Any]) -> ReviewView:
    return ReviewView(
        review_id=values["review_id"],
        booking_id=values["booking_id"],
        business_id=values["business_id"],
        venue_id=values["venue_id"],
        specialist_id=values["specialist_id"],
        specialist_name=values["specialist_name"] or "",
        author_user_id=values["author_user_id"],
        author_name=values["author_name"],
        status=ReviewStatus(values["status"]),
        ratings=Ratings(int(values["overall"]), {k: int(v) for k, v in json.loads(values["criteria"] or "{}").items()}),
        text=values["text"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        version=int(values["version"]),
        hidden_reason=values["hidden_reason"],
        moderated_at=values["moderated_at"],
        reply_text=values["reply_text"],
        reply_at=values["reply_at"],
        reply_by=values["reply_by"],
    )


def _view_raw(item: Mapping[str, Any]) -> ReviewView:
    return _view(_decode(item))


# --- reads -------------------------------------------------------------------------------------


def get(review_id: str) -> ReviewView | None:
    """One GetItem (strongly consistent: writers condition on its version)."""
    item = db.get_raw(review_pk(review_id), REVIEW_SK)
    return _view_raw(item) if item else None


def get_many(review_ids: Sequence[str]) -> dict[str, ReviewView]:
    """One BatchGetItem per 100."""
    found = db.batch_get_raw([(review_pk(r), REVIEW_SK) for r in dict.fromkeys(review_ids)], consistent=False)
    return {view.review_id: view for view in (_view_raw(item) for item in found.values())}


SORTS = {"newest": ("GSI2", False), "highest": ("GSI3", False), "lowest": ("GSI3", True)}


def venue_page(
    venue_id: str, sort: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[ReviewView], dict[str, Any] | None]:
    """One Query: GSI2 (newest first) or GSI3 (by overall rating, highest or lowest first)."""
    index, ascending = SORTS[sort]
    attribute = TableItem.gsi2pk if index == "GSI2" else TableItem.gsi3pk
    items, last = db.query_raw(
        attribute == venue_reviews_key(venue_id), index=index, limit=limit, ascending=ascending, start_key=after
    )
    return [_view_raw(i) for i in items], last


def author_page(
    user_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[ReviewView], dict[str, Any] | None]:
    """One Query on GSI1 ``USER#<u>``, newest first (hidden ones included: the author sees them)."""
    condition = (TableItem.gsi1pk == f"USER#{user_id}") & TableItem.gsi1sk.startswith("REVIEW#")
    items, last = db.query_raw(condition, index="GSI1", limit=limit, ascending=False, start_key=after)
    return [_view_raw(i) for i in items], last


def visible_reviews_of_venue(venue_id: str) -> list[ReviewView]:
    """Every visible review of a venue (the reconciliation): Query GSI2, page after page."""
    return [_view_raw(i) for i in db.query_raw_all(TableItem.gsi2pk == venue_reviews_key(venue_id), index="GSI2")]


# --- aggregates --------------------------------------------------------------------------------


def _aggregate_actions(
    business_id: str, subject: str, subject_id: str, venue_id: str, change: Totals
) -> tuple[RatingAggregate, list[Action]]:
    pk, sk = _aggregate_key(business_id, subject, subject_id)
    item = RatingAggregate(pk, sk)
    actions: list[Action] = [
        RatingAggregate.entity.set(RatingAggregate),  # the first ADD creates the item: tag its type
        RatingAggregate.business_id.set(business_id),
        RatingAggregate.subject.set(subject),
        RatingAggregate.subject_id.set(subject_id),
        RatingAggregate.venue_id.set(venue_id),
        RatingAggregate.reviews_count.add(change.count),
        RatingAggregate.overall_sum.add(change.overall_sum),
    ]
    if subject == "venue":
        actions += [
            RatingAggregate.gsi1pk.set(f"RATINGS#{_shard(subject_id, RATING_SHARDS)}"),
            RatingAggregate.gsi1sk.set(f"VENUE#{subject_id}"),
        ]
    for name in CRITERIA:
        actions.append(getattr(RatingAggregate, f"{name}_count").add(change.criteria_count.get(name, 0)))
        actions.append(getattr(RatingAggregate, f"{name}_sum").add(change.criteria_sum.get(name, 0)))
    return item, actions


def _move_aggregates(tx: db.Transaction, view: ReviewView, change: Totals) -> None:
    """ADD the change to the venue's and the specialist's aggregates (no condition: ADD is
    exact whatever the order; the review's own condition makes the whole change happen once)."""
    if change == delta(None, None):
        return
    for subject, subject_id in (("venue", view.venue_id), ("specialist", view.specialist_id)):
        item, actions = _aggregate_actions(view.business_id, subject, subject_id, view.venue_id, change)
        tx.update(item, actions, role=f"aggregate:{subject}")


def _totals(values: Mapping[str, Any]) -> Totals:
    return Totals(
        int(values["reviews_count"] or 0),
        int(values["overall_sum"] or 0),
        {n: int(values[f"{n}_count"] or 0) for n in CRITERIA},
        {n: int(values[f"{n}_sum"] or 0) for n in CRITERIA},
    )


_decode_aggregate = db.decoder(RatingAggregate)


def _aggregate_view(item: Mapping[str, Any]) -> AggregateView:
    values = _decode_aggregate(item)
    return AggregateView(
        values["business_id"], values["subject"], values["subject_id"], values["venue_id"], _totals(values)
    )


def venue_totals(keys: Sequence[tuple[str, str]]) -> dict[str, Totals]:
    """The venue aggregates of (business id, venue id) pairs: one BatchGetItem per 100
    (eventually consistent: a listing's rating may lag a second behind)."""
    wanted = [_aggregate_key(b, "venue", v) for b, v in dict.fromkeys(keys)]
    found = db.batch_get_raw(wanted, consistent=False)
    return {view.subject_id: view.totals for view in (_aggregate_view(i) for i in found.values())}


def aggregate(business_id: str, subject: str, subject_id: str) -> AggregateView | None:
    """One GetItem (strongly consistent)."""
    item = db.get_raw(*_aggregate_key(business_id, subject, subject_id))
    return _aggregate_view(item) if item else None


def aggregates_page(shard: int, after: dict[str, Any] | None) -> tuple[list[AggregateView], dict[str, Any] | None]:
    """One page of one shard's venue aggregates (Query GSI1 ``RATINGS#<shard>``)."""
    items, last = db.query_raw(TableItem.gsi1pk == f"RATINGS#{shard}", index="GSI1", limit=100, start_key=after)
    return [_aggregate_view(i) for i in items], last


# --- writes (each adds to the caller's transaction; the caller commits) ---------------------------


def add_create(tx: db.Transaction, view: ReviewView) -> None:
    """The review, only if the booking has none (role ``review``), and the aggregates."""
    tx.put(_item(view), role="review", condition=Review.pk.does_not_exist())
    _move_aggregates(tx, view, delta(None, view.ratings if view.visible else None))


def add_replace(tx: db.Transaction, old: ReviewView, new: ReviewView) -> None:
    """The review rewritten on condition it is still at the version read (role ``review``);
    the aggregates move by the difference of what was and what is visible."""
    tx.put(_item(new), role="review", condition=Review.version == old.version)
    before = old.ratings if old.visible else None
    after = new.ratings if new.visible else None
    if old.specialist_id != new.specialist_id or old.venue_id != new.venue_id:  # never: the booking fixes them
        raise ValueError("a review cannot move to another venue or specialist")
    _move_aggregates(tx, new, delta(before, after))


def add_delete(tx: db.Transaction, old: ReviewView) -> None:
    """The review gone on condition it is at the version read; its queue entry with it; the
    aggregates lose it if it counted."""
    tx.delete(Review(review_pk(old.review_id), REVIEW_SK), role="review", condition=Review.version == old.version)
    tx.delete(ReviewQueueEntry(review_pk(old.review_id), QUEUE_SK), role="queue")
    _move_aggregates(tx, old, delta(old.ratings if old.visible else None, None))


def add_resolve_queue(tx: db.Transaction, review_id: str) -> None:
    """The moderation queue entry removed (the review's reports are dealt with)."""
    tx.delete(ReviewQueueEntry(review_pk(review_id), QUEUE_SK), role="queue")


def add_report(tx: db.Transaction, review_id: str, reporter: str, reason: str, text: str | None, at: datetime) -> None:
    """The report, once per reporter (role ``report``), and the review's queue entry (created
    or counted up; role ``queue``, conditional on the review existing)."""
    report = ReviewReport(
        review_pk(review_id),
        f"REPORT#{reporter}",
        gsi1pk=f"USER#{reporter}",
        gsi1sk=f"REVIEWREPORT#{review_id}",
        review_id=review_id,
        reporter_user_id=reporter,
        reason=reason,
        text=text,
        created_at=at,
    )
    tx.put(report, role="report", condition=ReviewReport.pk.does_not_exist())
    entry = ReviewQueueEntry(review_pk(review_id), QUEUE_SK)
    first = ReviewQueueEntry.first_reported_at
    stamp = codec.encode(at)
    tx.update(
        entry,
        [
            ReviewQueueEntry.entity.set(ReviewQueueEntry),
            ReviewQueueEntry.review_id.set(review_id),
            ReviewQueueEntry.reports.add(1),
            first.set(first | at),
            ReviewQueueEntry.last_reported_at.set(at),
            ReviewQueueEntry.gsi1pk.set(QUEUE_KEY),
            ReviewQueueEntry.gsi1sk.set(ReviewQueueEntry.gsi1sk | f"{stamp}#{review_id}"),
            ReviewQueueEntry.reasons.add({reason}),
        ],
        role="queue",
    )
    # The review must exist (and is not the reporter's concern otherwise): checked in the same
    # transaction, so a report never outlives a review deleted at the same instant.
    tx.check(Review(review_pk(review_id), REVIEW_SK), Review.pk.exists(), role="review")


def queue_page(limit: int, after: dict[str, Any] | None) -> tuple[list[QueueView], dict[str, Any] | None]:
    """One Query on GSI1 ``REVIEWQUEUE``, oldest first report first."""
    decode = db.decoder(ReviewQueueEntry)
    items, last = db.query_raw(TableItem.gsi1pk == QUEUE_KEY, index="GSI1", limit=limit, start_key=after)
    views = []
    for item in items:
        values = decode(item)
        views.append(
            QueueView(
                review_id=values["review_id"],
                reports=int(values["reports"] or 0),
                reasons=tuple(sorted(values["reasons"] or ())),
                first_reported_at=values["first_reported_at"],
                last_reported_at=values["last_reported_at"],
            )
        )
    return views, last


def with_review(views: Sequence[QueueView]) -> list[QueueView]:
    found = get_many([v.review_id for v in views])
    return [replace(v, review=found.get(v.review_id)) for v in views]


# --- erasure (the privacy engine, through privacy/subjects.py) -----------------------------------

ERASE_ATTEMPTS = 12


def erase(review_id: str) -> bool:
    """Remove an erased customer's review, moving the aggregates in the same transaction.
    Idempotent (a review already gone is done). Calls: GetItem review + TransactWriteItems;
    a lost race (a concurrent review of the venue) repeats both."""
    import random
    import time

    for attempt in range(ERASE_ATTEMPTS):
        old = get(review_id)
        if old is None:
            return False
        tx = db.Transaction()
        add_delete(tx, old)
        try:
            tx.commit()
            return True
        except db.TransactionCancelled:
            time.sleep(random.uniform(0, min(0.5, 0.01 * (2**attempt))))  # noqa: S311 - jitter
    from chalicelib import errors

    raise errors.DependencyUnavailable("The review could not be removed now; the erasure step retries")
