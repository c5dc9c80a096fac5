"""Access tokens (short-lived JWT) and refresh tokens (opaque, rotating) (SEC-4).

JWTs are HS256 only: the algorithm allowlist refuses ``none`` and any other algorithm;
iss, aud, exp, iat, sub and sid are required. A refresh token is ``<session id>.<secret>``;
only SHA-256 of the 256-bit secret is stored (a high-entropy secret needs no slow hash).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.security.secrets import secret_bytes
from chalicelib.settings import get_settings

ALGORITHMS = ["HS256"]
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "sid"]


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    is_operator: bool


def issue_access_token(user_id: str, session_id: str, is_operator: bool, now: datetime) -> tuple[str, int]:
    import jwt

    settings = get_settings()
    lifetime = settings.access_token_ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "opr": is_operator,
    }
    token = jwt.encode(claims, secret_bytes(settings.jwt_secret), algorithm=ALGORITHMS[0])
    return token, lifetime


def verify_access_token(token: str, now: datetime) -> AccessClaims:
    import jwt

    settings = get_settings()
    try:
        # PyJWT checks exp against the wall clock; the injected clock decides instead (tests travel in time).
        claims = jwt.decode(
            token,
            secret_bytes(settings.jwt_secret),
            algorithms=ALGORITHMS,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise InvalidToken("token is not valid") from None
    exp = claims.get("exp")
    if not isinstance(exp, int) or now.timestamp() >= exp:
        raise InvalidToken("token has expired")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not isinstance(sub, str) or not isinstance(sid, str) or not sub or not sid:
        raise InvalidToken("token is not valid")
    return AccessClaims(user_id=sub, session_id=sid, is_operator=claims.get("opr") is True)


def new_refresh_token(session_id: str) -> tuple[str, str]:
    """(token for the client, hash to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{session_id}.{secret}", refresh_hash(secret)


def refresh_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_refresh_token(token: str) -> tuple[str, str]:
    session_id, sep, secret = token.partition(".")
    if not sep or not session_id or not secret or len(token) > 200:
        raise InvalidToken("refresh token is not valid")
    return session_id, secret


def new_id() -> str:
    return secrets.token_hex(16)
