"""Phone OTP sign-in (SEC-2): single use, hashed, short-lived, superseded, attempt- and send-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.accounts.helpers import last_code, queued_messages, scan_all


@pytest.fixture
def customer(signup):
    person = signup(name="Otp User")
    queued_messages()  # start from an empty outbox
    return person


def send(api, phone, ip_header=None):
    return api.post("/v1/auth/otp", {"phone": phone})


def verify(api, phone, code):
    return api.post("/v1/auth/otp/verify", {"phone": phone, "code": code})


def test_code_by_sms_signs_in_once(api, customer):
    # proves: SEC-2
    # Given a code requested for a registered phone
    sent = send(api, customer.phone)
    assert sent.status == 202 and sent.json["expires_in"] <= 600
    messages = queued_messages()
    # Then exactly one SMS went to the notification queue, category account, SMS only
    assert len(messages) == 1
    message = messages[0]
    assert message["to_phone"] == customer.phone and message["channels"] == ["sms"]
    assert message["category"] == "account" and message["kind"] == "otp"
    code = message["params"]["code"]
    # And the code is not stored in plain text anywhere
    assert code not in str(scan_all())
    # When it is used, the user is signed in and the phone counts as verified
    first = verify(api, customer.phone, code)
    assert first.status == 200 and first.json["user_id"] == customer.user_id
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {first.json['access_token']}"})
    assert me.json["phone_verified"] is True
    # And it cannot be used again
    assert verify(api, customer.phone, code).status == 401


def test_expired_code_is_refused(api, customer, clock):
    # proves: SEC-2
    send(api, customer.phone)
    code = last_code(customer.phone)
    clock.advance(timedelta(minutes=5, seconds=1))
    assert verify(api, customer.phone, code).status == 401


def test_new_code_supersedes_the_old_one(api, customer):
    # proves: SEC-2
    send(api, customer.phone)
    old = last_code(customer.phone)
    send(api, customer.phone)
    new = last_code(customer.phone)
    if old == new:  # one in a million: the same digits twice
        pytest.skip("identical codes drawn")
    assert verify(api, customer.phone, old).status == 401
    assert verify(api, customer.phone, new).status == 200


def test_code_is_burned_after_five_wrong_tries(api, customer):
    # proves: SEC-2
    send(api, customer.phone)
    code = last_code(customer.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert verify(api, customer.phone, wrong).status == 401
    # Then even the right code no longer works
    assert verify(api, customer.phone, code).status == 401


def test_sends_are_limited_per_phone_with_retry_after(api, customer, clock):
    # proves: SEC-2
    for _ in range(3):
        assert send(api, customer.phone).status == 202
    flooded = send(api, customer.phone)
    assert flooded.status == 429
    retry_after = int(flooded.header("Retry-After"))
    assert 0 < retry_after <= 900
    assert len(queued_messages()) == 3
    # After the window the phone can receive a code again
    clock.advance(timedelta(seconds=retry_after))
    assert send(api, customer.phone).status == 202


def test_sends_are_limited_per_ip_across_phones(api, signup):
    # proves: SEC-2
    # Given one client asking codes for many different phones
    phones = [signup(name=f"P{i}").phone for i in range(11)]
    statuses = [send(api, phone).status for phone in phones]
    # Then the 11th send from that IP is refused
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429


def test_unknown_phone_gets_the_same_answer_and_no_sms(api, customer):
    # No account enumeration, and no SMS to strangers
    response = send(api, "+4917612345678")
    assert response.status == 202
    assert queued_messages() == []
    assert verify(api, "+4917612345678", "123456").status == 401
