"""Sessions: issue, refresh (rotating, reuse revokes the family), revoke, authenticate (SEC-4)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import errors
from chalicelib.domain.identity import Principal
from chalicelib.observability import logger
from chalicelib.privacy import audit
from chalicelib.security import tokens
from chalicelib.settings import get_settings
from chalicelib.store import db
from chalicelib.store import sessions as session_store
from chalicelib.store import users as user_store


@dataclass(frozen=True)
class ClientInfo:
    """Technical data kept for security only (DATA-4)."""

    ip: str
    user_agent: str
    via_cookie: bool = False


@dataclass(frozen=True)
class IssuedSession:
    user_id: str
    session_id: str
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    via_cookie: bool


def start(user: user_store.User, method: str, client: ClientInfo, now: datetime) -> IssuedSession:
    """A new refresh family and its first access token (one PutItem)."""
    if not user.active:
        raise errors.Unauthenticated("This account is closed")
    lifetime = timedelta(days=get_settings().refresh_token_ttl_days)
    session_id = tokens.new_id()
    refresh_token, refresh_hash = tokens.new_refresh_token(session_id)
    session_store.create(
        session_store.NewSession(
            session_id=session_id,
            user_id=user.user_id,
            refresh_hash=refresh_hash,
            via_cookie=client.via_cookie,
            method=method,
            ip=client.ip,
            user_agent=client.user_agent,
            at=now,
            lifetime=lifetime,
        )
    )
    access_token, expires_in = tokens.issue_access_token(user.user_id, session_id, bool(user.is_operator), now)
    return IssuedSession(
        user_id=user.user_id,
        session_id=session_id,
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=expires_in,
        refresh_expires_in=int(lifetime.total_seconds()),
        via_cookie=client.via_cookie,
    )


_INVALID_REFRESH = "The refresh token is not valid; sign in again"


def refresh(refresh_token: str, via_cookie: bool, now: datetime) -> IssuedSession:
    """Rotate: UpdateItem on the current hash, GetItem profile. A stale token revokes the family."""
    try:
        session_id, secret = tokens.split_refresh_token(refresh_token)
    except tokens.InvalidToken:
        raise errors.Unauthenticated(_INVALID_REFRESH) from None
    new_token, new_hash = tokens.new_refresh_token(session_id)
    presented_hash = tokens.refresh_hash(secret)
    rotated = session_store.rotate(session_id, presented_hash, new_hash, now)
    if rotated is None:
        _on_failed_rotation(session_id, presented_hash, now)
        raise errors.Unauthenticated(_INVALID_REFRESH)
    user = user_store.get_user(rotated.user_id)
    if user is None or not user.active:
        session_store.revoke(session_id, now, "account_closed")
        raise errors.Unauthenticated("This account is closed")
    access_token, expires_in = tokens.issue_access_token(user.user_id, session_id, bool(user.is_operator), now)
    remaining = rotated.expires_at - now
    return IssuedSession(
        user_id=user.user_id,
        session_id=session_id,
        access_token=access_token,
        refresh_token=new_token,
        expires_in=expires_in,
        refresh_expires_in=max(0, int(remaining.total_seconds())),
        via_cookie=via_cookie,
    )


def _on_failed_rotation(session_id: str, presented_hash: str, now: datetime) -> None:
    """A live family presented with the secret its current one replaced: that token was used
    twice (one copy is stolen). Revoke the whole family.

    Anything else is refused and changes nothing: the session id is readable in every access
    token (and in logs of the client), so ``<sid>.<guess>`` must not let a stranger end
    someone's session. Only the hash of the secret a rotation replaced is kept, so a token
    two or more rotations old is refused without revoking (see docs/accounts.md).
    """
    existing = session_store.get(session_id)
    if existing is None or existing.revoked_at is not None:
        return
    if existing.expires_at <= now:
        return
    previous = existing.previous_refresh_hash
    if previous is None or not hmac.compare_digest(previous, presented_hash):
        logger.info("refresh with a secret this session never issued", extra={"operation": "refresh"})
        return
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=audit.PLATFORM,
        actor=existing.user_id,
        action="session.revoked_on_reuse",
        entity="session",
        entity_id=session_id,
        at=now,
    )
    session_store.revoke(session_id, now, "refresh_reuse", tx=tx)  # revocation and record commit together
    logger.warning("refresh token reuse; session family revoked", extra={"operation": "refresh"})


def revoke(session_id: str, now: datetime, reason: str = "logout") -> None:
    session_store.revoke(session_id, now, reason)


def authenticate(access_token: str, via_cookie: bool, now: datetime) -> Principal:
    """Verify the JWT, then one GetItem: a revoked (logged-out) session stops working at once."""
    try:
        claims = tokens.verify_access_token(access_token, now)
    except tokens.InvalidToken as exc:
        raise errors.Unauthenticated(str(exc)) from None
    session = session_store.state(claims.session_id)
    if session is None or session.revoked or session.user_id != claims.user_id:
        raise errors.Unauthenticated("This session has ended; sign in again")
    return Principal(
        user_id=claims.user_id,
        session_id=claims.session_id,
        is_operator=claims.is_operator,
        via_cookie=via_cookie,
    )
