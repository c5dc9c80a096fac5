"""Password hashing with bcrypt (SEC-1).

bcrypt only reads 72 bytes. Instead of truncating (two long passwords sharing a prefix
would collide) the password is pre-hashed: bcrypt(base64(SHA-256(password))), 44 bytes
with no NUL. Stored as ``bcrypt-sha256$<bcrypt hash>`` so the scheme can evolve.
"""

from __future__ import annotations

import base64
import hashlib

from chalicelib.settings import get_settings

SCHEME = "bcrypt-sha256"
MIN_LENGTH = 10
MAX_LENGTH = 256  # characters; bounds the work an attacker can make us do


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    import bcrypt

    rounds = get_settings().bcrypt_rounds
    hashed = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=rounds))
    return f"{SCHEME}${hashed.decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant work whether or not an account/hash exists (no user enumeration by timing)."""
    import bcrypt

    scheme, sep, hashed = (stored or "").partition("$")
    if scheme != SCHEME or not sep:
        bcrypt.checkpw(_prehash(password), _dummy_hash())
        return False
    return bool(bcrypt.checkpw(_prehash(password), hashed.encode()))


_DUMMY: bytes | None = None


def _dummy_hash() -> bytes:
    global _DUMMY
    if _DUMMY is None:
        import bcrypt

        _DUMMY = bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(rounds=get_settings().bcrypt_rounds))
    return _DUMMY
