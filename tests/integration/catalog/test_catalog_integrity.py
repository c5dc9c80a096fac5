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
    catalog.delete_specialist(gone)
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
