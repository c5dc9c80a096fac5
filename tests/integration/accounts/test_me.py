"""GET/PATCH /v1/me (RIGHT-3): rectification, verified phone and e-mail changes, audit."""

from __future__ import annotations

from chalicelib.privacy import audit  # noqa: F401  (the module under the audit log)
from chalicelib.store import audit as audit_store
from chalicelib.store import users
from tests.integration.accounts.helpers import last_code, queued_messages
from tests.support.fixtures_accounts import unique_phone


def test_name_and_language_are_corrected_and_audited(api, signup):
    # proves: RIGHT-3, SEC-6
    person = signup(name="Mispelled")
    response = api.patch("/v1/me", {"name": "Spelled Right", "locale": "de"}, headers=person.headers)
    assert response.status == 200
    assert response.json["name"] == "Spelled Right" and response.json["locale"] == "de"
    assert api.get("/v1/me", headers=person.headers).json["name"] == "Spelled Right"
    # And the change is in the platform audit log, with pseudonymous ids only
    records = [r for r in audit_store.list_records("platform") if r.action == "account.updated"]
    assert len(records) == 1
    assert records[0].actor == person.user_id and records[0].target_id == person.user_id
    assert "Spelled" not in str(records[0].summary) and person.phone not in str(records[0].summary)


def test_phone_change_takes_effect_only_after_the_new_phone_is_verified(api, signup):
    # proves: RIGHT-3
    person = signup(name="Mover")
    queued_messages()
    new_phone = unique_phone()
    # When the user asks for a new phone
    pending = api.patch("/v1/me", {"phone": new_phone}, headers=person.headers)
    # Then the old phone stays in effect, the new one is pending and got a code
    assert pending.status == 200
    assert pending.json["phone"] == person.phone and pending.json["pending_phone"] == new_phone
    code = last_code(to_phone=new_phone)
    # And a wrong code changes nothing
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert (
        api.post("/v1/me/contact-verification", {"kind": "phone", "code": wrong}, headers=person.headers).status == 401
    )
    assert users.get_user(person.user_id).phone == person.phone
    # When the right code is given
    done = api.post("/v1/me/contact-verification", {"kind": "phone", "code": code}, headers=person.headers)
    # Then the new phone is in effect and verified, the old one is free for others
    assert done.status == 200, done.body
    assert done.json["phone"] == new_phone and done.json["phone_verified"] is True
    assert done.json["pending_phone"] is None
    assert users.find_user_id("phone", new_phone) == person.user_id
    assert users.find_user_id("phone", person.phone) is None
    assert users.get_contact(person.user_id).phone == new_phone


def test_email_change_is_verified_through_the_new_address(api, signup):
    # proves: RIGHT-3
    person = signup(name="Mailer")
    queued_messages()
    pending = api.patch("/v1/me", {"email": "New@Example.org"}, headers=person.headers)
    assert pending.status == 200 and pending.json["email"] is None
    assert pending.json["pending_email"] == "new@example.org"
    code = last_code(to_email="new@example.org")
    done = api.post("/v1/me/contact-verification", {"kind": "email", "code": code}, headers=person.headers)
    assert done.status == 200 and done.json["email"] == "new@example.org" and done.json["email_verified"] is True


def test_changing_to_a_taken_phone_is_a_conflict(api, signup):
    first = signup(name="First")
    second = signup(name="Second")
    response = api.patch("/v1/me", {"phone": first.phone}, headers=second.headers)
    assert response.status == 409
    assert api.get("/v1/me", headers=second.headers).json["pending_phone"] is None


def test_verification_without_a_pending_change_is_a_conflict(api, signup):
    person = signup()
    response = api.post("/v1/me/contact-verification", {"kind": "email", "code": "123456"}, headers=person.headers)
    assert response.status == 409
