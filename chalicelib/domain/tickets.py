"""QR tickets (WAL-2): products, validity windows and the signed QR payload. Pure: no AWS, no
clock (``now`` is passed in), no key material beyond what the caller hands over.

The payload (docs/wallet.md, "QR tickets: the payload") is 117 bytes, sent as 156
characters of unpadded base64url (fits a version-6 QR code at level M):

    offset size  field
    0      1     version (1)
    1      4     key id (first 4 bytes of SHA-256 of the raw Ed25519 public key)
    5      16    ticket id (UUID bytes)
    21     16    product id (UUID bytes)
    37     4     not before, Unix seconds, unsigned big-endian
    41     4     not after, Unix seconds, unsigned big-endian (exclusive)
    45     8     nonce (random: two tickets never share a payload)
    53     64    Ed25519 signature over bytes 0-52

Like pretix's signed secrets (a version, the signed body, the signature) but fixed-width
fields instead of protobuf: nothing to parse but offsets, so a validator verifies it with
one Ed25519 check. The key id names the key, so keys can rotate: validators keep every
published key (``GET /v1/tickets/keys``) and pick the one the payload names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VERSION = 1
KEY_ID_BYTES = 4
SIGNATURE_BYTES = 64
_BODY = struct.Struct(">B4s16s16sII8s")  # version, key id, ticket, product, not before, not after, nonce
BODY_BYTES = _BODY.size  # 53
PAYLOAD_BYTES = BODY_BYTES + SIGNATURE_BYTES  # 117
PAYLOAD_CHARS = 156  # unpadded base64url of 117 bytes
_LATEST = datetime(2106, 2, 7, tzinfo=UTC)  # an unsigned 32-bit Unix second reaches about here


class ProductKind(StrEnum):
    SINGLE_RIDE = "single_ride"
    DAY_PASS = "day_pass"  # noqa: S105 - a product kind, not a password
    EVENT_TICKET = "event_ticket"


# A day pass is used as often as its window allows; the others admit once (WAL-2).
SINGLE_USE = frozenset({ProductKind.SINGLE_RIDE, ProductKind.EVENT_TICKET})


class TicketStatus(StrEnum):
    VALID = "valid"
    USED = "used"
    REVOKED = "revoked"  # by an operator
    REFUNDED = "refunded"  # by its holder, unused


class Refusal(StrEnum):
    """Why a validator refuses a QR code (the same words online and offline)."""

    MALFORMED = "malformed"  # not a payload of this format
    UNKNOWN_KEY = "unknown_key"  # signed by no key the validator knows
    BAD_SIGNATURE = "bad_signature"  # tampered with, or forged
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"  # on the revocation list (refunded or revoked)
    ALREADY_USED = "already_used"  # a single-use ticket scanned before
    UNKNOWN_TICKET = "unknown_ticket"  # online: no such ticket


@dataclass(frozen=True)
class TicketProduct:
    """What an operator sells. Validity is either ``duration`` from the purchase or the fixed
    window ``valid_from``..``valid_until`` (exactly one of the two)."""

    product_id: str
    name: str
    kind: ProductKind
    price_minor: int
    currency: str
    duration: timedelta | None
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    created_at: datetime

    def validity(self, purchased_at: datetime) -> tuple[datetime, datetime]:
        """(not before, not after) of a ticket bought at ``purchased_at``; whole seconds, as in
        the payload. A fixed window already over cannot be sold (``sellable``)."""
        if self.duration is not None:
            start = purchased_at
            end = purchased_at + self.duration
        else:
            if self.valid_from is None or self.valid_until is None:
                raise ValueError("a product needs a duration or a fixed window")
            start, end = self.valid_from, self.valid_until
        return _whole_second(start), _whole_second(end)

    def sellable(self, now: datetime) -> bool:
        if not self.active:
            return False
        return self.valid_until is None or self.valid_until > now

    @property
    def single_use(self) -> bool:
        return self.kind in SINGLE_USE


def _whole_second(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class TicketClaims:
    """What a payload says, once its signature checked out."""

    key_id: str  # hex
    ticket_id: str  # uuid hex
    product_id: str  # uuid hex
    not_before: datetime
    not_after: datetime
    nonce: str  # hex

    def refusal_at(self, now: datetime) -> Refusal | None:
        if now < self.not_before:
            return Refusal.NOT_YET_VALID
        if now >= self.not_after:
            return Refusal.EXPIRED
        return None


def key_id(raw_public_key: bytes) -> str:
    """The key id a payload carries: the first 4 bytes of SHA-256 of the raw public key, hex."""
    return hashlib.sha256(raw_public_key).digest()[:KEY_ID_BYTES].hex()


def _epoch(at: datetime) -> int:
    if not datetime(1970, 1, 1, tzinfo=UTC) <= at < _LATEST:
        raise ValueError("a ticket's validity must lie between 1970 and 2106")
    return int(at.astimezone(UTC).timestamp())


def payload_body(
    *, key: str, ticket_id: str, product_id: str, not_before: datetime, not_after: datetime, nonce: bytes
) -> bytes:
    """The 53 signed bytes (the signer appends its 64-byte signature)."""
    if len(nonce) != 8:
        raise ValueError("the nonce is 8 bytes")
    return _BODY.pack(
        VERSION,
        bytes.fromhex(key),
        uuid.UUID(hex=ticket_id).bytes,
        uuid.UUID(hex=product_id).bytes,
        _epoch(not_before),
        _epoch(not_after),
        nonce,
    )


def encode_payload(body: bytes, signature: bytes) -> str:
    if len(body) != BODY_BYTES or len(signature) != SIGNATURE_BYTES:
        raise ValueError("not a payload body and an Ed25519 signature")
    return base64.urlsafe_b64encode(body + signature).rstrip(b"=").decode()


def _decode(text: str) -> bytes | None:
    if len(text) != PAYLOAD_CHARS or not text.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # Only the canonical encoding: a second spelling of the same bytes is not the same code.
    if len(raw) != PAYLOAD_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        return None
    return raw


@dataclass(frozen=True)
class Verdict:
    """A validator's decision on one QR code: ``claims`` when the signature is good (even if
    the ticket is then refused for its window or the revocation list), ``refusal`` if refused."""

    claims: TicketClaims | None
    refusal: Refusal | None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def verify_payload(
    text: str,
    keys: Mapping[str, Ed25519PublicKey],
    now: datetime,
    revoked: Collection[str] = (),
) -> Verdict:
    """The offline validator's check (the bench measures it): format, key, signature, window,
    revocation list (``revoked``: ticket ids). A one-byte change anywhere fails the signature
    (or the format). Nothing here knows whether a single-use ticket was used before: online,
    the store's conditional write decides; offline, the upload flags a double use."""
    from cryptography.exceptions import InvalidSignature

    raw = _decode(text)
    if raw is None or raw[0] != VERSION:
        return Verdict(None, Refusal.MALFORMED)
    _version, kid, ticket, product, not_before, not_after, nonce = _BODY.unpack_from(raw)
    public_key = keys.get(kid.hex())
    if public_key is None:
        return Verdict(None, Refusal.UNKNOWN_KEY)
    try:
        public_key.verify(raw[BODY_BYTES:], raw[:BODY_BYTES])
    except InvalidSignature:
        return Verdict(None, Refusal.BAD_SIGNATURE)
    claims = TicketClaims(
        key_id=kid.hex(),
        ticket_id=uuid.UUID(bytes=ticket).hex,
        product_id=uuid.UUID(bytes=product).hex,
        not_before=datetime.fromtimestamp(not_before, UTC),
        not_after=datetime.fromtimestamp(not_after, UTC),
        nonce=nonce.hex(),
    )
    if claims.ticket_id in revoked:
        return Verdict(claims, Refusal.REVOKED)
    return Verdict(claims, claims.refusal_at(now))


def public_keys(raw_keys: Mapping[str, bytes]) -> dict[str, Ed25519PublicKey]:
    """Key id -> public key object, from raw 32-byte keys (what ``/v1/tickets/keys`` lists)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in raw_keys.items()}
