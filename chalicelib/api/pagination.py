"""Opaque list cursors: a store's continuation key, encrypted and authenticated (AES-256-GCM).

Every cursor the API hands out is made here. A continuation key is table key material
(``BIZ#<business id>``, user ids, GSI keys): base64 JSON gave it to anyone who read a
public list's cursor, so the key is sealed with AES-GCM under a key derived from
``settings.cursor_signing_key``: clients see random-looking bytes, and any change to a
cursor fails its authentication tag. A cursor is also bound to a ``scope`` (the GCM
associated data, e.g. ``"venues:<business id>"``), so a cursor from one list or tenant
cannot be replayed against another; a tampered, truncated or foreign cursor is a 422
naming ``query.cursor`` rather than a DynamoDB error. Clients must treat cursors as
opaque; the format may change.

    after = pagination.decode(query.cursor, scope=f"venues:{business_id}")
    items, last_key = service.list_something(..., after=after)
    next_cursor = pagination.encode(last_key, scope=f"venues:{business_id}")
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib import errors

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_LABEL = b"booking/list-cursor/v1\x00"


@cache
def _cipher(secret: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # on first use (cold start)

    # A key for this one purpose, derived from the configured secret (which may be any length).
    return AESGCM(hashlib.sha256(_KEY_LABEL + secret).digest())


def _current_cipher() -> AESGCM:
    from chalicelib.security.secrets import secret_bytes
    from chalicelib.settings import get_settings

    return _cipher(secret_bytes(get_settings().cursor_signing_key))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: Mapping[str, Any] | None, *, scope: str) -> str | None:
    """The cursor for the page after ``key`` (None: there is no next page)."""
    if not key:
        return None
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _current_cipher().encrypt(nonce, payload, _VERSION + scope.encode())
    return _b64(_VERSION + nonce + sealed)


def decode(cursor: str | None, *, scope: str, field: str = "query.cursor") -> dict[str, Any] | None:
    """The continuation key a cursor carries; InvalidInput if it was not issued for ``scope``."""
    from cryptography.exceptions import InvalidTag

    if not cursor:
        return None
    invalid = errors.InvalidInput([errors.FieldError(field, "not a cursor issued for this list")])
    try:
        raw = _unb64(cursor)
    except (binascii.Error, ValueError):
        raise invalid from None
    if len(raw) < 1 + _NONCE_BYTES + _TAG_BYTES or raw[:1] != _VERSION:
        raise invalid
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    try:
        payload = _current_cipher().decrypt(nonce, sealed, _VERSION + scope.encode())
        key = json.loads(payload)
    except (InvalidTag, ValueError):
        raise invalid from None
    if not isinstance(key, dict):
        raise invalid
    return key
