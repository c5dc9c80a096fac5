"""Booking lifecycle over HTTP: create, read, states, cancel notice, reschedule, lists, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.bookings import NOTES_MAX_CHARS
from tests.support.fixtures_bookings import assert_booking_invariants, relogin


def _audit_actions(business_id: str) -> list[str]:
    """The business's audit actions, sorted (records of one instant have no order: each is a
    new item in one of the tenant's chains, ordered only once sealed)."""
    from chalicelib.store.audit import list_records

    return sorted(r.action for r in list_records(business_id))


def test_create_and_read_a_booking(api, salon, customer):
    # Given a salon and a signed-in customer
    start = salon.at(1, "10:00")
    spec = salon.specialist_ids[1]
    # When the customer books a specialist with a note
    response = api.post("/v1/bookings", salon.body(start, spec, notes="Short; please"), headers=customer.headers)
    # Then the booking is pending, at the requested time, priced, and readable by its customer
    assert response.status == 201, response.body
    booking = response.json
    assert booking["status"] == "pending"
    assert booking["specialist_id"] == spec and booking["specialist_requested"] is True
    assert booking["start"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert booking["local_start"].endswith("10:00:00+01:00")
    assert booking["total_minor"] == 4000 and booking["notes"] == "Short; please"
    assert response.header("Location") == f"/v1/bookings/{booking['id']}"
    again = api.get(f"/v1/bookings/{booking['id']}", headers=customer.headers)
    assert again.status == 200 and again.json["id"] == booking["id"]
    assert _audit_actions(salon.business_id) == ["booking.created"]
    assert_booking_invariants()


@pytest.mark.ddblocal
def test_a_booking_and_its_audit_record_commit_together_or_not_at_all(api, salon, customer, signup):
    # proves: SEC-6
    from chalicelib.store.audit import list_records
    from tests.support.fixtures_bookings import table_items

    # Given a customer who booked a specialist at 10:00
    start, spec = salon.at(1, "10:00"), salon.specialist_ids[0]
    first = api.post("/v1/bookings", salon.body(start, spec), headers=customer.headers)
    assert first.status == 201, first.body
    # When another customer asks for the same specialist and start (the transaction's lock
    # condition fails)
    other = signup(name="Late Customer")
    taken = api.post("/v1/bookings", salon.body(start, spec), headers=other.headers)
    # Then it is refused, and neither a booking nor an audit record of it exists
    assert taken.status == 409 and taken.json["type"] == "/problems/slot-taken"
    records = [r for r in list_records(salon.business_id) if r.action == "booking.created"]
    assert [r.actor for r in records] == [customer.user_id]
    bookings = [i for i in table_items() if i.get("entity", {}).get("S") == "BookingRecord"]
    assert [b["customer_user_id"]["S"] for b in bookings] == [customer.user_id]
    # And the one that committed carries its record: actor, action and target
    [record] = records
    assert (record.action, record.target_entity, record.target_id) == ("booking.created", "booking", first.json["id"])


def test_any_specialist_picks_a_free_one_and_then_runs_out(api, salon, signup):
    # Given three specialists and four customers wanting the same start with "any"
    start = salon.at(1, "11:00")
    people = [signup(name=f"C{i}") for i in range(4)]
    # When each books "any"
    answers = [api.post("/v1/bookings", salon.body(start, "any"), headers=p.headers) for p in people]
    # Then three distinct specialists are assigned and the fourth request is a 409 slot-taken problem
    assert [a.status for a in answers] == [201, 201, 201, 409]
    assert {a.json["specialist_id"] for a in answers[:3]} == set(salon.specialist_ids)
    assert all(a.json["specialist_requested"] is False for a in answers[:3])
    assert answers[3].json["type"] == "/problems/slot-taken"
    assert_booking_invariants()


def test_a_start_that_is_not_bookable_is_422_naming_start(api, salon, customer):
    # Given hours 09:00-18:00 and a 60 min service with a 10 min buffer before
    # When the customer asks for 09:00 (buffer before opening), 17:30 (runs past closing),
    # 10:07 (off the 15 min grid) and a time within the minimum notice
    for start in (salon.at(1, "09:00"), salon.at(1, "17:30"), salon.at(1, "10:07"), salon.at(0, "10:15")):
        response = api.post("/v1/bookings", salon.body(start, salon.specialist_ids[0]), headers=customer.headers)
        # Then each is a 422 naming body.start
        assert response.status == 422, (start, response.body)
        assert response.json["errors"][0]["field"] == "body.start"
    assert assert_booking_invariants() == {}


def test_notes_are_length_limited(api, salon, customer):
    # Given a note one character too long
    body = salon.body(salon.at(1, "10:00"), notes="x" * (NOTES_MAX_CHARS + 1))
    # When it is sent
    response = api.post("/v1/bookings", body, headers=customer.headers)
    # Then it is refused naming the field
    assert response.status == 422
    assert response.json["errors"][0]["field"] == "body.notes"


def test_buffers_block_adjacent_starts(api, salon, signup):
    # Given a 10:00 booking whose buffers occupy 09:50-11:05
    spec = salon.specialist_ids[0]
    first = signup(name="A")
    assert api.post("/v1/bookings", salon.body(salon.at(1, "10:00"), spec), headers=first.headers).status == 201
    second = signup(name="B")
    # When another customer asks for 11:00 (its buffer starts 10:50) then 11:15 (buffer 11:05)
    clash = api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), spec), headers=second.headers)
    fits = api.post("/v1/bookings", salon.body(salon.at(1, "11:15"), spec), headers=second.headers)
    # Then the overlapping one is a 409 and the one that only touches is booked
    assert clash.status == 409 and clash.json["type"] == "/problems/slot-taken"
    assert fits.status == 201
    assert_booking_invariants()


