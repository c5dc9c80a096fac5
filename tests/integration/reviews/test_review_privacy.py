"""Reviews and reports in the user's export (RIGHT-1) and gone with the account (RET-7)."""

from __future__ import annotations

from datetime import timedelta

from tests.support.fixtures_reviews import review_body, seed_visit


def test_my_reviews_and_reports_are_in_my_export(api, salon, customer, signup, clock, buckets):
    # Given a customer who reviewed a visit and reported someone else's review
    visit = seed_visit(salon, customer.user_id, clock.now() - timedelta(hours=1))
    mine = api.post(
        f"/v1/bookings/{visit.booking_id}/review", review_body(4, text="Great fringe"), headers=customer.headers
    )
    other = signup(name="Other Reviewer")
    theirs_visit = seed_visit(salon, other.user_id, clock.now() - timedelta(hours=1))
    theirs = api.post(f"/v1/bookings/{theirs_visit.booking_id}/review", review_body(1), headers=other.headers)
    assert mine.status == 201 and theirs.status == 201
    assert (
        api.post(f"/v1/reviews/{theirs.json['id']}/reports", {"reason": "spam"}, headers=customer.headers).status == 201
    )
    # When they export their data
    export = api.post("/v1/me/exports", headers=customer.headers)
    # Then their review (with its text and ratings) and their report are in it, nobody else's
    assert export.status == 201, export.body
    records = export.json["data"]["records"]
    assert [r["text"] for r in records["Review"]] == ["Great fringe"]
    assert records["Review"][0]["overall"] == 4
    assert [r["reason"] for r in records["ReviewReport"]] == ["spam"]
    assert "review" in export.json["data"]["categories"]
