"""Telegram WebApp initData verification (SEC-3).

secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the expected hash is
HMAC_SHA256(secret_key, data_check_string) where data_check_string joins the sorted
``key=value`` pairs except ``hash`` with newlines. Compared in constant time, then the
auth_date must be recent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from chalicelib.security.secrets import secret_bytes
from chalicelib.settings import get_settings


class InvalidInitData(ValueError):
    pass


@dataclass(frozen=True)
class TelegramUser:
    telegram_id: str
    first_name: str
    last_name: str
    language_code: str | None


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram would attach to ``fields`` (also used by tests to build initData)."""
    data_check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret_key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret_key, data_check_string.encode(), hashlib.sha256).hexdigest()


def verify_init_data(init_data: str, now: datetime) -> TelegramUser:
    settings = get_settings()
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("duplicate keys")
    received = fields.pop("hash", "")
    bot_token = secret_bytes(settings.telegram_bot_token).decode()
    if not received or not hmac.compare_digest(sign(fields, bot_token), received):
        raise InvalidInitData("signature does not match")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        telegram_id = str(int(user["id"]))
    except (KeyError, ValueError, TypeError):
        raise InvalidInitData("auth_date or user missing") from None
    age = now.timestamp() - auth_date
    if age > settings.telegram_max_age_seconds or age < -60:
        raise InvalidInitData("initData is too old")
    return TelegramUser(
        telegram_id=telegram_id,
        first_name=str(user.get("first_name") or ""),
        last_name=str(user.get("last_name") or ""),
        language_code=user.get("language_code"),
    )