def test_another_customer_cannot_see_a_booking(api, salon, customer, signup):
    # Given a booking
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    stranger = signup(name="Stranger")
    # When someone else asks for it, its calendar file, or to cancel it
    # Then it does not exist for them
    assert api.get(f"/v1/bookings/{created['id']}", headers=stranger.headers).status == 404
    assert api.get(f"/v1/bookings/{created['id']}/calendar.ics", headers=stranger.headers).status == 404
    assert api.post(f"/v1/bookings/{created['id']}/cancel", headers=stranger.headers).status == 404


def test_staff_read_of_a_booking_is_audited(api, salon, customer):
    # proves: SEC-6
    # Given a customer's booking
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    # When the owner reads it (both ways)
    by_id = api.get(f"/v1/bookings/{created['id']}", headers=salon.owner.headers)
    scoped = api.get(f"/v1/businesses/{salon.business_id}/bookings/{created['id']}", headers=salon.owner.headers)
    # Then both succeed and each read is in the business's audit log with the staff member as actor
    assert by_id.status == 200 and scoped.status == 200
    from chalicelib.store.audit import list_records

    reads = [r for r in list_records(salon.business_id) if r.action == "booking.read"]
    assert len(reads) == 2
    assert {r.actor for r in reads} == {salon.owner.user_id}
    assert all(r.target_id == created["id"] for r in reads)
    # And the customer's own read is not logged as staff access
    api.get(f"/v1/bookings/{created['id']}", headers=customer.headers)
    assert len([r for r in list_records(salon.business_id) if r.action == "booking.read"]) == 2


def test_business_confirms_then_marks_attended(api, salon, customer, clock):
    # Given a pending booking
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    base = f"/v1/businesses/{salon.business_id}/bookings/{created['id']}"
    # When the owner confirms it
    confirmed = api.post(f"{base}/confirm", headers=salon.owner.headers)
    # Then it is confirmed; marking attendance before the start is refused
    assert confirmed.status == 200 and confirmed.json["status"] == "confirmed"
    early = api.post(f"{base}/attended", headers=salon.owner.headers)
    assert early.status == 409 and early.json["type"] == "/problems/booking-state"
    # When time passes the start, it can be marked attended, and then nothing else
    clock.advance(timedelta(days=1, hours=2))
    relogin(salon.owner)
    attended = api.post(f"{base}/attended", headers=salon.owner.headers)
    assert attended.status == 200 and attended.json["status"] == "completed"
    assert api.post(f"{base}/no-show", headers=salon.owner.headers).status == 409
    assert api.post(f"{base}/confirm", headers=salon.owner.headers).status == 409
    # And the interval is free in the locks (completed is not live)
    assert assert_booking_invariants() == {"completed": 1}
    assert _audit_actions(salon.business_id) == sorted(["booking.created", "booking.confirmed", "booking.completed"])


