"""Service-quality surveys (REV-3): one invitation per attended visit, a signed link that
answers once without sign-in, one answer per booking, exact per-venue counters."""

from __future__ import annotations

import base64
import re
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from tests.support.fixtures_bookings import relogin

ANSWER = {
    "attended": True,
    "feedback": "Friendly, on time.",
    "prices": {"offered_minor": 3500, "paid_minor": 4000, "currency": "EUR"},
}


def _attended_visits(api: Any, salon: Any, clock: Any, *customers: Any) -> list[str]:
    """One booking per customer (tomorrow, an hour apart), the clock past them, all marked attended."""
    made = [
        api.post("/v1/bookings", salon.body(salon.at(1, f"{10 + n}:00")), headers=person.headers).json["id"]
        for n, person in enumerate(customers)
    ]
    clock.advance(timedelta(days=1, hours=4 + len(customers)))
    for person in (salon.owner, *customers):
        relogin(person)
    for booking_id in made:
        marked = api.post(
            f"/v1/businesses/{salon.business_id}/bookings/{booking_id}/attended", headers=salon.owner.headers
        )
        assert marked.status == 200, marked.body
    return [str(b) for b in made]


def _attended(api: Any, salon: Any, customer: Any, clock: Any) -> str:
    return _attended_visits(api, salon, clock, customer)[0]


def _survey_links(notify: Any) -> list[str]:
    return [m for _, body in notify.outbox.sms() for m in re.findall(r"https?://\S+/v1/survey\?token=\S+", body)]


def _token(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]


def test_an_attended_visit_gets_one_invitation_whose_link_answers_once_without_sign_in(
    api, salon, customer, clock, notify, operator
):
    # proves: REV-3
    # Given a visit the business marks attended, and the event relayed twice
    booking_id = _attended(api, salon, customer, clock)
    notify.drain()
    from chalicelib.services import subscribers, surveys

    surveys.invite(
        f"{booking_id}:completed",
        {"booking_id": booking_id, "business_id": salon.business_id, "customer_user_id": customer.user_id},
        clock.now(),
    )
    notify.drain()
    # Then the customer got exactly one survey invitation (SMS), with a link
    links = _survey_links(notify)
    assert len(links) == 1, notify.outbox.sms()
    assert any(s.name == "surveys" for s in subscribers.SUBSCRIPTIONS)
    token = _token(links[0])
    # When the link is opened without signing in, it says what it is about and changes nothing
    preview = api.get(f"/v1/survey?token={urllib.parse.quote(token)}")
    assert preview.status == 200 and preview.json["booking_id"] == booking_id and preview.json["answered"] is False
    # When it is answered without signing in
    answered = api.post(f"/v1/survey?token={urllib.parse.quote(token)}", ANSWER)
    assert answered.status == 201, answered.body
    assert answered.json["via"] == "link" and answered.json["prices"]["paid_minor"] == 4000
    # Then the same link a second time is refused with a clear problem, and signed in too
    again = api.post(f"/v1/survey?token={urllib.parse.quote(token)}", {"attended": False})
    assert again.status == 409 and again.json["type"] == "/problems/survey-link-used"
    signed_in = api.post(f"/v1/bookings/{booking_id}/survey", {"attended": False}, headers=customer.headers)
    assert signed_in.status == 409 and signed_in.json["type"] == "/problems/survey-already-answered"
    assert api.get(f"/v1/survey?token={urllib.parse.quote(token)}").json["answered"] is True
    # And the customer sees their answer; operators see the venue's aggregates
    mine = api.get(f"/v1/bookings/{booking_id}/survey", headers=customer.headers)
    assert mine.status == 200 and mine.json["attended"] is True
    relogin(operator)
    totals = api.get(f"/v1/operator/surveys?venue_id={salon.venue_id}", headers=operator.headers)
    assert totals.status == 200
    [venue] = totals.json["items"]
    assert (venue["answers"], venue["attended"], venue["attendance_rate"]) == (1, 1, 1.0)
    assert venue["price_gaps"] == [{"currency": "EUR", "priced_answers": 1, "mean_gap_minor": 500.0}]
    # And a customer is not an operator
    assert api.get("/v1/operator/surveys", headers=customer.headers).status == 403


def _forge(token: str, payload: bytes) -> str:
    _, tag = token.split(".", 1)
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "." + tag


