"""The aggregates are exact under concurrency: 50 reviews of one venue at once, then 20 edits and
10 deletes at once; the venue's and the specialists' count and sums equal a recount."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from chalicelib.domain.reviews import CRITERIA, Ratings
from tests.support.fixtures_bookings import run_concurrently
from tests.support.fixtures_reviews import seed_visit


def _principal(user_id):
    from chalicelib.domain.identity import Principal

    return Principal(user_id=user_id, session_id="test")


def _recounted(salon):
    from chalicelib.domain import reviews as rules
    from chalicelib.services import reviews
    from chalicelib.store import reviews as store

    venue, specialists = reviews.recount(store.visible_reviews_of_venue(salon.venue_id))
    stored = store.aggregate(salon.business_id, "venue", salon.venue_id)
    assert stored is not None
    assert rules.normalised(stored.totals) == venue
    for specialist_id, totals in specialists.items():
        found = store.aggregate(salon.business_id, "specialist", specialist_id)
        assert found is not None and rules.normalised(found.totals) == totals
    return venue


@pytest.mark.ddblocal
def test_50_concurrent_reviews_20_edits_and_10_deletes_leave_exact_aggregates(concurrent_api, aws, salon, clock):
    if aws == "moto":
        pytest.skip("moto applies requests one at a time (concurrent_api): only DynamoDB Local races them")
    # proves: REV-1
    from chalicelib.services import reviews

    now = clock.now()
    rng = random.Random(15)
    # Given 50 attended visits of one venue by 50 customers, across its 3 specialists
    visits = [seed_visit(salon, f"user-{n:02d}", now - timedelta(hours=2), specialist=n % 3) for n in range(50)]

    def ratings() -> Ratings:
        chosen = rng.sample(CRITERIA, rng.randint(0, len(CRITERIA)))
        return Ratings(rng.randint(1, 5), {name: rng.randint(1, 5) for name in chosen})

    planned = [ratings() for _ in visits]
    # When all 50 review at once (threads <= 50)
    created = run_concurrently(
        [
            (lambda v=v, r=r: reviews.create(_principal(v.customer_user_id), v.booking_id, r, "ok", now))
            for v, r in zip(visits, planned, strict=True)
        ]
    )
    # Then every review counted exactly once
    assert len(created) == 50
    venue = _recounted(salon)
    assert venue.count == 50 and venue.overall_sum == sum(r.overall for r in planned)

    # When 20 of them are edited and 10 others deleted, all at once
    edits = [(v, ratings()) for v in visits[:20]]
    deletes = visits[20:30]
    calls = [
        (lambda v=v, r=r: reviews.edit(_principal(v.customer_user_id), v.booking_id, r, reviews.UNSET, now))
        for v, r in edits
    ]
    calls += [(lambda v=v: reviews.delete(_principal(v.customer_user_id), v.booking_id)) for v in deletes]
    run_concurrently(calls)
    # Then the aggregates equal a recount, which equals what the writes say
    venue = _recounted(salon)
    expected = [r for _, r in edits] + planned[30:]
    assert venue.count == 40
    assert venue.overall_sum == sum(r.overall for r in expected)
    for name in CRITERIA:
        assert venue.criteria_count[name] == sum(name in r.criteria for r in expected)
        assert venue.criteria_sum[name] == sum(r.criteria.get(name, 0) for r in expected)
    # And the reconciliation finds no drift
    assert reviews.reconcile_venue(salon.business_id, salon.venue_id) == 0


def test_a_retried_create_does_not_count_twice(aws, salon, clock):
    # proves: REV-1
    from chalicelib.domain import reviews as rules
    from chalicelib.services import reviews

    # Given a committed review
    visit = seed_visit(salon, "user-retry", clock.now() - timedelta(hours=1))
    reviews.create(_principal("user-retry"), visit.booking_id, Ratings(4), None, clock.now())
    # When the same create runs again (a client's retry after a lost answer)
    with pytest.raises(rules.AlreadyReviewed):
        reviews.create(_principal("user-retry"), visit.booking_id, Ratings(4), None, clock.now())
    # Then the aggregate still counts one
    assert _recounted(salon).count == 1


def test_the_reconciliation_reports_drift_as_a_metric(aws, salon, clock, monkeypatch):
    from chalicelib import observability, schedules
    from chalicelib.services import reviews
    from chalicelib.store import db
    from chalicelib.store import reviews as store

    # Given two venues' reviews whose aggregates are exact
    visit = seed_visit(salon, "user-a", clock.now() - timedelta(hours=1), specialist=1)
    reviews.create(_principal("user-a"), visit.booking_id, Ratings(4, {"staff": 5}), None, clock.now())
    emitted: list[tuple[str, float]] = []
    real_add = observability.metrics.add_metric

    def add_metric(name, unit, value, **kwargs):
        emitted.append((name, value))
        real_add(name=name, unit=unit, value=value, **kwargs)

    monkeypatch.setattr(observability.metrics, "add_metric", add_metric)
    # When the schedule runs, then it checks the venue and finds no drift
    assert schedules.run_rating_reconciliation() == {"checked": 1, "drift": 0}
    # When a write outside the review transaction moves the venue's aggregate
    item = store.RatingAggregate(*store._aggregate_key(salon.business_id, "venue", salon.venue_id))
    db.update(item, [store.RatingAggregate.overall_sum.add(1)])
    # Then the next run reports one drifted aggregate in the metric the alarm watches
    assert schedules.run_rating_reconciliation() == {"checked": 1, "drift": 1}
    assert emitted == [(schedules.RATING_DRIFT_METRIC, 0), (schedules.RATING_DRIFT_METRIC, 1)]