def test_no_show(api, salon, customer, clock):
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    clock.advance(timedelta(days=1, hours=2))
    relogin(salon.owner)
    response = api.post(
        f"/v1/businesses/{salon.business_id}/bookings/{created['id']}/no-show", headers=salon.owner.headers
    )
    assert response.status == 200 and response.json["status"] == "no_show"


def test_a_visit_outcome_is_a_domain_event_committed_with_it(api, salon, customer, clock):
    from chalicelib.store import outbox

    # Given two visits that have started
    attended = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    missed = api.post("/v1/bookings", salon.body(salon.at(1, "12:00")), headers=customer.headers).json
    clock.advance(timedelta(days=1, hours=4))
    relogin(salon.owner)
    base = f"/v1/businesses/{salon.business_id}/bookings"
    # When the business marks one attended and the other a no-show
    assert api.post(f"{base}/{attended['id']}/attended", headers=salon.owner.headers).status == 200
    assert api.post(f"{base}/{missed['id']}/no-show", headers=salon.owner.headers).status == 200
    # Then each outcome is in the outbox for its subscribers (reviews, surveys, webhooks)
    completed = outbox.get(outbox.partition_key(f"{attended['id']}:completed"))
    no_show = outbox.get(outbox.partition_key(f"{missed['id']}:no_show"))
    assert completed is not None and completed.kind == "booking.completed"
    assert no_show is not None and no_show.kind == "booking.no_show"
    assert completed.payload["booking_id"] == attended["id"]


def test_customer_cancel_respects_the_notice(api, salon, customer, clock):
    # Given a 24 h cancellation notice and two bookings: one in ~49 h, one in ~25 h
    later = api.post("/v1/bookings", salon.body(salon.at(2, "10:00")), headers=customer.headers).json
    sooner = api.post("/v1/bookings", salon.body(salon.at(1, "11:00")), headers=customer.headers).json
    # When two hours pass (the sooner one is now inside the notice window)
    clock.advance(timedelta(hours=2))
    relogin(customer), relogin(salon.owner)
    # Then the later one can be cancelled, freeing its slot, and the sooner one cannot
    ok = api.post(f"/v1/bookings/{later['id']}/cancel", headers=customer.headers)
    assert ok.status == 200 and ok.json["status"] == "cancelled" and ok.json["cancelled_by"] == "customer"
    late = api.post(f"/v1/bookings/{sooner['id']}/cancel", headers=customer.headers)
    assert late.status == 409 and late.json["type"] == "/problems/cancellation-notice"
    # And cancelling twice is a state conflict
    assert api.post(f"/v1/bookings/{later['id']}/cancel", headers=customer.headers).status == 409
    # And the business may still cancel the sooner one
    by_business = api.post(
        f"/v1/businesses/{salon.business_id}/bookings/{sooner['id']}/cancel", headers=salon.owner.headers
    )
    assert by_business.status == 200 and by_business.json["cancelled_by"] == "business"
    assert assert_booking_invariants() == {"cancelled": 2}


def test_cancelled_slot_can_be_booked_again(api, salon, signup):
    spec = salon.specialist_ids[0]
    first, second = signup(name="A"), signup(name="B")
    created = api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=first.headers).json
    assert api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=second.headers).status == 409
    assert api.post(f"/v1/bookings/{created['id']}/cancel", headers=first.headers).status == 200
    assert api.post("/v1/bookings", salon.body(salon.at(2, "10:00"), spec), headers=second.headers).status == 201
    assert_booking_invariants()


def test_calendar_file_is_rfc5545(api, salon, customer):
    # Given a booking whose service name needs escaping
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    # When the customer downloads the calendar file
    response = api.get(f"/v1/bookings/{created['id']}/calendar.ics", headers=customer.headers)
    # Then it is text/calendar with CRLF lines, UTC times and escaped text
    assert response.status == 200 and response.content_type == "text/calendar"
    text = response.body.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"UID:{created['id']}@bookings\r\n" in text
    assert "DTSTART:" + salon.at(1, "10:00").strftime("%Y%m%dT%H%M%SZ") in text
    assert "SUMMARY:Cut\\, wash\\; style at Salon Nord\\, Mitte" in text.replace("\r\n ", "")
    assert "STATUS:TENTATIVE" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    # And an iCalendar parser reads the booking back (icalendar, as a calendar app would)
    from icalendar import Calendar

    [event] = Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Cut, wash; style at Salon Nord, Mitte"
    assert event.decoded("DTSTART") == salon.at(1, "10:00") and str(event["UID"]) == f"{created['id']}@bookings"


