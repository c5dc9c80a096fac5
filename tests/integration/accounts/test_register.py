"""Registration (DATA-1, DATA-2, SEC-8): what is collected, what is refused, uniqueness."""

from __future__ import annotations

import threading

import pytest

from chalicelib import errors
from chalicelib.services import accounts
from chalicelib.services.sessions import ClientInfo
from chalicelib.settings import get_settings
from chalicelib.store import users
from tests.integration.accounts.helpers import register_body, scan_all
from tests.support.fixtures_accounts import unique_phone


def test_register_creates_account_and_acceptance_record(api, clock):
    # proves: DATA-1, DATA-2
    # Given a new phone
    phone = unique_phone()
    # When someone registers with it (phone written with spaces, e-mail in capitals)
    response = api.post(
        "/v1/auth/register",
        register_body(phone[:3] + " " + phone[3:6] + " " + phone[6:], email="Ada@Example.ORG"),
        headers={"User-Agent": "ExampleApp/1.0"},
    )
    # Then an account exists with the phone in E.164 and the e-mail normalised
    assert response.status == 201, response.body
    user_id = response.json["user_id"]
    assert response.json["access_token"] and response.json["refresh_token"]
    user = users.get_user(user_id)
    assert user is not None and user.phone == phone and user.email == "ada@example.org"
    # And the acceptance record keeps terms version, date/time and IP, and the 16+ confirmation
    record = users.get_registration(user_id)
    assert record is not None
    assert record.terms_version == "2026-01"
    assert record.accepted_at == clock.now()
    assert record.ip == "127.0.0.1"
    assert record.age_16_or_older is True
    # And no birth date is stored anywhere
    assert not any("birth" in name.lower() for item in scan_all() for name in item)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"age_16_or_older": False}, "body.age_16_or_older"),
        ({"terms_version": "1999-01"}, "body.terms_version"),
    ],
)
def test_register_requires_16_plus_confirmation_and_current_terms(api, clock, override, field):
    # proves: SEC-8, DATA-2
    # Given a registration without the 16+ confirmation (or with outdated terms)
    # When it is sent
    response = api.post("/v1/auth/register", register_body(unique_phone(), **override))
    # Then it is refused naming the field, and nothing is stored
    assert response.status == 422
    assert any(e["field"] == field for e in response.json["errors"])
    assert scan_all() == []


def test_birth_date_is_not_accepted(api, clock):
    # proves: DATA-1
    response = api.post("/v1/auth/register", register_body(unique_phone(), birth_date="2001-01-01"))
    assert response.status == 422
    assert any(e["field"] == "body.birth_date" for e in response.json["errors"])


@pytest.mark.parametrize("phone", ["015112345678", "+49 1", "+1 555 0100", "not a phone"])
def test_register_refuses_invalid_phone_numbers(api, clock, phone):
    response = api.post("/v1/auth/register", register_body(phone))
    assert response.status == 422
    assert any(e["field"] == "body.phone" for e in response.json["errors"])


def test_phone_and_email_are_unique(api, clock):
    # Given an account with a phone and an e-mail
    phone = unique_phone()
    assert api.post("/v1/auth/register", register_body(phone, email="one@example.org")).status == 201
    # When another registration reuses the phone (other format) or the e-mail (other case)
    same_phone = api.post("/v1/auth/register", register_body(phone, email="two@example.org"))
    same_email = api.post("/v1/auth/register", register_body(unique_phone(), email="ONE@example.org"))
    # Then both are refused with 409
    assert same_phone.status == 409 and "phone" in same_phone.json["detail"]
    assert same_email.status == 409 and "email" in same_email.json["detail"]


@pytest.mark.ddblocal
def test_twenty_concurrent_registrations_of_one_phone_exactly_one_wins(aws, clock):
    if aws == "moto":
        pytest.skip("moto's TransactWriteItems is not thread-safe; DynamoDB Local runs this race")
    # Given one phone and 20 clients registering it at the same moment. (The service is called
    # directly: Chalice's test client swaps os.environ per request and is not thread-safe.)
    phone = unique_phone()
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def register(i: int) -> None:
        form = accounts.Registration(
            name=f"Racer {i}",
            phone=phone,
            email=None,
            password=None,
            age_16_or_older=True,
            terms_version=get_settings().terms_version,
            locale="en",
        )
        start.wait()
        try:
            accounts.register(form, ClientInfo(ip=f"10.0.0.{i}", user_agent="race"), clock.now())
            outcome = "created"
        except errors.Conflict:
            outcome = "conflict"
        except Exception as exc:  # anything else is a defect the assertion below shows
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one succeeded, every other one got a conflict
    assert sorted(outcomes) == ["conflict"] * 19 + ["created"]
    # And exactly one account (one profile, one claim) exists
    entities = [item["entity"]["S"] for item in scan_all()]
    assert entities.count("User") == 1
    assert entities.count("ContactClaim") == 1


def test_probing_which_phones_are_registered_is_limited_per_client_ip(api, clock):
    # Given one registered phone, and a client that probes numbers by trying to register them
    taken = unique_phone()
    assert api.post("/v1/auth/register", register_body(taken)).status == 201
    limit = get_settings().register_ip_limit
    # When it keeps registering from the same address (taken numbers say so, as the docs say)
    answers = [api.post("/v1/auth/register", register_body(taken)).status for _ in range(limit - 1)]
    # Then within the limit a taken phone is a 409, and past it every attempt is a 429, taken or not
    assert answers == [409] * (limit - 1)
    assert api.post("/v1/auth/register", register_body(taken)).status == 429
    assert api.post("/v1/auth/register", register_body(unique_phone())).status == 429
    # And the limit is per address: another client is not affected (accounts.register directly)
    form = accounts.Registration(
        name="Elsewhere",
        phone=unique_phone(),
        email=None,
        password=None,
        age_16_or_older=True,
        terms_version=get_settings().terms_version,
        locale="en",
    )
    assert accounts.register(form, ClientInfo(ip="203.0.113.9", user_agent="pytest"), clock.now()).user_id
