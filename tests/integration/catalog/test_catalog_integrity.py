"""The catalog stays consistent: a service names only real specialists, prices are in real
currencies, and nothing a live future booking needs can be deleted from under it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.catalog.test_business_api import VENUE


def _venue_with_specialist(api: Any, owner: Any) -> tuple[str, str, str]:
    business = api.post("/v1/businesses", {"name": "Salon"}, headers=owner.headers).json["id"]
    base = f"/v1/businesses/{business}/venues"
    venue = api.post(base, VENUE, headers=owner.headers).json["id"]
    specialist = api.post(f"{base}/{venue}/specialists", {"name": "Leyla"}, headers=owner.headers).json["id"]
    return business, f"{base}/{venue}", specialist


SERVICE = {"name": "Haircut", "duration_minutes": 45, "price_minor": 3000, "currency": "AZN"}


def test_a_service_naming_nobody_is_refused_naming_specialist_ids(api, clock, signup):
    owner = signup(name="Owner")
    _, venue, specialist = _venue_with_specialist(api, owner)
    # When a service names a specialist the venue does not have (beside a real one)
    response = api.post(
        f"{venue}/services", SERVICE | {"specialist_ids": [specialist, "nobody"]}, headers=owner.headers
    )
    # Then it is a 422 naming specialist_ids and the missing one, and no service is stored
    assert response.status == 422, response.body
    assert [e["field"] for e in response.json["errors"]] == ["body.specialist_ids"]
    assert "nobody" in response.json["errors"][0]["reason"] and specialist not in response.json["errors"][0]["reason"]
    assert api.get(f"{venue}/services", headers=owner.headers).json["items"] == []


def test_changing_a_service_to_name_nobody_is_refused_and_changes_nothing(api, clock, signup):
    owner = signup(name="Owner")
    _, venue, specialist = _venue_with_specialist(api, owner)
    service = api.post(f"{venue}/services", SERVICE | {"specialist_ids": [specialist]}, headers=owner.headers).json
    # When the service is changed to name someone who is not there
    response = api.patch(
        f"{venue}/services/{service['id']}", {"specialist_ids": ["ghost"], "price_minor": 1}, headers=owner.headers
    )
    # Then it is refused, naming the field, and the service is as it was
    assert response.status == 422, response.body
    assert [e["field"] for e in response.json["errors"]] == ["body.specialist_ids"]
    stored = api.get(f"{venue}/services/{service['id']}", headers=owner.headers).json
    assert (stored["specialist_ids"], stored["price_minor"]) == ([specialist], 3000)


def test_the_specialist_check_is_in_the_writing_transaction(aws, clock):
    from chalicelib.domain.catalog import Business, Service, Specialist, Venue
    from chalicelib.store import catalog

    # Given a specialist who is deleted after a manager's form was filled in
    business = catalog.create_business(Business(business_id=catalog.new_id(), name="b"), clock.now())
    venue = catalog.create_venue(
        Venue(business.business_id, catalog.new_id(), "v", "a", "Baku", "Asia/Baku"), clock.now()
    )
    gone = catalog.create_specialist(Specialist(business.business_id, venue.venue_id, catalog.new_id(), "p"))
    catalog.delete_specialist(gone, clock.now())
    service = Service(business.business_id, venue.venue_id, catalog.new_id(), "s", 30, 100, "EUR")
    # When the service naming them is stored, Then the transaction refuses it, naming them
    with pytest.raises(catalog.UnknownSpecialists) as refused:
        catalog.create_service(service, require_specialists=(gone.specialist_id,))
    assert refused.value.ids == (gone.specialist_id,)
    with pytest.raises(Exception, match="No such service"):
        catalog.get_service(business.business_id, venue.venue_id, service.service_id)


@pytest.mark.parametrize("currency", ["VEU", "XXX", "XAU", "eur"])
def test_a_price_in_no_iso_4217_currency_is_refused(api, clock, signup, currency):
    owner = signup(name="Owner")
    _, venue, _ = _venue_with_specialist(api, owner)
    # When a service is priced in something that is not an ISO 4217 currency with a minor unit
    response = api.post(f"{venue}/services", SERVICE | {"currency": currency}, headers=owner.headers)
    # Then it is a 422 naming the currency, and nothing is stored
    assert response.status == 422, response.body
    assert [e["field"] for e in response.json["errors"]] == ["body.currency"]
    assert api.get(f"{venue}/services", headers=owner.headers).json["items"] == []


# --- deletes do not strand live future bookings (docs/catalog.md) ---------------------------------


def _book(api: Any, salon: Any, customer: Any, days: int = 1) -> dict[str, Any]:
    spec = salon.specialist_ids[0]
    response = api.post("/v1/bookings", salon.body(salon.at(days, "10:00"), spec), headers=customer.headers)
    assert response.status == 201, response.body
    return dict(response.json)


def test_deleting_what_a_live_future_booking_needs_is_a_409_naming_how_many(api, salon, customer):
    booking = _book(api, salon, customer)
    base = f"/v1/businesses/{salon.business_id}/venues/{salon.venue_id}"
    owner = salon.owner.headers
    # When the owner deletes the booked specialist, the booked service or the venue
    for path in (f"{base}/specialists/{booking['specialist_id']}", f"{base}/services/{booking['service_id']}", base):
        response = api.delete(path, headers=owner)
        # Then each is refused with 409, saying how many live future bookings block it
        assert response.status == 409, (path, response.body)
        assert "1 live future booking" in response.json["detail"]
    # And the booking is still listed for the business and cancellable by the customer
    listed = api.get(f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}", headers=owner)
    assert [b["id"] for b in listed.json["items"]] == [booking["id"]]
    assert api.post(f"/v1/bookings/{booking['id']}/cancel", headers=customer.headers).status == 200
    # And once nothing live needs them, they can go
    assert api.delete(f"{base}/specialists/{booking['specialist_id']}", headers=owner).status == 204
    assert api.delete(f"{base}/services/{booking['service_id']}", headers=owner).status == 204
    assert api.delete(base, headers=owner).status == 204


def test_a_booking_whose_venue_is_gone_stays_cancellable(api, salon, customer):
    from chalicelib.store import catalog, db

    booking = _book(api, salon, customer)
    # Given its venue vanished (data from before deletes were guarded)
    db.delete(catalog.VenueItem(catalog.business_pk(salon.business_id), f"VENUE#{salon.venue_id}"))
    # When the customer cancels, Then it is cancelled, not "No such venue"
    response = api.post(f"/v1/bookings/{booking['id']}/cancel", headers=customer.headers)
    assert response.status == 200, response.body
    assert response.json["status"] == "cancelled"
