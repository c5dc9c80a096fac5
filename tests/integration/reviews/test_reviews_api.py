"""Reviews over HTTP: who may review what and when (REV-1), the public view (REV-2), edits,
deletion at any time (RET-7) and the aggregates each moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.bookings import BookingStatus
from tests.support.fixtures_bookings import relogin
from tests.support.fixtures_reviews import review_body, seed_visit


def _venue_totals(salon):
    from chalicelib.store import reviews

    found = reviews.aggregate(salon.business_id, "venue", salon.venue_id)
    return (found.totals.count, found.totals.overall_sum) if found else (0, 0)


def test_a_customer_reviews_an_attended_visit_once(api, salon, customer, clock):
    # proves: REV-1
    # Given a visit the venue marked attended, ended an hour ago
    visit = seed_visit(salon, customer.user_id, clock.now() - timedelta(hours=1))
    # When its customer reviews it
    first = api.post(
        f"/v1/bookings/{visit.booking_id}/review", review_body(4, service=5, value=3), headers=customer.headers
    )
    # Then it is published and the venue's aggregate counts it
    assert first.status == 201, first.body
    assert first.json["status"] == "visible" and first.json["ratings"]["service"] == 5
    assert first.json["ratings"]["staff"] is None
    assert _venue_totals(salon) == (1, 4)
    # And a second review of the same booking is refused, the aggregate unmoved
    second = api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(1), headers=customer.headers)
    assert second.status == 409 and second.json["type"] == "/problems/review-exists"
    assert _venue_totals(salon) == (1, 4)


@pytest.mark.parametrize(
    ("status", "ends_in", "problem"),
    [
        (BookingStatus.CANCELLED, timedelta(hours=-1), "review-booking-cancelled"),
        (BookingStatus.NO_SHOW, timedelta(hours=-1), "review-booking-no-show"),
        (BookingStatus.COMPLETED, timedelta(minutes=30), "review-visit-not-ended"),
        (BookingStatus.CONFIRMED, timedelta(days=2), "review-visit-not-ended"),
        (BookingStatus.CONFIRMED, timedelta(hours=-1), "review-not-attended"),
        (BookingStatus.COMPLETED, timedelta(days=-91), "review-window-closed"),
    ],
)
def test_only_attended_ended_visits_within_the_window_can_be_reviewed(
    api, salon, customer, clock, status, ends_in, problem
):
    # proves: REV-1
    # Given a booking in ``status`` ending at now + ``ends_in``
    visit = seed_visit(salon, customer.user_id, clock.now() + ends_in, status=status)
    # When its customer tries to review it
    response = api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(), headers=customer.headers)
    # Then it is refused with a problem type of its own, and nothing is counted
    assert response.status == 409, response.body
    assert response.json["type"] == f"/problems/{problem}"
    assert _venue_totals(salon) == (0, 0)


def test_someone_elses_booking_is_not_found(api, salon, customer, signup, clock):
    # proves: REV-1
    # Given another customer's attended visit
    other = signup(name="Other Customer")
    visit = seed_visit(salon, other.user_id, clock.now() - timedelta(hours=1))
    # When this customer tries to review it, edit or delete its review
    response = api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(), headers=customer.headers)
    # Then it is a 404, as for any booking they cannot see
    assert response.status == 404, response.body
    assert api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(), headers=other.headers).status == 201
    patch = api.patch(f"/v1/bookings/{visit.booking_id}/review", {"text": "mine now"}, headers=customer.headers)
    assert patch.status == 404
    assert api.delete(f"/v1/bookings/{visit.booking_id}/review", headers=customer.headers).status == 204
    assert _venue_totals(salon) == (1, 5)


def test_edit_within_30_days_moves_the_aggregate_by_the_difference(api, salon, customer, clock):
    # Given a posted review of 5 stars
    visit = seed_visit(salon, customer.user_id, clock.now() - timedelta(hours=1))
    assert api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(5), headers=customer.headers).status == 201
    # When it is edited to 2 stars 29 days later
    clock.advance(timedelta(days=29))
    relogin(customer)
    edited = api.patch(
        f"/v1/bookings/{visit.booking_id}/review", {"ratings": {"overall": 2}, "text": None}, headers=customer.headers
    )
    # Then the review and the aggregate show 2
    assert edited.status == 200, edited.body
    assert edited.json["ratings"]["overall"] == 2 and edited.json["text"] is None
    assert _venue_totals(salon) == (1, 2)
    # And after 30 days an edit is refused, but deleting still works and moves the aggregate (RET-7)
    clock.advance(timedelta(days=2))
    relogin(customer)
    late = api.patch(f"/v1/bookings/{visit.booking_id}/review", {"ratings": {"overall": 5}}, headers=customer.headers)
    assert late.status == 409 and late.json["type"] == "/problems/review-edit-window-closed"
    assert _venue_totals(salon) == (1, 2)
    # proves: RET-7
    assert api.delete(f"/v1/bookings/{visit.booking_id}/review", headers=customer.headers).status == 204
    assert _venue_totals(salon) == (0, 0)
    mine = api.get("/v1/me/reviews", headers=customer.headers)
    assert mine.status == 200 and mine.json["items"] == []


REV2_FIELDS = {"id", "reviewer_name", "ratings", "text", "created_at", "specialist_name", "reply"}


def test_the_public_list_shows_only_rev2_fields_and_sorts(api, salon, signup, clock):
    # proves: REV-2
    # Given three customers' reviews of 3, 5 and 1 stars, posted in that order
    for overall in (3, 5, 1):
        person = signup(name="Ada Lovelace", email=None)
        visit = seed_visit(salon, person.user_id, clock.now() - timedelta(hours=2))
        created = api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(overall), headers=person.headers)
        assert created.status == 201, created.body
        clock.advance(timedelta(minutes=1))
    # When anyone reads the venue's reviews, in each order
    newest = api.get(f"/v1/venues/{salon.venue_id}/reviews")
    highest = api.get(f"/v1/venues/{salon.venue_id}/reviews?sort=highest")
    lowest = api.get(f"/v1/venues/{salon.venue_id}/reviews?sort=lowest&limit=2")
    # Then each is one page in its order, with exactly the REV-2 fields
    assert newest.status == 200, newest.body
    assert [r["ratings"]["overall"] for r in newest.json["items"]] == [1, 5, 3]
    assert [r["ratings"]["overall"] for r in highest.json["items"]] == [5, 3, 1]
    assert [r["ratings"]["overall"] for r in lowest.json["items"]] == [1, 3]
    following = api.get(f"/v1/venues/{salon.venue_id}/reviews?sort=lowest&limit=2&cursor={lowest.json['next_cursor']}")
    assert [r["ratings"]["overall"] for r in following.json["items"]] == [5]
    for item in newest.json["items"]:
        assert set(item) == REV2_FIELDS
        assert item["reviewer_name"] == "Ada L."
        assert item["specialist_name"] == salon.specialists[0].name
    # And the answer states how reviews are verified, and the rating (count 3 = the minimum)
    assert newest.json["verification"] == (
        "Only customers whose visit the venue marked attended can review it, "
        "once per visit, within 90 days of the visit."
    )
    assert newest.json["review_count"] == 3
    assert newest.json["rating"] == round((5 * 3.5 + 9) / (5 + 3), 2)


def test_venue_listings_and_page_carry_the_rating_from_the_minimum_count(api, salon, signup, clock):
    # Given a venue with two reviews (below the minimum of 3)
    def review(overall):
        person = signup(name="Lin Chen")
        visit = seed_visit(salon, person.user_id, clock.now() - timedelta(hours=2))
        assert (
            api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(overall), headers=person.headers).status
            == 201
        )

    review(5)
    review(4)
    # Then listings and the venue page show the count but no rating
    [listed] = api.get("/v1/venues?city=Berlin").json["items"]
    assert (listed["rating"], listed["review_count"]) == (None, 2)
    page = api.get(f"/v1/venues/{salon.venue_id}").json
    assert (page["rating"], page["review_count"]) == (None, 2)
    # When a third review arrives, then both carry the Bayesian average
    review(5)
    expected = round((5 * 3.5 + 14) / (5 + 3), 2)
    [listed] = api.get("/v1/venues?city=Berlin").json["items"]
    assert (listed["rating"], listed["review_count"]) == (expected, 3)
    assert api.get(f"/v1/venues/{salon.venue_id}").json["rating"] == expected
