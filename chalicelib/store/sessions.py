"""Sign-in sessions (refresh token families).

Key: ``SESSION#<sid>`` / ``META``; GSI1 ``USER#<u>`` / ``SESSION#<created>`` lists a user's
sessions (revoke all on deactivation). Only the SHA-256 of the current refresh secret is
stored, and that of the one it replaced (so a replayed, once genuinely issued secret is told
apart from a guess: only the former revokes the family). Rotation is one conditional
UpdateItem: it succeeds only for the current hash of a live family, so two uses of one
token cannot both rotate.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

META = "META"


class Session(TableItem, discriminator="Session"):
    session_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    refresh_hash = UnicodeAttribute()
    previous_refresh_hash = UnicodeAttribute(null=True)  # the secret the current one replaced
    generation = NumberAttribute(default=0)
    via_cookie = BooleanAttribute(default=False)
    method = UnicodeAttribute()  # password | otp | telegram | register
    created_at = InstantAttribute()
    expires_at = InstantAttribute()
    revoked_at = InstantAttribute(null=True)
    revoke_reason = UnicodeAttribute(null=True)
    ip = UnicodeAttribute()  # DATA-4: security only
    user_agent = UnicodeAttribute()


def _pk(session_id: str) -> str:
    return f"SESSION#{session_id}"


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
        gsi1sk=f"SESSION#{codec.encode(new.at)}#{new.session_id}",
        session_id=new.session_id,
        user_id=new.user_id,
        refresh_hash=new.refresh_hash,
        via_cookie=new.via_cookie,
        method=new.method,
        created_at=new.at,
        expires_at=expires,
        ip=new.ip[:64],
        user_agent=new.user_agent[:256],
        ttl=expires + window("session"),
    )
    db.put(item, condition=Session.pk.does_not_exist())
    return item


def get(session_id: str) -> Session | None:
    return db.get(Session, _pk(session_id), META, consistent=True)


@dataclass(frozen=True)
class SessionState:
    user_id: str
    revoked: bool


def state(session_id: str) -> SessionState | None:
    """Whether a session is live, for every signed-in request: one consistent GetItem projected
    to two attributes, decoded without building a model (the hot path, bench/booking_ops.py)."""
    item = db.get_raw(_pk(session_id), META, projection=["user_id", "revoked_at"])
    if item is None:
        return None
    values = db.decoder(Session)(item)
    return SessionState(user_id=values["user_id"], revoked=values["revoked_at"] is not None)


def rotate(session_id: str, presented_hash: str, new_hash: str, at: datetime) -> Session | None:
    """Swap the refresh hash if ``presented_hash`` is current and the family is live; else None."""
    item = Session(pk=_pk(session_id), sk=META)
    try:
        db.update(
            item,
            [
                Session.refresh_hash.set(new_hash),
                Session.previous_refresh_hash.set(presented_hash),
                Session.generation.add(1),
            ],
            condition=(
                (Session.refresh_hash == presented_hash)
                & Session.revoked_at.does_not_exist()
                & (Session.expires_at > at)
            ),
        )
    except db.ConditionFailed:
        return None
    return item


def revoke(session_id: str, at: datetime, reason: str, *, tx: db.Transaction | None = None) -> None:
    """Idempotent: the first revocation's time and reason are kept. One UpdateItem, or with
    the caller's ``tx`` (its audit record) one TransactWriteItems: nothing of it commits when
    the session was already revoked."""
    item = Session(pk=_pk(session_id), sk=META)
    actions = [Session.revoked_at.set(at), Session.revoke_reason.set(reason)]
    condition = Session.pk.exists() & Session.revoked_at.does_not_exist()
    if tx is None:
        with suppress(db.ConditionFailed):  # already revoked (or gone): the first revocation stands
            db.update(item, actions, condition=condition)
        return
    tx.update(item, actions, role="session", condition=condition)
    with suppress(db.TransactionCancelled):  # already revoked, or being revoked: the first stands
        tx.commit()


def list_for_user(user_id: str, limit: int = 200) -> list[Session]:
    found = db.query(Session, f"USER#{user_id}", Session.gsi1sk.startswith("SESSION#"), index="GSI1", limit=limit)
    return [item for item in found if isinstance(item, Session)]
