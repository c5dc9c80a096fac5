"""Consents (SHARE-4, RIGHT-5): the current state per consent, plus an append-only history.

Keys (all in the user's partition, so erasure and export find them with one Query):
- current state: PK ``USER#<u>``, SK ``CONSENT#<kind>#<scope>``
- history:       PK ``USER#<u>``, SK ``CONSENTLOG#<instant>#<id>``

A change writes the new state and its history entry in one transaction, so the history
can never miss a change. Reads at send time are strongly consistent: a withdrawal takes
effect for the very next message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib import errors

# The vocabulary lives in the domain (chalicelib/domain/consents.py).
from chalicelib.domain.consents import (
    ConsentChange,
    ConsentView,
)
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

# One transaction holds at most 100 actions; each change is two (state + history), and the
# change's audit record is one more.
MAX_CHANGES_PER_WRITE = 49


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _state_sk(kind: str, scope: str) -> str:
    return f"CONSENT#{kind}#{scope}"


def _shown(at: datetime) -> str:
    """How a consent's instant is shown (ConsentView.at): ISO 8601 with microseconds and "+00:00",
    as the API has always answered; the stored form is the codec's."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class ConsentState(TableItem, discriminator="ConsentState"):
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    scope = UnicodeAttribute()
    granted = BooleanAttribute()
    updated_at = InstantAttribute()


class ConsentEvent(TableItem, discriminator="ConsentEvent"):
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    scope = UnicodeAttribute()
    granted = BooleanAttribute()
    at = InstantAttribute()
    source = UnicodeAttribute()  # "settings" (the user), "erasure", "unsubscribe-link" ...


def apply_changes(
    user_id: str, changes: Iterable[ConsentChange], at: datetime, source: str, *, tx: db.Transaction | None = None
) -> None:
    """Write each change's new state and its history entry in one transaction, with the
    caller's ``tx`` (its audit record)."""
    changes = list(changes)
    if not changes:
        return
    if len(changes) > MAX_CHANGES_PER_WRITE:
        raise errors.InvalidInput(
            [errors.FieldError("body", f"at most {MAX_CHANGES_PER_WRITE} changes at once")],
        )
    keys = [(change.kind, change.scope) for change in changes]
    repeated = next((kind for i, (kind, scope) in enumerate(keys) if (kind, scope) in keys[:i]), None)
    if repeated is not None:
        # Two writes of one item in one transaction are DynamoDB's ValidationException: refuse them here.
        raise errors.InvalidInput([errors.FieldError(repeated, "one change per consent (and partner) at once")])
    tx = tx if tx is not None else db.Transaction()
    for change in changes:
        tx.put(
            ConsentState(
                pk=_user_pk(user_id),
                sk=_state_sk(change.kind, change.scope),
                user_id=user_id,
                kind=change.kind,
                scope=change.scope,
                granted=change.granted,
                updated_at=at,
            ),
            role="state",
        )
        tx.put(
            ConsentEvent(
                pk=_user_pk(user_id),
                sk=f"CONSENTLOG#{codec.encode(at)}#{uuid.uuid4().hex}",
                user_id=user_id,
                kind=change.kind,
                scope=change.scope,
                granted=change.granted,
                at=at,
                source=source,
            ),
            role="history",
        )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        # No write here has a condition: a cancellation is a concurrent change to the same
        # consent (throttling is DependencyUnavailable in db.py already). Not an outage.
        raise errors.Conflict("Your consents changed meanwhile; read them and try again") from exc


def current(user_id: str) -> list[ConsentView]:
    """Every current consent state of the user (one Query, strongly consistent)."""
    return [
        ConsentView(kind=s.kind, scope=s.scope, granted=s.granted, at=_shown(s.updated_at))
        for s in db.query(ConsentState, _user_pk(user_id), ConsentState.sk.startswith("CONSENT#"), consistent=True)
        if isinstance(s, ConsentState)
    ]


def history(user_id: str, limit: int = 200) -> list[ConsentView]:
    """The change history, newest first (one Query)."""
    return [
        ConsentView(kind=e.kind, scope=e.scope, granted=e.granted, at=_shown(e.at), source=e.source)
        for e in db.query(
            ConsentEvent, _user_pk(user_id), ConsentEvent.sk.startswith("CONSENTLOG#"), ascending=False, limit=limit
        )
        if isinstance(e, ConsentEvent)
    ]


def states(user_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """The named (kind, scope) states that exist, by one strongly consistent BatchGetItem."""
    wanted = [(_user_pk(user_id), _state_sk(kind, scope)) for kind, scope in keys]
    found: dict[tuple[str, str], bool] = {}
    with db.sdk_errors():
        for item in ConsentState.batch_get(wanted, consistent_read=True):
            if isinstance(item, ConsentState):
                found[(item.kind, item.scope)] = item.granted
    return found
