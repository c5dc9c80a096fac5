"""DATA-3: what a booking collects. The booking form takes the venue, the service, the time,
an optional specialist, an optional discount code and optional notes (length-limited), and
nothing else; the stored booking holds those and derived, classified attributes, and no
contact data of the customer (the business reads name and phone live, SHARE-1)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.aws_clients import client
from chalicelib.domain.bookings import NOTES_MAX_CHARS
from chalicelib.privacy.manifest import parse
from chalicelib.schemas.bookings import BookingCreate
from chalicelib.settings import get_settings
from chalicelib.store.bookings import BOOKING_SK, booking_pk

# What the customer is asked for (DATA-3), as named in the request body.
DATA_3_FIELDS = {"venue_id", "service_id", "start", "specialist_id", "discount_code", "notes"}
# Where the manifest says each is kept (start and the service's duration give start_at/end_at).
DATA_3_ATTRIBUTES = {
    "venue_id",
    "service_id",
    "start_at",
    "end_at",
    "specialist_id",
    "specialist_requested",
    "discount_code",
    "notes",
}


def _raw_booking(booking_id: str) -> dict:
    return client("dynamodb").get_item(
        TableName=get_settings().resolved_table_name(),
        Key={"pk": {"S": booking_pk(booking_id)}, "sk": {"S": BOOKING_SK}},
        ConsistentRead=True,
    )["Item"]


def test_the_booking_form_asks_for_the_documented_fields_only(api, salon, customer):
    # proves: DATA-3
    # Given the booking contract
    # Then it names exactly the documented fields
    assert set(BookingCreate.model_fields) == DATA_3_FIELDS
    # When a client sends anything more about the customer
    start = salon.at(1, "10:00")
    for field, value in (("birth_date", "2000-01-01"), ("phone", "+4915100000000"), ("email", "a@example.com")):
        response = api.post("/v1/bookings", salon.body(start, **{field: value}), headers=customer.headers)
        # Then it is refused naming the field, not silently dropped or stored
        assert response.status == 422, (field, response.body)
        assert [e["field"] for e in response.json["errors"]] == [f"body.{field}"]
    # And the notes are free text with a limit
    too_long = api.post("/v1/bookings", salon.body(start, notes="x" * (NOTES_MAX_CHARS + 1)), headers=customer.headers)
    assert too_long.status == 422 and too_long.json["errors"][0]["field"] == "body.notes"


def test_a_stored_booking_holds_what_was_asked_and_no_contact_data(api, salon, signup, clock):
    # proves: DATA-3
    # Given a customer with a name, a phone and an e-mail, and a discount code
    customer = signup(name="Philippa Oddington", email="philippa.oddington@example.com")
    code = {
        "code": "WELCOME",
        "kind": "percent",
        "value": 10,
        "valid_from": (clock.now() - timedelta(days=1)).isoformat(),
        "valid_until": (clock.now() + timedelta(days=30)).isoformat(),
    }
    path = f"/v1/businesses/{salon.business_id}/discount-codes"
    assert api.post(path, code, headers=salon.owner.headers).status == 201
    # When they book with every field the form has
    start = salon.at(1, "10:00")
    spec = salon.specialist_ids[0]
    body = salon.body(start, spec, notes="Please use the side door", discount_code="welcome")
    response = api.post("/v1/bookings", body, headers=customer.headers)
    assert response.status == 201, response.body
    item = _raw_booking(response.json["id"])
    # Then every stored attribute is one the manifest classifies for a booking
    manifest = parse()
    unclassified = sorted(name for name in item if manifest.attribute("BookingRecord", name) is None)
    assert not unclassified, unclassified
    # and the attributes the manifest files under DATA-3 are exactly the documented ones
    tagged = {n for n, a in manifest.entity("BookingRecord").attributes.items() if "DATA-3" in a.promises}
    assert tagged == DATA_3_ATTRIBUTES
    # and they hold what the customer sent
    assert item["venue_id"]["S"] == salon.venue_id and item["service_id"]["S"] == salon.service.service_id
    assert item["specialist_id"]["S"] == spec and item["specialist_requested"]["BOOL"] is True
    assert item["start_at"]["S"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert item["notes"]["S"] == "Please use the side door" and item["discount_code"]["S"] == "WELCOME"
    # and the customer appears only as their pseudonymous id, never by name, phone or e-mail
    assert item["customer_user_id"]["S"] == customer.user_id
    stored = str(item).lower()
    for contact in (customer.name, customer.phone, customer.email, "oddington"):
        assert contact.lower() not in stored, contact
