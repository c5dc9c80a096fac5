"""Signed unsubscribe links (NOTE-3): they work without signing in.

A token names one user, one category and one channel and carries an HMAC-SHA256 tag
(key: settings.notify_unsubscribe_key), so it cannot be forged or widened to another
user. Tokens do not expire: an unsubscribe link must keep working in an old e-mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib.notify.messages import Category, Channel
from chalicelib.settings import get_settings

_VERSION = "u1"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class UnsubscribeRequest:
    user_id: str
    category: Category
    channel: Channel


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(payload: bytes) -> bytes:
    key = get_settings().notify_unsubscribe_key.get_secret_value().encode()
    return hmac.new(key, payload, hashlib.sha256).digest()


def sign(payload: bytes) -> str:
    """``payload`` as a link token with its tag: the one signing idiom of the links we send
    (unsubscribe, survey answers: chalicelib/notify/surveys.py). Each kind starts its payload
    with its own version tag, so one kind's token never reads as another's."""
    return f"{_b64(payload)}.{_b64(_tag(payload))}"


def verify(token: str) -> bytes:
    """The payload of a token ``sign`` made; InvalidToken when forged or malformed."""
    try:
        encoded, tag = token.split(".", 1)
        payload, given = _unb64(encoded), _unb64(tag)
    except ValueError as exc:  # no dot, bad base64
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(given, _tag(payload)):
        raise InvalidToken("bad signature")
    return payload


def make_token(user_id: str, category: Category, channel: Channel) -> str:
    return sign(f"{_VERSION}|{user_id}|{category.value}|{channel.value}".encode())


def read_token(token: str) -> UnsubscribeRequest:
    try:
        payload = verify(token)
        version, user_id, category, channel = payload.decode().split("|")
        if version != _VERSION or not user_id:
            raise InvalidToken("unknown token version")
        return UnsubscribeRequest(user_id, Category(category), Channel(channel))
    except InvalidToken:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # bad base64, split or enum value
        raise InvalidToken("malformed token") from exc


def link(user_id: str, category: Category, channel: Channel) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/v1/unsubscribe?{urlencode({'token': make_token(user_id, category, channel)})}"
