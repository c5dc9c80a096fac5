"""Telegram WebApp sign-in (SEC-3, DATA-7)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

from chalicelib.security import telegram
from chalicelib.settings import get_settings
from chalicelib.store import users


def init_data(now, telegram_id=777001, bot_token=None, first_name="Tele"):
    fields = {
        "auth_date": str(int(now.timestamp())),
        "user": json.dumps({"id": telegram_id, "first_name": first_name, "language_code": "ru"}),
    }
    fields["hash"] = telegram.sign(fields, bot_token or get_settings().telegram_bot_token.get_secret_value())
    return urlencode(fields)


def consent():
    return {"age_16_or_older": True, "terms_version": get_settings().terms_version}


def test_first_telegram_sign_in_creates_an_account_with_consent(api, clock):
    # proves: SEC-3, DATA-7
    # When a new Telegram user signs in without the 16+ confirmation
    refused = api.post("/v1/auth/telegram", {"init_data": init_data(clock.now())})
    # Then it is refused naming the missing confirmations
    assert refused.status == 422
    assert {e["field"] for e in refused.json["errors"]} == {"body.age_16_or_older", "body.terms_version"}
    # When they confirm
    created = api.post("/v1/auth/telegram", {"init_data": init_data(clock.now()), **consent()})
    # Then an account exists, with the Telegram id as its chat address and the registration record
    assert created.status == 200, created.body
    contact = users.get_contact(created.json["user_id"])
    assert contact is not None and contact.telegram_chat_id == "777001" and contact.locale == "ru"
    assert users.get_registration(created.json["user_id"]).method == "telegram"
    # And signing in again reaches the same account (no new consent needed)
    clock.advance(timedelta(minutes=1))
    again = api.post("/v1/auth/telegram", {"init_data": init_data(clock.now())})
    assert again.status == 200 and again.json["user_id"] == created.json["user_id"]


def test_forged_and_stale_init_data_are_refused(api, clock):
    # proves: SEC-3
    forged = api.post("/v1/auth/telegram", {"init_data": init_data(clock.now(), bot_token="1:x"), **consent()})
    stale_at = clock.now() - timedelta(seconds=get_settings().telegram_max_age_seconds + 5)
    stale = api.post("/v1/auth/telegram", {"init_data": init_data(stale_at), **consent()})
    assert forged.status == stale.status == 401


def test_signed_in_user_links_telegram_and_telegram_id_exists_only_then(api, signup, clock):
    # proves: DATA-7
    # Given a phone account: no Telegram id is stored
    person = signup(name="Linker")
    assert users.get_user(person.user_id).telegram_id is None
    assert api.get("/v1/me", headers=person.headers).json["telegram_linked"] is False
    # When they sign in through Telegram while signed in
    linked = api.post(
        "/v1/auth/telegram", {"init_data": init_data(clock.now(), telegram_id=555)}, headers=person.headers
    )
    # Then the Telegram id is linked to their account
    assert linked.status == 200 and linked.json["user_id"] == person.user_id
    assert users.get_contact(person.user_id).telegram_chat_id == "555"
    # And another account cannot take the same Telegram id
    other = signup(name="Other")
    taken = api.post("/v1/auth/telegram", {"init_data": init_data(clock.now(), telegram_id=555)}, headers=other.headers)
    assert taken.status == 409
