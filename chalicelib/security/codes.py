"""One-time sign-in codes (SEC-2): 6 digits from ``secrets``, kept only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from chalicelib.security.secrets import secret_bytes
from chalicelib.settings import get_settings

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(purpose: str, address: str, code: str) -> str:
    """Bound to purpose and address, so one code's hash says nothing about another's."""
    key = secret_bytes(get_settings().otp_hmac_key)
    return hmac.new(key, f"{purpose}\x00{address}\x00{code}".encode(), hashlib.sha256).hexdigest()


def matches(stored_hash: str, purpose: str, address: str, code: str) -> bool:
    return hmac.compare_digest(stored_hash, code_hash(purpose, address, code))
