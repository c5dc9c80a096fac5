"""Round trips through the store for reviews, reports, queue entries and rating aggregates:
value -> store write -> read back -> equal, every field, at its extremes. On moto and on
DynamoDB Local."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.reviews import CRITERIA, Ratings, ReviewStatus, delta
from chalicelib.store import db
from chalicelib.store import reviews as store

COVERS = ("Review", "ReviewReport", "ReviewQueueEntry", "RatingAggregate")

YEAR_837 = datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 20, 23, 59, 59, 999999, tzinfo=UTC)
LONG = "Ä" + "n" * 1998 + "ß"


def _review(at: datetime, rich: bool) -> store.ReviewView:
    return store.ReviewView(
        review_id=store.review_id_for(f"booking-{rich}-{at.year}"),
        booking_id=f"booking-{rich}-{at.year}",
        business_id="b" * 32,
        venue_id="v" * 32,
        specialist_id="p" * 32,
        specialist_name=LONG[:120] if rich else "",
        author_user_id="u" * 32,
        author_name="Ada L." if rich else "Former customer",
        status=ReviewStatus.HIDDEN if rich else ReviewStatus.VISIBLE,
        ratings=Ratings(5, {name: 1 for name in CRITERIA}) if rich else Ratings(1),
        text=LONG if rich else None,
        created_at=at,
        updated_at=at + timedelta(days=1),
        version=10**12 if rich else 1,
        hidden_reason="Insults\\nstaff" if rich else None,
        moderated_at=at + timedelta(days=2) if rich else None,
        reply_text=LONG[:1000] if rich else None,
        reply_at=at + timedelta(days=3) if rich else None,
        reply_by="m" * 32 if rich else None,
    )


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_837, YEAR_9999 - timedelta(days=5)])
@pytest.mark.parametrize("rich", [False, True])
def test_a_review_and_its_aggregates_round_trip(aws, at, rich):
    # Given a review at an extreme of the accepted range
    review = _review(at, rich)
    # When it is written through the store and read back
    tx = db.Transaction()
    store.add_create(tx, review)
    tx.commit()
    read = store.get(review.review_id)
    # Then every field is as written
    assert read is not None
    for f in fields(store.ReviewView):
        assert getattr(read, f.name) == getattr(review, f.name), f.name
    # And the aggregates hold what a visible review adds (a hidden one adds nothing)
    found = store.aggregate(review.business_id, "venue", review.venue_id)
    if rich:
        assert found is None
    else:
        assert found is not None and found.totals == delta(None, review.ratings)
        assert [r.review_id for r in store.author_page("u" * 32, 10, None)[0]] == [review.review_id]


@pytest.mark.ddblocal
def test_a_report_and_its_queue_entry_round_trip(aws):
    # Given a review and two reports of it
    review = _review(YEAR_837, rich=False)
    tx = db.Transaction()
    store.add_create(tx, review)
    tx.commit()
    for reporter, reason, at in (("r1", "spam", YEAR_837), ("r2", "other", YEAR_9999)):
        tx = db.Transaction()
        store.add_report(tx, review.review_id, reporter, reason, LONG[:500], at)
        tx.commit()
    # When the queue is read back
    [entry] = store.queue_page(10, None)[0]
    # Then it counts both, keeps the first report's instant for its order and the distinct reasons
    assert entry.review_id == review.review_id and entry.reports == 2
    assert entry.reasons == ("other", "spam")
    assert entry.first_reported_at == YEAR_837 and entry.last_reported_at == YEAR_9999
    report = db.get(store.ReviewReport, store.review_pk(review.review_id), "REPORT#r1")
    assert report is not None and report.text == LONG[:500] and report.created_at == YEAR_837
