"""One-time code challenges (SEC-2).

Key: ``OTP#<h>`` / ``<purpose>`` where h is the keyed hash of the address: one live code per
(address, purpose), so a new code overwrites (invalidates) the old one. Only the code's
HMAC is stored. Verification spends an attempt with a conditional UpdateItem before the
comparison (attempts < max, not expired); a match is consumed with a conditional
DeleteItem on that hash, so a code works once even under concurrency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.security.lookup import lookup_hash
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem


class OtpChallenge(TableItem, discriminator="OtpChallenge"):
    purpose = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    expires_at = InstantAttribute()
    created_at = InstantAttribute()


def _key(address: str, purpose: str) -> tuple[str, str]:
    return f"OTP#{lookup_hash('otp', address)}", purpose


def put(address: str, purpose: str, code_hash: str, at: datetime, lifetime: timedelta) -> None:
    pk, sk = _key(address, purpose)
    expires = at + lifetime
    db.put(
        OtpChallenge(
            pk=pk,
            sk=sk,
            purpose=purpose,
            code_hash=code_hash,
            attempts=0,
            expires_at=expires,
            created_at=at,
            ttl=expires + window("otp_challenge"),
        )
    )


def spend_attempt(address: str, purpose: str, at: datetime, max_attempts: int) -> str | None:
    """Count one attempt; the stored hash when the challenge is live, else None (missing, expired, burned)."""
    pk, sk = _key(address, purpose)
    item = OtpChallenge(pk=pk, sk=sk)
    try:
        db.update(
            item,
            [OtpChallenge.attempts.add(1)],
            condition=(
                OtpChallenge.pk.exists() & (OtpChallenge.attempts < max_attempts) & (OtpChallenge.expires_at > at)
            ),
        )
    except db.ConditionFailed:
        return None
    return item.code_hash


def consume(address: str, purpose: str, code_hash: str) -> bool:
    """Delete the challenge if it still holds this code; False if another request consumed it first."""
    pk, sk = _key(address, purpose)
    try:
        db.delete(OtpChallenge(pk=pk, sk=sk), condition=OtpChallenge.code_hash == code_hash)
    except db.ConditionFailed:
        return False
    return True


def discard(address: str, purpose: str) -> None:
    pk, sk = _key(address, purpose)
    db.delete(OtpChallenge(pk=pk, sk=sk))
