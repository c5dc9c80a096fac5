"""Telegram through the Bot API over HTTPS, to the chat linked at Telegram sign-in.

The HTTP transport is injectable (tests use a fake; nothing here opens a socket in tests).
Each call has a timeout; 429 and 5xx answers and network errors are retried a few times
with a short backoff, then the SQS message is retried. A chat that blocked the bot (403)
or does not exist (400) is undeliverable. The bot token never reaches a log line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from chalicelib.notify.channels.base import Outgoing, Undeliverable
from chalicelib.notify.messages import Channel
from chalicelib.settings import get_settings

MAX_BACKOFF_SECONDS = 2.0


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: dict[str, Any]


class Transport(Protocol):
    def post_json(self, url: str, payload: dict[str, Any], timeout: float) -> HttpResult: ...


class TelegramUnavailable(Exception):
    """Transient: the Bot API did not accept the message after the retries."""


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def allowed_url(url: str) -> bool:
    """HTTPS anywhere; plain HTTP only to this machine (the local stack's fake Bot API,
    infra/local/telegram_fake.py), where the token cannot leave the host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


class UrllibTransport:
    """HTTPS POST with the standard library (no extra dependency in the Lambda package)."""

    def post_json(self, url: str, payload: dict[str, Any], timeout: float) -> HttpResult:
        import urllib.error
        import urllib.request

        if not allowed_url(url):
            raise ValueError("the Bot API is reached over HTTPS only (plain HTTP only on loopback)")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked above)
                return HttpResult(response.status, _json(response.read()))
        except urllib.error.HTTPError as exc:
            return HttpResult(exc.code, _json(exc.read()))


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@cache
def bot_token() -> str:
    """From Secrets Manager when settings name a secret (cached per container), else settings."""
    settings = get_settings()
    if settings.telegram_bot_token_secret_id:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(settings.telegram_bot_token_secret_id, max_age=300))
    return settings.telegram_bot_token.get_secret_value()


class TelegramSender:
    channel = Channel.TELEGRAM

    def __init__(self, transport: Transport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.transport: Transport = transport or UrllibTransport()
        self.sleep = sleep

    def send(self, address: str, outgoing: Outgoing) -> str:
        settings = get_settings()
        url = f"{settings.telegram_api_base.rstrip('/')}/bot{bot_token()}/sendMessage"
        payload = {"chat_id": address, "text": outgoing.rendered.body, "disable_web_page_preview": True}
        delay = 0.25
        for attempt in range(1, settings.telegram_max_attempts + 1):
            try:
                result = self.transport.post_json(url, payload, settings.telegram_timeout_seconds)
            except OSError:  # timeouts, refused connections, TLS errors: worth another try
                result = None
            if result is not None and result.status == 200 and result.body.get("ok"):
                return str(result.body.get("result", {}).get("message_id", ""))
            if result is not None and result.status in (400, 403):
                raise Undeliverable(f"telegram refused the chat ({result.status})")
            if attempt == settings.telegram_max_attempts:
                break
            if result is not None and result.status == 429:
                retry_after = result.body.get("parameters", {}).get("retry_after", delay)
                delay = float(retry_after)
            self.sleep(min(delay, MAX_BACKOFF_SECONDS))
            delay *= 2
        raise TelegramUnavailable("telegram did not accept the message")
