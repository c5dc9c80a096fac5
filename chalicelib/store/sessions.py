"""Sign-in sessions (refresh token families).

Key: ``SESSION#<sid>`` / ``META``; GSI1 ``USER#<u>`` / ``SESSION#<created>`` lists a user's
sessions (revoke all on deactivation). Only the SHA-256 of the current refresh secret is
stored. Rotation is one conditional UpdateItem: it succeeds only for the current hash of a
live family, so two uses of one token cannot both rotate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import errors
from chalicelib.store.table import TableItem

META = "META"


class Session(TableItem, discriminator="Session"):
    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    refresh_hash = UnicodeAttribute()
    generation = NumberAttribute(default=0)
    via_cookie = BooleanAttribute(default=False)
    method = UnicodeAttribute()  # password | otp | telegram | register
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoke_reason = UnicodeAttribute(null=True)
    ip = UnicodeAttribute()  # DATA-4: security only
    user_agent = UnicodeAttribute()


def _pk(session_id: str) -> str:
    return f"SESSION#{session_id}"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class NewSession:
    session_id: str
    user_id: str
    refresh_hash: str
    via_cookie: bool
    method: str
    ip: str
    user_agent: str
    at: datetime
    lifetime: timedelta


def create(new: NewSession) -> Session:
    expires = new.at + new.lifetime
    item = Session(
        pk=_pk(new.session_id),
        sk=META,
        gsi1pk=f"USER#{new.user_id}",
        gsi1sk=f"SESSION#{_iso(new.at)}#{new.session_id}",
        session_id=new.session_id,
        user_id=new.user_id,
        refresh_hash=new.refresh_hash,
        via_cookie=new.via_cookie,
        method=new.method,
        created_at=_iso(new.at),
        expires_at=_iso(expires),
        ip=new.ip[:64],
        user_agent=new.user_agent[:256],
        ttl=expires + timedelta(days=1),
    )
    item.save(condition=Session.pk.does_not_exist())
    return item


def get(session_id: str) -> Session | None:
    try:
        return Session.get(_pk(session_id), META, consistent_read=True)
    except DoesNotExist:
        return None


def rotate(session_id: str, presented_hash: str, new_hash: str, at: datetime) -> Session | None:
    """Swap the refresh hash if ``presented_hash`` is current and the family is live; else None."""
    item = Session(pk=_pk(session_id), sk=META)
    try:
        item.update(
            actions=[Session.refresh_hash.set(new_hash), Session.generation.add(1)],
            condition=(
                (Session.refresh_hash == presented_hash)
                & Session.revoked_at.does_not_exist()
                & (Session.expires_at > _iso(at))
            ),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise errors.DependencyUnavailable("Could not refresh the session") from exc
    return item


def revoke(session_id: str, at: datetime, reason: str) -> None:
    """Idempotent: the first revocation's time and reason are kept."""
    try:
        Session(pk=_pk(session_id), sk=META).update(
            actions=[Session.revoked_at.set(_iso(at)), Session.revoke_reason.set(reason)],
            condition=Session.pk.exists() & Session.revoked_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise errors.DependencyUnavailable("Could not revoke the session") from exc


def list_for_user(user_id: str, limit: int = 200) -> list[Session]:
    found = Session.gsi1.query(f"USER#{user_id}", Session.gsi1sk.startswith("SESSION#"), limit=limit)
    return [item for item in found if isinstance(item, Session)]
