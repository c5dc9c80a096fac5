"""Verification codes for a new phone or e-mail reach the NEW address, never the current one.

Drives the real chain: PATCH /v1/me -> notifications queue -> consumer -> SES/SNS (moto).
"""

import re


def _code(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def test_an_email_change_code_goes_to_the_new_address_only(api, signup, notify):
    # proves: RIGHT-3
    # Given a customer with a current e-mail
    person = signup(name="Mailer", email="old.address@example.org")
    # When they ask to change it and the notification consumer runs
    response = api.patch("/v1/me", {"email": "new.address@example.org"}, headers=person.headers)
    assert response.status == 200, response.body
    notify.drain()
    # Then exactly one e-mail went out, to the new address, carrying the code
    sent = notify.outbox.emails()
    assert [m["To"] for m in sent] == ["new.address@example.org"]
    plain = next(part for part in sent[0].walk() if part.get_content_type() == "text/plain")
    code = _code(plain.get_payload(decode=True).decode())
    # And that code confirms the change
    done = api.post("/v1/me/contact-verification", {"kind": "email", "code": code}, headers=person.headers)
    assert done.status == 200, done.body
    assert done.json["email"] == "new.address@example.org"


def test_a_phone_change_code_goes_to_the_new_number_only(api, signup, notify):
    # Given a customer with a current phone
    from tests.support.fixtures_accounts import unique_phone

    person = signup(name="Caller")
    new_phone = unique_phone()
    # When they ask to change it and the consumer runs
    assert api.patch("/v1/me", {"phone": new_phone}, headers=person.headers).status == 200
    notify.drain()
    # Then the only SMS went to the new number
    assert [number for number, _text in notify.outbox.sms()] == [new_phone]
