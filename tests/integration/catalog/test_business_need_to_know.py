"""Each role sees only as much of a business's tax number and bank details as it needs."""

from __future__ import annotations

import pytest

from chalicelib.domain.identity import Role

PAYMENT = {"account_holder": "Aysel Mammadova", "iban": "AZ21 NABZ 0000 0000 1370 1000 1944"}
TAX_NUMBER = "1234567890"


@pytest.mark.parametrize(
    ("role", "tax_number", "iban"),
    [
        (Role.OWNER, TAX_NUMBER, "AZ21NABZ00000000137010001944"),
        (Role.MANAGER, "••••••7890", "•" * 24 + "1944"),
        (Role.SPECIALIST, None, None),
    ],
)
def test_each_role_sees_the_tax_number_and_iban_only_as_far_as_it_needs(api, signup, staff, role, tax_number, iban):
    # proves: SHARE-1
    # Given a business with a tax number and payment details, and a member with this role
    owner = signup(name="Owner")
    created = api.post(
        "/v1/businesses",
        {"name": "Salon Aysel", "tax_number": TAX_NUMBER, "payment_details": PAYMENT},
        headers=owner.headers,
    )
    assert created.status == 201
    member = owner if role is Role.OWNER else staff(created.json["id"], role)
    # When the member reads the business
    seen = api.get(f"/v1/businesses/{created.json['id']}", headers=member.headers)
    # Then the tax number and IBAN are full, masked or absent by role, and nothing else gives them away
    assert seen.status == 200
    assert seen.json["tax_number"] == tax_number
    assert (seen.json["payment_details"] or {}).get("iban") == iban
    if role is not Role.OWNER:
        assert "123456" not in seen.body.decode() and "NABZ" not in seen.body.decode()
