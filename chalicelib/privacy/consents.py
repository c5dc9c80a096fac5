"""Consents and objections (SHARE-4, RIGHT-5): what the user allows, with its history.

Partner marketing is consented per partner or for "all"; a per-partner answer beats
"all" (so "all, except X" and "none, except Y" both work). A marketing objection or a
restriction of processing beats every consent: it is absolute. The terms/privacy
acceptance (DATA-2) is written by accounts at registration; this module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.consents import (
    ALL_PARTNERS,
    LOCATION,
    MARKETING_OBJECTION,
    NO_SCOPE,
    PARTNER_MARKETING,
    PROCESSING_RESTRICTION,
    ConsentChange,
    ConsentView,
)
from chalicelib.privacy import audit
from chalicelib.store import consents as store
from chalicelib.store import db

PLATFORM_TENANT = "platform"


@dataclass(frozen=True)
class TermsAcceptance:
    version: str
    accepted_at: str


@dataclass(frozen=True)
class ConsentSummary:
    partner_marketing_all: bool
    partner_marketing: dict[str, tuple[bool, str]]  # partner id -> (granted, updated at)
    location: bool
    marketing_objection: bool
    processing_restriction: bool
    terms: TermsAcceptance | None
    history: list[ConsentView] = field(default_factory=list)


def allows_partner_marketing(user_id: str, partner_id: str) -> bool:
    """May ``partner_id`` send marketing to ``user_id`` right now? (one consistent BatchGetItem)

    Called by the notification pipeline at send time, so a withdrawal or an objection
    stops the very next message. No answer on record means no (marketing is opt-in).
    """
    found = store.states(
        user_id,
        [
            (PARTNER_MARKETING, partner_id),
            (PARTNER_MARKETING, ALL_PARTNERS),
            (MARKETING_OBJECTION, NO_SCOPE),
            (PROCESSING_RESTRICTION, NO_SCOPE),
        ],
    )
    if found.get((MARKETING_OBJECTION, NO_SCOPE)) or found.get((PROCESSING_RESTRICTION, NO_SCOPE)):
        return False
    specific = found.get((PARTNER_MARKETING, partner_id))
    if specific is not None:
        return specific
    return found.get((PARTNER_MARKETING, ALL_PARTNERS), False)


def allows_location(user_id: str) -> bool:
    """Has the user switched on "use my location" (DATA-5)? The location itself is never stored."""
    found = store.states(user_id, [(LOCATION, NO_SCOPE), (PROCESSING_RESTRICTION, NO_SCOPE)])
    if found.get((PROCESSING_RESTRICTION, NO_SCOPE)):
        return False
    return found.get((LOCATION, NO_SCOPE), False)


def is_processing_restricted(user_id: str) -> bool:
    """RIGHT-5 restriction: keep the data, but use it for nothing optional."""
    return store.states(user_id, [(PROCESSING_RESTRICTION, NO_SCOPE)]).get((PROCESSING_RESTRICTION, NO_SCOPE), False)


def summary(user_id: str, *, with_history: bool = True) -> ConsentSummary:
    states = store.current(user_id)
    by_key = {(s.kind, s.scope): s for s in states}

    def flag(kind: str, scope: str = NO_SCOPE) -> bool:
        state = by_key.get((kind, scope))
        return bool(state and state.granted)

    partners = {s.scope: (s.granted, s.at) for s in states if s.kind == PARTNER_MARKETING and s.scope != ALL_PARTNERS}
    return ConsentSummary(
        partner_marketing_all=flag(PARTNER_MARKETING, ALL_PARTNERS),
        partner_marketing=partners,
        location=flag(LOCATION),
        marketing_objection=flag(MARKETING_OBJECTION),
        processing_restriction=flag(PROCESSING_RESTRICTION),
        terms=terms_acceptance(user_id),
        history=store.history(user_id) if with_history else [],
    )


def change(user_id: str, changes: list[ConsentChange], *, at: datetime, source: str = "settings") -> None:
    """Record the changes and their audit record (SEC-6): state + history + audit, one
    TransactWriteItems (a cancelled one leaves neither the change nor the record)."""
    if not changes:
        return
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=PLATFORM_TENANT,
        actor=user_id,
        action="consent.changed",
        entity="Consent",
        entity_id=user_id,
        at=at,
        summary={
            "changes": ",".join(f"{c.kind}:{c.scope}={'granted' if c.granted else 'withdrawn'}" for c in changes),
            "source": source,
        },
    )
    store.apply_changes(user_id, changes, at, source, tx=tx)


def withdraw_all(user_id: str, *, at: datetime, source: str) -> None:
    """Withdraw every granted consent at once (erasure, objection)."""
    granted = [s for s in store.current(user_id) if s.granted and s.kind in (PARTNER_MARKETING, LOCATION)]
    change(user_id, [ConsentChange(s.kind, s.scope, False) for s in granted], at=at, source=source)


def terms_acceptance(user_id: str) -> TermsAcceptance | None:
    """The terms/privacy version the user accepted at registration (written by accounts)."""
    from chalicelib.privacy import subjects

    record = subjects.registration_record(user_id)
    if record is None:
        return None
    return TermsAcceptance(version=record[0], accepted_at=record[1])
