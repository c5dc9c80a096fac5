"""Calendar feeds: a specialist's, a venue's and a customer's subscribable ICS URL.

A calendar client fetches the URL with a plain GET (no Authorization header, no cookie):
the token is the credential. The feed lists upcoming bookings with the service and the
customer's first name only; revoking it, issuing a new one, or the member leaving ends it (404)."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace
from typing import Any

import pytest
from icalendar import Calendar

from chalicelib.domain.identity import Role


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _client_get(api: Any, url: str) -> Any:
    """What a calendar app sends when subscribed: GET, a User-Agent, nothing else."""
    return api.get(_path(url), headers={"User-Agent": "Google-Calendar-Importer", "Accept": "text/calendar"})


def _events(response: Any) -> list[Any]:
    calendar = Calendar.from_ical(response.body.decode())
    return list(calendar.walk("VEVENT"))


@pytest.mark.ddblocal
def test_specialist_feed_shows_first_names_and_ends_on_revoke_and_on_leaving(api, salon, signup, staff, clock):
    # proves: SHARE-1, SEC-5, SEC-6
    # Given a specialist linked to a staff account, and two customers booked with them
    from chalicelib.store import catalog, memberships

    mia = staff(salon.business_id, Role.SPECIALIST, name="Mia Specialist")
    spec = salon.specialists[0]
    linked = replace(catalog.get_specialist(salon.business_id, salon.venue_id, spec.specialist_id), user_id=mia.user_id)
    catalog.save_specialist(linked)
    ada = signup(name="Ada Lovelace", email="ada@example.com")
    bob = signup(name="Bob Builder")
    for person, day in ((ada, 1), (bob, 2)):
        body = salon.body(salon.at(day, "10:00"), spec.specialist_id, notes="Secret note, call me")
        assert api.post("/v1/bookings", body, headers=person.headers).status == 201
    # When the specialist issues their feed
    issued = api.post(
        f"/v1/businesses/{salon.business_id}/calendar-feeds",
        {"venue_id": salon.venue_id, "specialist_id": spec.specialist_id},
        headers=mia.headers,
    )
    assert issued.status == 201, issued.body
    url, webcal = issued.json["url"], issued.json["webcal_url"]
    assert url.startswith("http") and webcal.startswith("webcal://") and webcal.split("://")[1] == url.split("://")[1]
    # Then a calendar client's plain GET gets text/calendar that an iCalendar parser reads
    response = _client_get(api, url)
    assert response.status == 200 and response.content_type == "text/calendar"
    assert "private" in response.headers["Cache-Control"] and "Set-Cookie" not in response.headers
    events = _events(response)
    assert sorted(str(e["SUMMARY"]) for e in events) == ["Cut, wash; style: Ada", "Cut, wash; style: Bob"]
    # And nothing but the first name of a customer is in it (no surname, phone, e-mail, notes)
    text = response.body.decode().replace("\r\n ", "")
    for secret in ("Lovelace", "Builder", ada.phone, bob.phone, "ada@example.com", "Secret note"):
        assert secret not in text
    # And the fetch is an audited staff read of customer data
    from tests.integration.bookings.test_booking_flow import _audit_actions

    assert "booking.feed_read" in _audit_actions(salon.business_id)
    # When the specialist issues a new URL, the old one stops; when they revoke it, the new one too
    renewed = api.post(
        f"/v1/businesses/{salon.business_id}/calendar-feeds",
        {"venue_id": salon.venue_id, "specialist_id": spec.specialist_id},
        headers=mia.headers,
    ).json["url"]
    assert _client_get(api, url).status == 404 and _client_get(api, renewed).status == 200
    query = f"venue_id={salon.venue_id}&specialist_id={spec.specialist_id}"
    assert api.delete(f"/v1/businesses/{salon.business_id}/calendar-feeds?{query}", headers=mia.headers).status == 204
    assert _client_get(api, renewed).status == 404
    assert api.delete(f"/v1/businesses/{salon.business_id}/calendar-feeds?{query}", headers=mia.headers).status == 204
    # When a live feed's member leaves the business, it answers 404 at once
    last = api.post(
        f"/v1/businesses/{salon.business_id}/calendar-feeds",
        {"venue_id": salon.venue_id, "specialist_id": spec.specialist_id},
        headers=mia.headers,
    ).json["url"]
    assert _client_get(api, last).status == 200
    memberships.remove_membership(salon.business_id, mia.user_id)
    assert _client_get(api, last).status == 404
    # And an unknown or malformed token is the same 404
    assert _client_get(api, last.replace(".ics", "x.ics")).status == 404
    assert _client_get(api, last.removesuffix(".ics")).status == 404


def test_venue_feed_is_for_owners_and_managers_and_a_specialist_sees_only_their_own(api, salon, staff):
    # proves: SEC-5
    # Given a specialist member not linked to any specialist, and a manager
    member = staff(salon.business_id, Role.SPECIALIST, name="Sam Staff")
    manager = staff(salon.business_id, Role.MANAGER, name="Max Manager")
    venue = {"venue_id": salon.venue_id}
    other = {"venue_id": salon.venue_id, "specialist_id": salon.specialist_ids[1]}
    path = f"/v1/businesses/{salon.business_id}/calendar-feeds"
    # Then the specialist gets neither the venue's feed nor a colleague's
    assert api.post(path, venue, headers=member.headers).status == 403
    assert api.post(path, other, headers=member.headers).status == 403
    # And the manager gets the venue's, which lists every specialist's bookings
    issued = api.post(path, venue, headers=manager.headers)
    assert issued.status == 201 and issued.json["scope"] == "venue"
    assert _events(_client_get(api, issued.json["url"])) == []
    # And a demoted manager's venue feed ends (a specialist may not read the whole venue)
    from chalicelib.store import memberships

    memberships.remove_membership(salon.business_id, manager.user_id)
    memberships.add_membership(salon.business_id, manager.user_id, Role.SPECIALIST)
    assert _client_get(api, issued.json["url"]).status == 404
    # And another business's staff cannot issue one here
    assert api.post(path, {"venue_id": "nope"}, headers=salon.owner.headers).status == 404


def test_customer_feed_lists_own_upcoming_bookings_and_ends_on_revoke(api, salon, customer, clock):
    # Given a customer with one upcoming booking and one cancelled
    first = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    second = api.post("/v1/bookings", salon.body(salon.at(3, "11:00")), headers=customer.headers).json
    assert api.post(f"/v1/bookings/{second['id']}/cancel", headers=customer.headers).status == 200
    # When they issue their feed and a calendar client reads it
    issued = api.post("/v1/me/calendar-feed", headers=customer.headers)
    assert issued.status == 201 and issued.json["scope"] == "customer"
    [event] = _events(_client_get(api, issued.json["url"]))
    # Then it lists the live booking with the service and the venue, not the cancelled one
    assert str(event["UID"]) == f"{first['id']}@bookings"
    assert str(event["SUMMARY"]) == "Cut, wash; style at Salon Nord, Mitte"
    assert event.decoded("DTSTART") == salon.at(1, "10:00")
    # When they revoke it, the URL is gone
    assert api.delete("/v1/me/calendar-feed", headers=customer.headers).status == 204
    assert _client_get(api, issued.json["url"]).status == 404


def test_only_a_hash_of_the_token_is_stored(api, customer):
    # Given an issued feed
    url = api.post("/v1/me/calendar-feed", headers=customer.headers).json["url"]
    token = _path(url).rsplit("/", 1)[1].removesuffix(".ics")
    # Then no item holds the token itself
    from tests.support.fixtures_bookings import table_items

    items = table_items(("CalendarFeed", "CalendarFeedSlot"))
    assert len(items) == 2 and token not in repr(items)


def test_an_erased_account_leaves_no_feed(api, customer, buckets):
    # proves: RET-7
    # Given a customer with a feed
    url = api.post("/v1/me/calendar-feed", headers=customer.headers).json["url"]
    assert _client_get(api, url).status == 200
    # When they delete their account and the background erasure runs
    from tests.support.fixtures_bookings import table_items
    from tests.support.fixtures_privacy import run_jobs

    assert api.delete("/v1/me", headers=customer.headers).status == 202
    run_jobs()
    # Then the feed's grant and slot are gone, and so is the URL
    assert table_items(("CalendarFeed", "CalendarFeedSlot")) == []
    assert _client_get(api, url).status == 404
