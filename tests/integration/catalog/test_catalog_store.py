"""Catalog writes are conditional (no write from a stale read), on moto AND DynamoDB Local."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib import errors
from chalicelib.domain.catalog import Business, Service, Specialist, Venue
from chalicelib.store import catalog

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _venue() -> Venue:
    catalog.create_business(Business(business_id="b1", name="Salon"), NOW)
    return catalog.create_venue(
        Venue(business_id="b1", venue_id="v1", name="Main", address="1 Street", city="Baku", timezone="Asia/Baku"),
        NOW,
    )


def _service(venue_id: str = "v1") -> Service:
    return Service(
        business_id="b1",
        venue_id=venue_id,
        service_id="s1",
        name="Cut",
        duration_minutes=30,
        price_minor=2000,
        currency="AZN",
    )


@pytest.mark.ddblocal
def test_a_service_or_specialist_needs_its_venue(aws):
    # Given a business without that venue
    _venue()
    # When a service or a specialist is created under a venue that does not exist
    # Then nothing is written and the caller learns why
    with pytest.raises(errors.NotFound, match="venue"):
        catalog.create_service(_service(venue_id="missing"))
    with pytest.raises(errors.NotFound, match="venue"):
        catalog.create_specialist(Specialist(business_id="b1", venue_id="missing", specialist_id="p1", name="Ann"))
    assert catalog.venue_catalog("b1", "missing") == ([], [])


@pytest.mark.ddblocal
def test_a_stale_service_is_neither_saved_nor_deleted(aws):
    # Given a service two editors have read at revision 1
    _venue()
    read_by_both = catalog.create_service(_service())
    # When the first saves a change
    first = catalog.save_service(replace(read_by_both, name="Haircut"))
    assert first.revision == 2
    # Then the second's save and delete from the stale read are refused
    with pytest.raises(errors.Conflict, match="service changed"):
        catalog.save_service(replace(read_by_both, price_minor=1))
    with pytest.raises(errors.Conflict, match="service changed"):
        catalog.delete_service(read_by_both, NOW)
    # And the stored service is the first editor's
    assert catalog.get_service("b1", "v1", "s1") == first
    # When the current revision is deleted, it is gone
    catalog.delete_service(first, NOW)
    with pytest.raises(errors.NotFound):
        catalog.get_service("b1", "v1", "s1")


@pytest.mark.ddblocal
def test_a_stale_specialist_is_neither_saved_nor_deleted(aws):
    _venue()
    read_by_both = catalog.create_specialist(Specialist(business_id="b1", venue_id="v1", specialist_id="p1", name="A"))
    first = catalog.save_specialist(replace(read_by_both, name="Ann"))
    with pytest.raises(errors.Conflict, match="specialist changed"):
        catalog.save_specialist(replace(read_by_both, name="Anna"))
    with pytest.raises(errors.Conflict, match="specialist changed"):
        catalog.delete_specialist(read_by_both, NOW)
    assert catalog.get_specialist("b1", "v1", "p1") == first
