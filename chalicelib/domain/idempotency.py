"""Idempotency-Key rules shared by every keyed POST (bookings, travel requests).

Pure: a key's bounds, the fingerprint a key is bound to (the request it first came with) and,
for creates whose new item's id can be the key itself, that id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from chalicelib import errors
from chalicelib.domain.bookings import IDEMPOTENCY_KEY_MAX_CHARS, IdempotencyKeyReused

__all__ = ["IDEMPOTENCY_KEY_MAX_CHARS", "IdempotencyKeyReused", "check_key", "derived_id", "fingerprint"]


def check_key(key: str) -> None:
    """1 to IDEMPOTENCY_KEY_MAX_CHARS printable ASCII characters, else 422 naming the header."""
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_CHARS or not key.isascii() or not key.isprintable():
        raise errors.InvalidInput(
            [errors.FieldError("idempotency_key", f"1 to {IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters")]
        )


def fingerprint(request: Mapping[str, Any]) -> str:
    """SHA-256 of a request's canonical JSON: the request_hash an Idempotency-Key is bound to.
    A change's request names its ``operation``, so one key cannot stand for two kinds of request."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def derived_id(user_id: str, operation: str, key: str) -> str:
    """The id of the item a keyed create makes: 32 hex digits (the shape of a uuid4().hex), the
    same for a retry, so the retry's conditional put fails and it answers the first item.
    Scoped to the caller and the operation (its path with ids): another user's or another
    route's same key names another item."""
    return hashlib.sha256(json.dumps([user_id, operation, key]).encode()).hexdigest()[:32]
