"""Free text over HTTP: control characters are refused where they enter, names and notes are NFC."""

from __future__ import annotations

from chalicelib.domain.bookings import NOTES_MAX_CHARS


def test_a_nul_in_a_business_name_is_refused_and_nothing_is_created(api, clock, signup):
    # Given a signed-in user
    owner = signup(name="Aysel")
    # When they create a business whose name carries a NUL byte
    response = api.post("/v1/businesses", {"name": "Salon\u0000Aysel"}, headers=owner.headers)
    # Then it is a 422 naming the field and the character, and they own no business
    assert response.status == 422
    assert [(e["field"], "U+0000" in e["reason"]) for e in response.json["errors"]] == [("body.name", True)]
    assert api.get("/v1/me", headers=owner.headers).json["memberships"] == []


def test_a_nul_in_booking_notes_is_refused_but_a_newline_is_kept(api, salon, customer):
    start = salon.at(1, "10:00")
    # When a customer books with a NUL in the notes
    refused = api.post("/v1/bookings", salon.body(start, notes="ring\u0000twice"), headers=customer.headers)
    # Then it is a 422 naming body.notes, and no booking exists
    assert refused.status == 422
    assert [e["field"] for e in refused.json["errors"]] == ["body.notes"]
    assert api.get("/v1/me/bookings", headers=customer.headers).json["items"] == []
    # And multi-line notes (newline, tab) are still fine, stored as NFC
    booked = api.post("/v1/bookings", salon.body(start, notes="ring\n\ttwice, cafe\u0301"), headers=customer.headers)
    assert booked.status == 201, booked.body
    assert booked.json["notes"] == "ring\n\ttwice, caf\u00e9"


def test_notes_length_is_counted_after_nfc(api, salon, customer):
    # Given notes at the limit when composed, but twice as long decomposed
    notes = "e\u0301" * NOTES_MAX_CHARS
    # When they are sent, Then they fit
    response = api.post("/v1/bookings", salon.body(salon.at(1, "11:00"), notes=notes), headers=customer.headers)
    assert response.status == 201, response.body
    assert response.json["notes"] == "\u00e9" * NOTES_MAX_CHARS


def test_a_control_character_in_my_name_is_refused_and_the_name_kept(api, signup):
    person = signup(name="Spelled Right")
    # When the user renames themselves with a NUL, or with a line break
    for name in ("Eve\u0000", "Eve\nMallory", "Eve\u009b"):
        response = api.patch("/v1/me", {"name": name}, headers=person.headers)
        # Then each is a 422 naming body.name
        assert response.status == 422, name
        assert [e["field"] for e in response.json["errors"]] == ["body.name"]
    # And the name is as it was
    assert api.get("/v1/me", headers=person.headers).json["name"] == "Spelled Right"
