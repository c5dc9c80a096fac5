"""Waitlists (issue #18, item 3): join, list, leave; a cancellation offers the slot to the
first in line, held in the locks so nobody else can take it; a lapsed offer passes on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.fixtures_bookings import assert_booking_invariants, make_salon, relogin, table_items


@pytest.fixture
def duo(aws: str, clock: Any, signup: Any) -> Any:
    """A salon with two specialists (A, B), both booked at 11:00 tomorrow."""
    return make_salon(signup(name="Duo Owner"), clock.now(), specialists=2)


def _join(api: Any, salon: Any, person: Any, **extra: Any) -> Any:
    body = {
        "service_id": salon.service.service_id,
        "window_start": salon.at(1, "10:45").isoformat(),
        "window_end": salon.at(1, "12:30").isoformat(),
        **extra,
    }
    return api.post(f"/v1/venues/{salon.venue_id}/waitlist", body, headers=person.headers)


def _mine(api: Any, person: Any) -> list[dict[str, Any]]:
    answer = api.get("/v1/me/waitlist", headers=relogin(person))
    assert answer.status == 200, answer.body
    return list(answer.json["items"])


def _holds() -> list[str]:
    return [k for i in table_items(("SpecialistDayLock",)) for k in i.get("occupied", {}).get("M", {})
            if k.startswith("HOLD#")]  # fmt: skip


def test_a_cancellation_is_offered_in_join_order_held_then_passed_on(api, duo, signup, clock, notify):
    from chalicelib import schedules

    salon = duo
    a, b = salon.specialist_ids
    x, y, first, second, other = (signup(name=n) for n in ("X", "Y", "Wanda First", "Walt Second", "Zed"))
    # Given both specialists booked at 11:00 (10:50-12:05 with buffers) and two customers
    # waiting for that service between 10:45 and 12:30, the first before the second
    taken = [api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), spec), headers=who.headers)
             for spec, who in ((a, x), (b, y))]  # fmt: skip
    assert [t.status for t in taken] == [201, 201]
    assert _join(api, salon, first).status == 201
    clock.advance(timedelta(seconds=1))
    joined = _join(api, salon, second, specialist_id="any")
    assert joined.status == 201, joined.body
    assert [e["offer_start"] for e in _mine(api, first) + _mine(api, second)] == [None, None]
    # When X cancels (the event relays to the waitlist subscriber, whose offer event relays too)
    assert api.post(f"/v1/bookings/{taken[0].json['id']}/cancel", headers=relogin(x)).status == 200
    notify.relay()
    notify.drain()
    # Then the first in line holds a slot with A for 15 minutes; the second has nothing yet
    [offer] = _mine(api, first)
    assert offer["offer_specialist_id"] == a and offer["offer_start"] is not None
    held = datetime.fromisoformat(offer["offer_start"])
    assert datetime.fromisoformat(offer["offer_expires_at"]) == clock.now() + timedelta(minutes=15)
    assert [e["offer_start"] for e in _mine(api, second)] == [None]
    # And the offer went through the notification pipeline (SMS by default)
    assert any("A slot opened" in text for _, text in notify.outbox.sms())
    # And while the hold lasts nobody else can book it: with A, with "any", nor staff
    for spec in (a, "any"):
        refused = api.post("/v1/bookings", salon.body(held, spec), headers=relogin(other))
        assert refused.status == 409, refused.body
    walk_in = {"venue_id": salon.venue_id, "service_id": salon.service.service_id, "specialist_id": a,
               "start": held.isoformat(), "customer": {"name": "Walk-in"}}  # fmt: skip
    staff = api.post(f"/v1/businesses/{salon.business_id}/bookings", walk_in, headers=relogin(salon.owner))
    assert staff.status == 409 and staff.json["type"] == "/problems/slot-taken"
    stolen = api.post(f"/v1/me/waitlist/{offer['id']}/book", headers=relogin(other))
    assert stolen.status == 409  # another customer's entry id is no key to the hold
    day = (salon.today + timedelta(days=1)).isoformat()
    free = api.get(
        f"/v1/venues/{salon.venue_id}/availability?service_id={salon.service.service_id}&from={day}&to={day}"
    )
    assert held not in {datetime.fromisoformat(s["start"]) for s in free.json["slots"]}
    # When the hold lapses and the schedule runs
    clock.advance(timedelta(minutes=16))
    assert schedules.run_waitlist_offers() == {"offered": 1}
    notify.relay()
    # Then the next in line is offered the same slot, and the first no longer holds it
    [passed_on] = _mine(api, second)
    assert passed_on["offer_start"] is not None
    assert datetime.fromisoformat(passed_on["offer_start"]) == held
    assert [e["offer_start"] for e in _mine(api, first)] == [None]
    late = api.post(f"/v1/me/waitlist/{offer['id']}/book", headers=relogin(first))
    assert late.status == 409
    # And the second takes it: the booking replaces the hold and the entry leaves the list
    booked = api.post(f"/v1/me/waitlist/{passed_on['id']}/book", headers=relogin(second))
    assert booked.status == 201, booked.body
    assert booked.json["specialist_id"] == passed_on["offer_specialist_id"]
    assert _mine(api, second) == [] and len(_mine(api, first)) == 1
    assert _holds() == []
    assert assert_booking_invariants() == {"pending": 2, "cancelled": 1}


def test_leaving_or_the_window_passing_removes_the_entry(api, duo, signup, clock):
    from chalicelib.privacy import sweeps
    from chalicelib.store import waitlist

    salon = duo
    stays, leaves = signup(name="Stays"), signup(name="Leaves")
    # Given two entries
    kept = _join(api, salon, stays).json
    gone = _join(api, salon, leaves).json
    # When one leaves
    assert api.delete(f"/v1/me/waitlist/{gone['id']}", headers=leaves.headers).status == 204
    assert api.delete(f"/v1/me/waitlist/{gone['id']}", headers=leaves.headers).status == 404
    assert api.delete(f"/v1/me/waitlist/{kept['id']}", headers=leaves.headers).status == 404  # not theirs
    # Then only the other is listed
    assert [e["id"] for e in _mine(api, stays)] == [kept["id"]] and _mine(api, leaves) == []
    # And once its window has passed it is no longer listed, and the sweep removes it
    end = datetime.fromisoformat(kept["window_end"])
    clock.set(end + timedelta(minutes=1))
    assert _mine(api, stays) == []
    sweeps.run(end + timedelta(minutes=1))
    assert waitlist.of_venue(salon.business_id, salon.venue_id) == []


@pytest.mark.parametrize(
    "change",
    [
        {"window_end": "2026-11-23T09:00:00+00:00", "window_start": "2026-11-23T10:00:00+00:00"},  # reversed
        {"window_start": "2026-11-23T10:00:00+00:00", "window_end": "2026-12-23T10:00:00+00:00"},  # > 14 days
    ],
)
def test_a_window_must_be_ordered_and_bounded(api, duo, signup, change):
    assert _join(api, duo, signup(name="W"), **change).status == 422


def test_the_account_export_and_erasure_cover_waitlist_entries(api, duo, signup, clock, buckets, drain_jobs):
    from chalicelib.privacy import sweeps
    from chalicelib.store import waitlist

    # Given a customer waiting at the venue
    me = signup(name="Wanda Export")
    entry = _join(api, duo, me).json
    # When they ask for their export
    export = api.post("/v1/me/exports", headers=me.headers)
    # Then it holds the entry (found on their GSI1 partition)
    assert export.status == 201, export.body
    assert [r["entry_id"] for r in export.json["data"]["records"]["WaitlistEntry"]] == [entry["id"]]
    # And when they delete the account, the entry is gone once the job and the sweep ran (≤ 30 days)
    assert api.delete("/v1/me", headers=me.headers).status == 202
    drain_jobs()
    sweeps.run(clock.now() + timedelta(days=30))
    assert waitlist.of_venue(duo.business_id, duo.venue_id) == []
