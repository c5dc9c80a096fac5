"""Keyed hashes of contact data, so table keys never hold a raw phone, e-mail or Telegram id.

HMAC (not a bare hash): phone numbers are a small space a plain SHA-256 would not protect.
Rotating ``lookup_hmac_key`` requires re-keying the claim items (docs/accounts.md).
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.security.secrets import secret_bytes
from chalicelib.settings import get_settings


def lookup_hash(kind: str, value: str) -> str:
    key = secret_bytes(get_settings().lookup_hmac_key)
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