@pytest.mark.parametrize("scope", ["upcoming", "past"])
def test_my_bookings_pages_with_opaque_cursors(api, salon, customer, clock, scope):
    # Given five bookings on five days
    ids = [
        api.post("/v1/bookings", salon.body(salon.at(day, "10:00")), headers=customer.headers).json["id"]
        for day in range(1, 6)
    ]
    if scope == "past":
        clock.advance(timedelta(days=7))
        relogin(customer)
    # When the customer pages through them two at a time
    seen, cursor = [], None
    for _ in range(5):
        path = f"/v1/me/bookings?scope={scope}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path, headers=customer.headers)
        assert page.status == 200
        seen += [b["id"] for b in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    # Then all five come back once, soonest first (upcoming) or newest first (past)
    assert seen == (ids if scope == "upcoming" else ids[::-1])
    # And the other scope is empty
    other = "past" if scope == "upcoming" else "upcoming"
    assert api.get(f"/v1/me/bookings?scope={other}", headers=customer.headers).json["items"] == []


def test_a_tampered_cursor_is_422(api, salon, customer):
    response = api.get("/v1/me/bookings?cursor=abc.def", headers=customer.headers)
    assert response.status == 422 and response.json["errors"][0]["field"] == "query.cursor"


def test_business_calendar_by_venue_specialist_and_day(api, salon, signup):
    # Given bookings for two specialists on day 1 and one on day 2
    a, b = salon.specialist_ids[:2]
    people = [signup(name=f"C{i}") for i in range(3)]
    for person, (day, wall, spec) in zip(people, [(1, "10:00", a), (1, "12:00", b), (2, "10:00", a)], strict=True):
        assert api.post("/v1/bookings", salon.body(salon.at(day, wall), spec), headers=person.headers).status == 201
    base = f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}"
    day1 = (salon.today + timedelta(days=1)).isoformat()
    # When the owner reads the calendar of day 1, of specialist a on day 1, and from now on
    whole_day = api.get(f"{base}&day={day1}", headers=salon.owner.headers)
    one = api.get(f"{base}&day={day1}&specialist_id={a}", headers=salon.owner.headers)
    upcoming = api.get(base, headers=salon.owner.headers)
    # Then each shows exactly its bookings in time order
    assert [x["specialist_id"] for x in whole_day.json["items"]] == [a, b]
    assert [x["local_start"][11:16] for x in one.json["items"]] == ["10:00"]
    assert len(upcoming.json["items"]) == 3
    # And a customer is refused; the read is audited
    assert api.get(base, headers=people[0].headers).status == 403
    assert "booking.calendar_read" in _audit_actions(salon.business_id)


def test_other_business_staff_get_404_for_this_business_bookings(api, salon, customer, signup, clock):
    # proves: SEC-5
    from tests.support.fixtures_bookings import make_salon

    # Given a booking at salon A and the owner of another salon B
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    other = make_salon(signup(name="Other Owner"), clock.now(), specialists=1)
    headers = other.owner.headers
    # When B's owner uses A's ids on every business booking route, or B's id with A's booking
    paths = [
        ("GET", f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}"),
        ("GET", f"/v1/businesses/{salon.business_id}/bookings/{created['id']}"),
        ("GET", f"/v1/businesses/{other.business_id}/bookings/{created['id']}"),
        ("GET", f"/v1/businesses/{other.business_id}/bookings?venue_id={salon.venue_id}"),
        ("GET", f"/v1/bookings/{created['id']}"),
    ]
    for action in ("confirm", "cancel", "attended", "no-show"):
        paths.append(("POST", f"/v1/businesses/{salon.business_id}/bookings/{created['id']}/{action}"))
        paths.append(("POST", f"/v1/businesses/{other.business_id}/bookings/{created['id']}/{action}"))
    # Then every answer is 404 (or 403), and the booking is unchanged
    for method, path in paths:
        response = api.request(method, path, headers=headers)
        assert response.status in (403, 404), (method, path, response.status)
    assert api.get(f"/v1/bookings/{created['id']}", headers=customer.headers).json["status"] == "pending"
