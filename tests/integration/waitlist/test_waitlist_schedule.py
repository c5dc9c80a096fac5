"""New working hours as a waitlist trigger (issue #18 follow-up, item 3): a specialist's
schedule change records a domain event in its own transaction, and the waitlist subscriber
offers the venue's waitlist the newly opened starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.fixtures_bookings import make_salon, relogin, table_items
from tests.support.fixtures_privacy import relay_events


def _schedule_events() -> list[dict[str, Any]]:
    return [i for i in table_items(("OutboxEvent",)) if "catalog.schedule_changed" in str(i)]


def test_new_working_hours_offer_the_opened_slot_to_the_waitlist(api, clock, signup):
    from chalicelib.services import waitlist

    # Given a salon whose one specialist works 09:00-18:00, and a customer waiting for
    # tomorrow 18:00-20:00, when nobody works
    salon = make_salon(signup(name="Late Owner"), clock.now(), specialists=1)
    [spec] = salon.specialist_ids
    waiting = signup(name="Evening Eve")
    body = {"service_id": salon.service.service_id, "window_start": salon.at(1, "18:00").isoformat(),
            "window_end": salon.at(1, "20:00").isoformat()}  # fmt: skip
    joined = api.post(f"/v1/venues/{salon.venue_id}/waitlist", body, headers=waiting.headers)
    assert joined.status == 201, joined.body
    path = f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}/specialists/{spec}"
    # And a change that opens no time (the name) records no schedule event
    renamed = api.patch(path, {"name": "Nora"}, headers=relogin(salon.owner))
    assert renamed.status == 200, renamed.body
    assert _schedule_events() == []
    # (processing the waitlist now offers nothing: that time is not bookable yet)
    assert waitlist.process_venue(salon.business_id, salon.venue_id, clock.now()) == 0
    # When, ten minutes later, the owner adds evening hours for tomorrow
    clock.advance(timedelta(minutes=10))
    tomorrow = (salon.today + timedelta(days=1)).isoformat()
    patch = {"exceptions": [{"date": tomorrow, "hours": [{"start": "09:00", "end": "21:00"}]}]}
    changed = api.patch(path, patch, headers=relogin(salon.owner))
    assert changed.status == 200, changed.body
    # Then the change's transaction recorded one schedule event for the venue
    [event] = _schedule_events()
    assert salon.venue_id in str(event)
    # And once it is relayed, the waiting customer holds the first opened start
    relay_events()
    [entry] = api.get("/v1/me/waitlist", headers=relogin(waiting)).json["items"]
    assert entry["offer_specialist_id"] == spec, entry
    assert datetime.fromisoformat(entry["offer_start"]) == salon.at(1, "18:00")
    assert datetime.fromisoformat(entry["offer_expires_at"]) == clock.now() + timedelta(minutes=15)
    # And the customer can book it
    booked = api.post(f"/v1/me/waitlist/{entry['id']}/book", headers=relogin(waiting))
    assert booked.status == 201, booked.body


def test_a_wider_venue_horizon_offers_the_opened_days_to_the_waitlist(api, clock, signup):
    from chalicelib.services import waitlist

    # Given a venue bookable one day ahead, and a customer waiting for the day after tomorrow
    salon = make_salon(signup(name="Near Owner"), clock.now(), specialists=1, horizon_days=1)
    waiting = signup(name="Patient Pat")
    body = {"service_id": salon.service.service_id, "window_start": salon.at(2, "10:00").isoformat(),
            "window_end": salon.at(2, "12:00").isoformat()}  # fmt: skip
    assert api.post(f"/v1/venues/{salon.venue_id}/waitlist", body, headers=waiting.headers).status == 201
    # (processing the waitlist now offers nothing: that time is not bookable yet)
    assert waitlist.process_venue(salon.business_id, salon.venue_id, clock.now()) == 0
    # When the owner opens bookings a week ahead
    path = f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}"
    changed = api.patch(path, {"horizon_days": 7}, headers=relogin(salon.owner))
    assert changed.status == 200, changed.body
    assert len(_schedule_events()) == 1
    relay_events()
    # Then the waiting customer is offered the first start of that day in the window
    [entry] = api.get("/v1/me/waitlist", headers=relogin(waiting)).json["items"]
    assert datetime.fromisoformat(entry["offer_start"]) == salon.at(2, "10:00"), entry
