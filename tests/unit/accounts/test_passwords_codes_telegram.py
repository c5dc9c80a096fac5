"""Passwords (SEC-1), one-time codes (SEC-2) and Telegram initData (SEC-3), without AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from chalicelib.security import codes, passwords, telegram
from chalicelib.settings import Settings, get_settings

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_bcrypt_cost_is_at_least_12_and_cannot_be_configured_lower():
    # proves: SEC-1
    # Given the configured hash
    stored = passwords.hash_password("correct horse battery staple")
    # Then it is bcrypt with cost >= 12, and it verifies only the right password
    scheme, _, bcrypt_hash = stored.partition("$")
    assert scheme == "bcrypt-sha256"
    assert bcrypt_hash.startswith("$2b$") and int(bcrypt_hash.split("$")[2]) >= 12
    assert passwords.verify_password("correct horse battery staple", stored)
    assert not passwords.verify_password("correct horse battery stapler", stored)
    # And a lower cost is refused by settings validation
    with pytest.raises(ValidationError):
        Settings(bcrypt_rounds=11)


def test_long_passwords_are_not_truncated_into_a_collision():
    # proves: SEC-1
    # Given two passwords that share their first 72 bytes (bcrypt's input limit)
    prefix = "é" * 40  # 80 bytes in UTF-8
    stored = passwords.hash_password(prefix + "-one")
    # Then the other one does not verify against the first one's hash
    assert not passwords.verify_password(prefix + "-two", stored)
    assert passwords.verify_password(prefix + "-one", stored)


def test_codes_are_six_digits_and_stored_only_as_keyed_hash():
    # proves: SEC-2
    seen = {codes.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in seen)
    assert len(seen) > 150  # random, not a counter or a constant
    code = "123456"
    digest = codes.code_hash("SIGNIN", "+4915112345678", code)
    assert code not in digest and len(digest) == 64
    assert codes.matches(digest, "SIGNIN", "+4915112345678", code)
    # A code is bound to its address and purpose
    assert not codes.matches(digest, "SIGNIN", "+4915112345679", code)
    assert not codes.matches(digest, "CHANGE#phone#u", "+4915112345678", code)


def _init_data(bot_token: str, auth_date: datetime, user_id: int = 424242, **extra: str) -> str:
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Ada", "last_name": "L", "language_code": "de"}),
        **extra,
    }
    fields["hash"] = telegram.sign(fields, bot_token)
    return urlencode(fields)


BOT = get_settings().telegram_bot_token.get_secret_value()


def test_valid_init_data_is_accepted():
    # proves: SEC-3
    user = telegram.verify_init_data(_init_data(BOT, NOW - timedelta(minutes=1)), NOW)
    assert user.telegram_id == "424242" and user.first_name == "Ada" and user.language_code == "de"


def test_init_data_signed_with_another_bot_token_is_refused():
    # proves: SEC-3
    with pytest.raises(telegram.InvalidInitData):
        telegram.verify_init_data(_init_data("999:another-bot", NOW), NOW)


def test_init_data_with_a_changed_field_is_refused():
    # proves: SEC-3
    # Given genuine initData for user 424242, with the user field swapped afterwards
    genuine = _init_data(BOT, NOW)
    forged = genuine.replace("424242", "1")
    with pytest.raises(telegram.InvalidInitData):
        telegram.verify_init_data(forged, NOW)


def test_stale_init_data_is_refused():
    # proves: SEC-3
    old = NOW - timedelta(seconds=get_settings().telegram_max_age_seconds + 1)
    with pytest.raises(telegram.InvalidInitData):
        telegram.verify_init_data(_init_data(BOT, old), NOW)


@pytest.mark.parametrize("init_data", ["", "hash=abc", "not a query", "user=1&user=2&hash=x"])
def test_malformed_init_data_is_refused(init_data):
    with pytest.raises(telegram.InvalidInitData):
        telegram.verify_init_data(init_data, NOW)
