"""Opaque list cursors: a store's continuation key, base64url-encoded and HMAC-signed.

A cursor is bound to a ``scope`` (e.g. ``"venues:<business id>"``), so a cursor from one
list or tenant cannot be replayed against another, and a tampered or truncated cursor is a
422 naming ``query.cursor`` rather than a DynamoDB error. Clients must treat cursors as
opaque; the format may change.

    after = pagination.decode(query.cursor, scope=f"venues:{business_id}")
    items, last_key = service.list_something(..., after=after)
    next_cursor = pagination.encode(last_key, scope=f"venues:{business_id}")
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from chalicelib import errors

_TAG_BYTES = 16


def _key() -> bytes:
    from chalicelib.security.secrets import secret_bytes
    from chalicelib.settings import get_settings

    return secret_bytes(get_settings().cursor_signing_key)


def _tag(scope: str, payload: bytes) -> bytes:
    return hmac.new(_key(), scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: Mapping[str, Any] | None, *, scope: str) -> str | None:
    """The cursor for the page after ``key`` (None: there is no next page)."""
    if not key:
        return None
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return _b64(payload) + "." + _b64(_tag(scope, payload))


def decode(cursor: str | None, *, scope: str, field: str = "query.cursor") -> dict[str, Any] | None:
    """The continuation key a cursor carries; InvalidInput if it was not issued for ``scope``."""
    if not cursor:
        return None
    invalid = errors.InvalidInput([errors.FieldError(field, "not a cursor issued for this list")])
    encoded_payload, _, encoded_tag = cursor.partition(".")
    try:
        payload = _unb64(encoded_payload)
        tag = _unb64(encoded_tag)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not hmac.compare_digest(tag, _tag(scope, payload)):
        raise invalid
    try:
        key = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(key, dict):
        raise invalid
    return key
