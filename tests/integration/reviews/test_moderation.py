"""Business replies, reports and the operators' moderation: each audited in its own change's
transaction (SEC-6); a hidden review leaves the public list and the aggregates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.identity import Role
from tests.support.fixtures_reviews import review_body, seed_visit


def _actions(business_id):
    from chalicelib.store.audit import list_records

    return sorted(r.action for r in list_records(business_id))


@pytest.fixture
def posted(api, salon, customer, clock):
    """A published 2-star review of the salon by ``customer``: its id."""
    visit = seed_visit(salon, customer.user_id, clock.now() - timedelta(hours=1))
    created = api.post(f"/v1/bookings/{visit.booking_id}/review", review_body(2), headers=customer.headers)
    assert created.status == 201, created.body
    return created.json["id"]


def test_owner_or_manager_replies_once_and_edits_it_audited(api, salon, staff, posted):
    # proves: SEC-6
    # Given a review, the salon's manager and one of its specialists
    manager = staff(salon.business_id, Role.MANAGER, name="Mia Manager")
    specialist = staff(salon.business_id, Role.SPECIALIST, name="Sam Specialist")
    url = f"/v1/businesses/{salon.business_id}/reviews/{posted}/reply"
    # When a specialist tries to reply, then the manager replies and edits the reply
    assert api.put(url, {"text": "Sorry"}, headers=specialist.headers).status == 403
    first = api.put(url, {"text": "Sorry to hear that"}, headers=manager.headers)
    second = api.put(url, {"text": "Sorry; please come back"}, headers=manager.headers)
    # Then there is one reply, the latest, shown publicly, and each write was audited
    assert first.status == 200 and second.status == 200, second.body
    public = api.get(f"/v1/venues/{salon.venue_id}/reviews").json["items"]
    assert [r["reply"]["text"] for r in public] == ["Sorry; please come back"]
    assert _actions(salon.business_id) == ["review.replied", "review.reply_edited"]
    # And another business's owner cannot reply to it
    from tests.support.fixtures_bookings import make_salon

    other = make_salon(staff("unused", Role.OWNER, name="Other Owner"), salon.at(0, "09:00"))
    foreign = api.put(
        f"/v1/businesses/{other.business_id}/reviews/{posted}/reply", {"text": "Hi"}, headers=other.owner.headers
    )
    assert foreign.status == 404


def test_reports_queue_hide_and_restore(api, salon, customer, signup, operator, posted):
    # proves: SEC-6
    # Given two users who report the review, one of them twice
    first, second = signup(name="Rita Reporter"), signup(name="Rob Reporter")
    url = f"/v1/reviews/{posted}/reports"
    assert api.post(url, {"reason": "offensive", "text": "Rude"}, headers=first.headers).status == 201
    again = api.post(url, {"reason": "spam"}, headers=first.headers)
    assert again.status == 409 and again.json["type"] == "/problems/review-already-reported"
    assert api.post(url, {"reason": "spam"}, headers=second.headers).status == 201
    assert api.post("/v1/reviews/nope/reports", {"reason": "spam"}, headers=second.headers).status == 404
    # When an operator reads the queue (customers cannot) and hides the review
    assert api.get("/v1/operator/review-reports", headers=customer.headers).status == 403
    queue = api.get("/v1/operator/review-reports", headers=operator.headers)
    assert queue.status == 200, queue.body
    [entry] = queue.json["items"]
    assert entry["review_id"] == posted and entry["reports"] == 2
    assert sorted(entry["reasons"]) == ["offensive", "spam"]
    hidden = api.post(f"/v1/operator/reviews/{posted}/hide", {"reason": "Insults staff"}, headers=operator.headers)
    assert hidden.status == 200, hidden.body
    # Then it leaves the public list, the rating and the queue; its author sees it hidden
    public = api.get(f"/v1/venues/{salon.venue_id}/reviews").json
    assert public["items"] == [] and public["review_count"] == 0
    assert api.get("/v1/operator/review-reports", headers=operator.headers).json["items"] == []
    [mine] = api.get("/v1/me/reviews", headers=customer.headers).json["items"]
    assert mine["status"] == "hidden" and mine["hidden_reason"] == "Insults staff"
    twice = api.post(f"/v1/operator/reviews/{posted}/hide", {"reason": "again"}, headers=operator.headers)
    assert twice.status == 409
    # And restoring puts it back in the list and the aggregates; both moderations are audited
    restored = api.post(f"/v1/operator/reviews/{posted}/restore", {"reason": "Appeal upheld"}, headers=operator.headers)
    assert restored.status == 200 and restored.json["status"] == "visible"
    assert api.get(f"/v1/venues/{salon.venue_id}/reviews").json["review_count"] == 1
    assert _actions(salon.business_id) == ["review.hidden", "review.restored"]
    assert api.post(f"/v1/operator/reviews/{posted}/hide", {"reason": "x"}, headers=customer.headers).status == 403


def test_reports_are_rate_limited(api, posted, signup, monkeypatch):
    from chalicelib.settings import get_settings

    # Given a limit of 10 reports per hour per user, and a user who already sent 10
    reporter = signup(name="Busy Reporter")
    assert get_settings().review_report_limit == 10
    for _ in range(10):
        api.post("/v1/reviews/unknown-review/reports", {"reason": "spam"}, headers=reporter.headers)
    # When they report once more
    refused = api.post(f"/v1/reviews/{posted}/reports", {"reason": "spam"}, headers=reporter.headers)
    # Then it is refused until the window ends
    assert refused.status == 429, refused.body