def test_forged_widened_foreign_and_expired_links_are_refused(api, salon, customer, clock, signup):
    # proves: REV-3
    from chalicelib.notify import surveys as links
    from chalicelib.notify import unsubscribe
    from chalicelib.notify.messages import Category, Channel

    # Given a real link to an attended booking, and another customer's booking
    other = signup(name="Other Customer")
    booking_id, other_booking = _attended_visits(api, salon, clock, customer, other)
    expires = clock.now() + timedelta(days=30)
    token = links.make_token(booking_id, customer.user_id, expires)
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    forged = {
        "another booking, same tag": _forge(token, payload.replace(booking_id.encode(), other_booking.encode())),
        "a later deadline, same tag": _forge(token, payload[:-3] + b"999"),
        "an unsubscribe token": unsubscribe.make_token(customer.user_id, Category.SURVEYS, Channel.SMS),
        "garbage": "x" * 40,
    }
    for why, bad in forged.items():
        # When a forged or foreign token is used
        answer = api.post(f"/v1/survey?token={urllib.parse.quote(bad)}", {"attended": True})
        # Then it is refused, naming the token, and nothing is recorded
        assert answer.status == 422, why
        assert answer.json["errors"][0]["field"] == "query.token", why
    # A token for another customer's booking (signed, but the booking is not theirs) is refused too
    widened = links.make_token(other_booking, customer.user_id, expires)
    assert api.post(f"/v1/survey?token={urllib.parse.quote(widened)}", {"attended": True}).status == 422
    assert api.get(f"/v1/bookings/{other_booking}/survey", headers=other.headers).status == 404
    # When the link's time is up (30 days by default), it answers 410
    clock.advance(timedelta(days=31))
    late = api.post(f"/v1/survey?token={urllib.parse.quote(token)}", {"attended": True})
    assert late.status == 410 and late.json["type"] == "/problems/survey-link-expired"


def test_signed_in_answers_only_for_my_attended_booking_and_once(api, salon, customer, clock, signup):
    # proves: REV-3
    # Given a booking not yet attended, an attended one and another customer
    pending = api.post("/v1/bookings", salon.body(salon.at(1, "16:00")), headers=customer.headers).json["id"]
    booking_id = _attended(api, salon, customer, clock)
    stranger = signup(name="Stranger")
    # Then the pending one has no survey, a stranger cannot answer mine, I can answer once
    early = api.post(f"/v1/bookings/{pending}/survey", {"attended": True}, headers=customer.headers)
    assert early.status == 409 and early.json["type"] == "/problems/survey-not-open"
    assert api.post(f"/v1/bookings/{booking_id}/survey", ANSWER, headers=stranger.headers).status == 404
    first = api.post(
        f"/v1/bookings/{booking_id}/survey",
        {"attended": False, "feedback": "I was not there"},
        headers=customer.headers,
    )
    assert first.status == 201 and first.json["via"] == "app" and first.json["prices"] is None
    second = api.post(f"/v1/bookings/{booking_id}/survey", ANSWER, headers=customer.headers)
    assert second.status == 409
    # And half a price is refused by the contract (prices come as one object)
    broken = api.post(
        f"/v1/bookings/{pending}/survey", {"attended": True, "prices": {"paid_minor": 1}}, headers=customer.headers
    )
    assert broken.status == 422


@pytest.mark.ddblocal
def test_venue_counters_equal_a_recount_under_concurrent_and_repeated_answers(
    concurrent_api, salon, clock, signup, operator
):
    # proves: REV-3
    from chalicelib.notify import surveys as links
    from chalicelib.store import surveys as store

    api = concurrent_api
    # Given 12 attended bookings of one venue, by 12 customers
    people = [signup(name=f"Customer {n}") for n in range(12)]
    starts = [salon.at(1 + n // 6, f"{10 + n % 6}:00") for n in range(12)]
    bookings = []
    for person, start in zip(people, starts, strict=True):
        made = api.post("/v1/bookings", salon.body(start), headers=person.headers)
        assert made.status == 201, made.body
        bookings.append((person, made.json["id"]))
    clock.advance(timedelta(days=3))
    relogin(salon.owner)
    for _, booking_id in bookings:
        path = f"/v1/businesses/{salon.business_id}/bookings/{booking_id}/attended"
        assert api.post(path, headers=salon.owner.headers).status == 200
    expires = clock.now() + timedelta(days=30)

    def answer(n: int) -> int:
        person, booking_id = bookings[n % 12]
        body = {
            "attended": n % 3 != 0,
            "prices": {"offered_minor": 1000, "paid_minor": 1000 + n % 12, "currency": "EUR"},
        }
        token = links.make_token(booking_id, person.user_id, expires)
        return api.post(f"/v1/survey?token={urllib.parse.quote(token)}", body).status

    # When every link is used three times at once (36 requests, 12 threads)
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(answer, range(36)))
    # Then exactly one answer per booking won and the counters equal a recount of the answers
    assert statuses.count(201) == 12 and statuses.count(409) == 24, statuses
    answers = [store.get_answer(b) for _, b in bookings]
    assert all(a is not None for a in answers)
    totals = store.venue_totals(salon.venue_id)
    assert totals is not None
    assert totals.answers == 12
    assert totals.attended == sum(1 for a in answers if a and a.answer.attended)
    assert totals.gaps["EUR"] == (12, sum(a.answer.gap_minor for a in answers if a))
