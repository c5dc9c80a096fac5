"""QR tickets (WAL-2): products, tickets and their signed QR codes, validators and scans,
the revocation list, usage records (RET-8). docs/wallet.md, "QR tickets", has the flows.

Online, the table decides: a scan is one TransactWriteItems that admits the ticket on
condition it is still valid, records the scan (once per validator scan id) and the
``ticket.used`` event (NOTE-4). Offline, the validator decides from the signature, the
window and the revocation list it downloaded (chalicelib/domain/tickets.verify_payload);
its upload records each scan and flags a ticket admitted twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.domain.identity import Principal
from chalicelib.domain.tickets import (
    SINGLE_USE,
    ProductKind,
    Refusal,
    TicketProduct,
    TicketStatus,
    payload_body,
    public_keys,
    verify_payload,
)
from chalicelib.errors import FieldError
from chalicelib.store import db
from chalicelib.store import tickets as store
from chalicelib.store.tickets import Scan, Ticket, Usage, Validator

TICKET_USED = "ticket.used"  # domain event: the holder's "ticket used" push (NOTE-4)
TICKET_KINDS = frozenset({TICKET_USED})
# How far an offline scan's clock may run ahead of ours, and how old an upload may be.
OFFLINE_CLOCK_SKEW = timedelta(minutes=5)
OFFLINE_MAX_AGE = timedelta(days=30)
BATCH_MAX = 100  # scans per upload
_AUDIT_TENANT = "platform"


# --- products -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewProduct:
    name: str
    kind: str
    price_minor: int
    currency: str
    duration_minutes: int | None
    valid_from: datetime | None
    valid_until: datetime | None


def create_product(principal: Principal, new: NewProduct, now: datetime) -> TicketProduct:
    """Operators only. Calls: TransactWriteItems (the product + its audit record, SEC-6)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz

    authz.require_operator(principal)
    fixed = new.valid_from is not None or new.valid_until is not None
    if (new.duration_minutes is None) == (not fixed) or (fixed and (new.valid_from is None or new.valid_until is None)):
        reason = "give either duration_minutes, or both valid_from and valid_until"
        raise errors.InvalidInput([FieldError("duration_minutes", reason)])
    if new.valid_from is not None and new.valid_until is not None and new.valid_until <= new.valid_from:
        raise errors.InvalidInput([FieldError("valid_until", "must be after valid_from")])
    product = TicketProduct(
        product_id=uuid.uuid4().hex,
        name=new.name,
        kind=ProductKind(new.kind),
        price_minor=new.price_minor,
        currency=new.currency,
        duration=timedelta(minutes=new.duration_minutes) if new.duration_minutes is not None else None,
        valid_from=new.valid_from,
        valid_until=new.valid_until,
        active=True,
        created_at=now,
    )
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=_AUDIT_TENANT,
        actor=principal.user_id,
        action="ticket_product.created",
        entity="ticket_product",
        entity_id=product.product_id,
        at=now,
        summary={"kind": product.kind.value, "price_minor": str(product.price_minor), "currency": product.currency},
    )
    store.add_product(tx, product)
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("The product could not be created; try again") from None
    return product


def list_products(
    limit: int, after: dict[str, Any] | None, *, operator: Principal | None = None, now: datetime
) -> tuple[list[TicketProduct], dict[str, Any] | None]:
    """One Query. The public list shows what is on sale now; operators see every product."""
    if operator is not None:
        from chalicelib.services import authz

        authz.require_operator(operator)
    page, last = store.list_products(limit, after)
    if operator is None:
        page = [product for product in page if product.sellable(now)]
    return page, last


# --- tickets and their QR codes ---------------------------------------------------------------


def issue_in(
    tx: db.Transaction,
    user_id: str,
    product: TicketProduct,
    now: datetime,
    *,
    ticket_id: str | None = None,
    entry: tuple[str, str] | None = None,
) -> Ticket:
    """Add a new ticket of ``product`` for ``user_id`` to ``tx`` (role ``ticket``); ``entry`` is
    the (balance id, entry sort key) of the ledger debit that paid for it."""
    not_before, not_after = product.validity(now)
    ticket = Ticket(
        ticket_id=ticket_id or uuid.uuid4().hex,
        user_id=user_id,
        product_id=product.product_id,
        product_name=product.name,
        kind=product.kind,
        price_minor=product.price_minor,
        currency=product.currency,
        not_before=not_before,
        not_after=not_after,
        nonce=os.urandom(8).hex(),
        status=TicketStatus.VALID,
        purchased_at=now,
        use_count=0,
        used_at=None,
        used_validator_id=None,
        used_place=None,
        used_scan_id=None,
        double_used=False,
        flagged_at=None,
        flag_reason=None,
        revoked_at=None,
        revoke_reason=None,
        entry_balance_id=entry[0] if entry else None,
        entry_sk=entry[1] if entry else None,
    )
    store.add_ticket(tx, ticket)
    return ticket


IDEMPOTENCY_KEY_MAX_CHARS = 255


@dataclass(frozen=True)
class Bought:
    ticket: Ticket
    replayed: bool  # the Idempotency-Key was used before: this is the ticket it bought


def buy(principal: Principal, product_id: str, idempotency_key: str | None, now: datetime) -> Bought:
    """Buy a ticket from the wallet (WAL-2): the ledger debit (entry, balance IF it covers the
    price, movement once per Idempotency-Key) and the ticket in ONE TransactWriteItems.

    Calls: GetItem product + GetItem wallet pointer (``debit_in``) + TransactWriteItems
    (entry, balance, movement, ``wallet.debited`` event, ticket). A retry with the same key:
    the same, cancelled on the movement, then GetItem movement + GetItem entry + GetItem
    ticket, answering the ticket the first request bought."""
    from chalicelib.domain.wallet import DuplicateMovement, EntryKind
    from chalicelib.services import wallet

    if idempotency_key is not None and (
        not idempotency_key
        or len(idempotency_key) > IDEMPOTENCY_KEY_MAX_CHARS
        or not idempotency_key.isascii()
        or not idempotency_key.isprintable()
    ):
        reason = f"1 to {IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters"
        raise errors.InvalidInput([FieldError("idempotency_key", reason)])
    product = store.get_product(product_id) if _is_id(product_id) else None
    if product is None:
        raise errors.InvalidInput([FieldError("product_id", "no such ticket product")])
    if not product.sellable(now):
        raise errors.Conflict("This product is not on sale")
    ticket_id = uuid.uuid4().hex
    movement_id = f"{principal.user_id}:{idempotency_key or ticket_id}"
    tx = db.Transaction()
    entry = None
    if product.price_minor > 0:
        entry = wallet.debit_in(
            tx,
            balance=wallet.BalanceRef.wallet(principal.user_id, product.currency),
            amount_minor=product.price_minor,
            movement_id=movement_id,
            kind=EntryKind.PURCHASE.value,
            at=now,
            details={"ticket_id": ticket_id},
        )
    ticket = issue_in(
        tx,
        principal.user_id,
        product,
        now,
        ticket_id=ticket_id,
        entry=(entry.balance_id, entry.sort_key) if entry else None,
    )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        error = wallet.cancelled_error(exc) if entry is not None else errors.Conflict("Try again")
        if entry is None or not isinstance(error, DuplicateMovement):
            raise error from None
        first = wallet.replay(
            kind=EntryKind.PURCHASE.value,
            movement_id=movement_id,
            balance_id=entry.balance_id,
            amount_minor=product.price_minor,
            direction="debit",
        )
        bought = store.get_ticket(first.details.get("ticket_id", ""), now)
        if bought is None:
            raise errors.Gone("The ticket this key bought is no longer kept") from None
        return Bought(bought, replayed=True)
    return Bought(ticket, replayed=False)


def qr_payload(ticket: Ticket) -> str:
    """The ticket's signed QR text (one Sign call with KMS; none with the local key). Signed
    again from the stored nonce each time, so no usable payload sits in the table; Ed25519 is
    deterministic, so the same key gives the same text."""
    from chalicelib.domain.tickets import encode_payload
    from chalicelib.security.ticket_keys import signer

    key = signer()
    body = payload_body(
        key=key.key_id(),
        ticket_id=ticket.ticket_id,
        product_id=ticket.product_id,
        not_before=ticket.not_before,
        not_after=ticket.not_after,
        nonce=bytes.fromhex(ticket.nonce),
    )
    return encode_payload(body, key.sign(body))


def own_ticket(principal: Principal, ticket_id: str, now: datetime) -> Ticket:
    """One GetItem; someone else's ticket is as absent as a missing one."""
    ticket = store.get_ticket(ticket_id, now) if _is_id(ticket_id) else None
    if ticket is None or ticket.user_id != principal.user_id:
        raise errors.NotFound("No such ticket")
    return ticket


def list_own(
    principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[Ticket], dict[str, Any] | None]:
    """One Query on GSI1."""
    return store.list_tickets(principal.user_id, limit, after)


def qr_svg(ticket: Ticket) -> str:
    """The QR code of the payload as SVG (segno, error correction M). PNG is not offered: the
    API serves text bodies only (app.py ``binary_types``)."""
    import io

    import segno

    code = segno.make(qr_payload(ticket), error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=6, border=4, xmldecl=False)
    return out.getvalue().decode()


def published_keys() -> list[tuple[str, str, str]]:
    """(key id, algorithm, raw public key as unpadded base64url) of every key a validator must
    accept, sorted by key id: what GET /v1/tickets/keys publishes."""
    from chalicelib.security.ticket_keys import ALGORITHM, b64

    return [(kid, ALGORITHM, b64(raw)) for kid, raw in sorted(verification_keys().items())]


def verification_keys() -> dict[str, bytes]:
    from chalicelib.security.ticket_keys import verification_keys as keys

    return keys()


def _is_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


# --- validators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewValidator:
    name: str
    place: str


def _secret_hash(secret: str) -> str:
    # A 256-bit random secret needs no slow hash (nothing to guess); SHA-256 keeps it off the table.
    return hashlib.sha256(f"validator:{secret}".encode()).hexdigest()


def register_validator(principal: Principal, new: NewValidator, now: datetime) -> tuple[Validator, str]:
    """Operators only. The secret is returned once and stored hashed. Calls: TransactWriteItems
    (the validator + its audit record)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz

    authz.require_operator(principal)
    secret = secrets.token_urlsafe(32)
    validator = Validator(
        validator_id=uuid.uuid4().hex,
        name=new.name,
        place=new.place,
        secret_hash=_secret_hash(secret),
        active=True,
        created_at=now,
    )
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=_AUDIT_TENANT,
        actor=principal.user_id,
        action="validator.registered",
        entity="validator",
        entity_id=validator.validator_id,
        at=now,
    )
    store.add_validator(tx, validator, principal.user_id)
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("The validator could not be registered; try again") from None
    return validator, secret


def list_validators(
    principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[Validator], dict[str, Any] | None]:
    from chalicelib.services import authz

    authz.require_operator(principal)
    return store.list_validators(limit, after)


def authenticate_validator(validator_id: str, secret: str) -> Validator:
    """One GetItem; the same answer for an unknown validator and a wrong secret."""
    validator = store.get_validator(validator_id) if _is_id(validator_id) else None
    expected = validator.secret_hash if validator is not None else _secret_hash("no-such-validator")
    if not hmac.compare_digest(expected, _secret_hash(secret)) or validator is None or not validator.active:
        raise errors.Unauthenticated("Unknown validator or wrong secret")
    return validator


def flagged_tickets(
    principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[Ticket], dict[str, Any] | None]:
    """Operators: tickets an offline upload found admitted twice (one Query on GSI2)."""
    from chalicelib.services import authz

    authz.require_operator(principal)
    return store.flagged(limit, after)


# --- scans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """A validator's answer: admitted or not, why, and for a ticket used before, when and where."""

    accepted: bool
    reason: Refusal | None
    ticket_id: str | None = None
    product_name: str | None = None
    not_after: datetime | None = None
    used_at: datetime | None = None
    used_validator_id: str | None = None
    used_place: str | None = None
    replayed: bool = False


def _keys() -> dict[str, Any]:
    return public_keys(verification_keys())


def _refused(ticket: Ticket, reason: Refusal) -> ScanResult:
    return ScanResult(
        accepted=False,
        reason=reason,
        ticket_id=ticket.ticket_id,
        product_name=ticket.product_name,
        not_after=ticket.not_after,
        used_at=ticket.used_at,
        used_validator_id=ticket.used_validator_id,
        used_place=ticket.used_place,
    )


def _status_refusal(ticket: Ticket) -> Refusal | None:
    if ticket.status in (TicketStatus.REVOKED, TicketStatus.REFUNDED):
        return Refusal.REVOKED
    if ticket.status == TicketStatus.USED:
        return Refusal.ALREADY_USED
    return None


def _used_event(tx: db.Transaction, ticket: Ticket, scan: Scan, now: datetime) -> None:
    from chalicelib.services import events

    payload = {
        "ticket_id": ticket.ticket_id,
        "user_id": ticket.user_id,
        "product_name": ticket.product_name,
        "place": scan.place,
        "scanned_at": scan.scanned_at.isoformat(),
    }
    # Deterministic per scan (a retried scan records one event), short enough for a message id.
    scan_key = hashlib.sha256(f"{scan.validator_id}:{scan.scan_id}".encode()).hexdigest()[:24]
    event_id = f"{ticket.ticket_id}:used:{scan_key}"
    events.record(tx, events.DomainEvent(TICKET_USED, event_id, payload), now)


def _replay(ticket: Ticket, usage: Usage, now: datetime) -> ScanResult:
    """The answer to a scan id already recorded (a retry): as the first attempt decided."""
    current = store.get_ticket(ticket.ticket_id, now) or ticket
    if usage.outcome == "accepted":
        return ScanResult(True, None, ticket.ticket_id, ticket.product_name, ticket.not_after, replayed=True)
    reason = _status_refusal(current) or Refusal.ALREADY_USED
    return ScanResult(
        False,
        reason,
        ticket.ticket_id,
        ticket.product_name,
        ticket.not_after,
        current.used_at,
        current.used_validator_id,
        current.used_place,
        replayed=True,
    )


def _record_refusal(ticket: Ticket, scan: Scan, now: datetime) -> None:
    tx = db.Transaction()
    usage = Usage(ticket.user_id, scan, "refused", now, ticket.ticket_id, ticket.product_name)
    store.add_usage(tx, usage)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "usage" not in exc.failed:
            raise errors.DependencyUnavailable("The scan could not be recorded; try again") from None


def scan_online(validator: Validator, scan_id: str, payload: str, now: datetime) -> ScanResult:
    """Redeem a QR code now (WAL-2: a single-use ticket admits once).

    Calls: GetItem ticket + GetItem usage (a retried scan id answers as the first time) +
    TransactWriteItems (ticket admitted IF status = valid, usage record IF new, ticket.used
    event); a refusal of a known ticket records its usage (one TransactWriteItems) instead;
    after a lost race, one GetItem to say when and where it was used. A payload that fails
    the signature, or is outside its window, is refused with no call at all."""
    verdict = verify_payload(payload, _keys(), now)
    if verdict.claims is None:
        return ScanResult(False, verdict.refusal)
    ticket = store.get_ticket(verdict.claims.ticket_id, now)
    if ticket is None:
        return ScanResult(False, Refusal.UNKNOWN_TICKET, ticket_id=verdict.claims.ticket_id)
    scan = Scan(validator.validator_id, validator.place, scan_id, now, "online")
    prior = store.get_usage(ticket.user_id, validator.validator_id, scan_id)
    if prior is not None:
        return _replay(ticket, prior, now)
    refusal = verdict.refusal or _status_refusal(ticket)
    if refusal is not None:
        _record_refusal(ticket, scan, now)
        return _refused(ticket, refusal)
    tx = db.Transaction()
    store.redeem_in(tx, ticket, scan, single_use=ticket.kind in SINGLE_USE)
    store.add_usage(tx, Usage(ticket.user_id, scan, "accepted", now, ticket.ticket_id, ticket.product_name))
    _used_event(tx, ticket, scan, now)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "usage" in exc.failed:
            found = store.get_usage(ticket.user_id, validator.validator_id, scan_id)
            if found is not None:
                return _replay(ticket, found, now)
        if "ticket" in exc.failed:
            current = store.get_ticket(ticket.ticket_id, now) or ticket
            _record_refusal(current, scan, now)
            return _refused(current, _status_refusal(current) or Refusal.ALREADY_USED)
        raise errors.Conflict("The ticket is being scanned elsewhere right now; scan again") from None
    return ScanResult(True, None, ticket.ticket_id, ticket.product_name, ticket.not_after)


@dataclass(frozen=True)
class OfflineScan:
    scan_id: str
    payload: str
    scanned_at: datetime
    accepted: bool  # what the validator decided offline


@dataclass(frozen=True)
class UploadResult:
    scan_id: str
    status: str  # recorded | flagged | duplicate | rejected
    reason: str | None = None
    ticket_id: str | None = None


def upload_scans(validator: Validator, scans: list[OfflineScan], now: datetime) -> list[UploadResult]:
    """Record an offline validator's scans (at most ``BATCH_MAX``), idempotent on each scan id.

    Per scan: the signature is checked again (a forged or tampered payload is ``rejected``,
    nothing recorded); GetItem ticket + GetItem usage (an id already recorded is a
    ``duplicate``); then one TransactWriteItems: an admission admits the ticket IF still
    valid + usage + ticket.used event; when the ticket was no longer valid (used online or at
    another validator, refunded, revoked), a second TransactWriteItems flags it (IF status
    <> valid: GSI2, the operators' list) and records the scan as ``double_use`` or
    ``revoked_use`` (both scans kept). A scan the validator refused is recorded as refused."""
    if len(scans) > BATCH_MAX:
        raise errors.InvalidInput([FieldError("scans", f"at most {BATCH_MAX} scans per upload")])
    keys = _keys()
    results = []
    for position, scan in enumerate(scans):
        if scan.scanned_at > now + OFFLINE_CLOCK_SKEW or scan.scanned_at < now - OFFLINE_MAX_AGE:
            reason = "scanned_at must be within the last 30 days and not in the future"
            raise errors.InvalidInput([FieldError(f"scans.{position}.scanned_at", reason)])
        results.append(_upload_one(validator, scan, keys, now))
    return results


def _upload_one(validator: Validator, offline: OfflineScan, keys: dict[str, Any], now: datetime) -> UploadResult:
    verdict = verify_payload(offline.payload, keys, offline.scanned_at)
    if verdict.claims is None:
        return UploadResult(offline.scan_id, "rejected", verdict.refusal.value if verdict.refusal else None)
    ticket = store.get_ticket(verdict.claims.ticket_id, now)
    if ticket is None:
        return UploadResult(offline.scan_id, "rejected", Refusal.UNKNOWN_TICKET.value, verdict.claims.ticket_id)
    scan = Scan(validator.validator_id, validator.place, offline.scan_id, offline.scanned_at, "offline")
    prior = store.get_usage(ticket.user_id, validator.validator_id, offline.scan_id)
    if prior is not None:
        return UploadResult(offline.scan_id, "duplicate", prior.outcome, ticket.ticket_id)
    if not offline.accepted:
        _record_refusal(ticket, scan, now)
        return UploadResult(offline.scan_id, "recorded", "refused", ticket.ticket_id)
    tx = db.Transaction()
    store.redeem_in(tx, ticket, scan, single_use=ticket.kind in SINGLE_USE)
    store.add_usage(tx, Usage(ticket.user_id, scan, "accepted", now, ticket.ticket_id, ticket.product_name))
    _used_event(tx, ticket, scan, now)
    try:
        tx.commit()
        return UploadResult(offline.scan_id, "recorded", "accepted", ticket.ticket_id)
    except db.TransactionCancelled as exc:
        if "usage" in exc.failed:
            return UploadResult(offline.scan_id, "duplicate", None, ticket.ticket_id)
        if "ticket" not in exc.failed:
            raise errors.Conflict("The ticket is being scanned elsewhere right now; upload again") from None
    # Admitted offline although no longer valid: keep the scan, flag the ticket.
    current = store.get_ticket(ticket.ticket_id, now) or ticket
    outcome = "revoked_use" if _status_refusal(current) == Refusal.REVOKED else "double_use"
    tx = db.Transaction()
    store.flag_in(tx, ticket.ticket_id, outcome, now)
    store.add_usage(tx, Usage(ticket.user_id, scan, outcome, now, ticket.ticket_id, ticket.product_name))
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "usage" in exc.failed:
            return UploadResult(offline.scan_id, "duplicate", None, ticket.ticket_id)
        raise errors.Conflict("The ticket changed while this upload ran; upload again") from None
    return UploadResult(offline.scan_id, "flagged", outcome, ticket.ticket_id)


# --- revocation list ------------------------------------------------------------------------

# A validator asks again from ``as_of``: that is this much before now, so a refund committing
# while the list is read (its instant taken a moment before its commit) is not missed.
REVOCATION_OVERLAP = timedelta(minutes=1)


def revocations(
    since: datetime, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[store.Revocation], dict[str, Any] | None, datetime]:
    """One Query on GSI3 (oldest first): refunded and revoked tickets after ``since``, and the
    instant to ask from next time once the pages run out."""
    page, last = store.revocations_since(since, limit, after)
    return page, last, now - REVOCATION_OVERLAP


# --- refund and revocation --------------------------------------------------------------------


def revoke_in(tx: db.Transaction, ticket: Ticket, status: TicketStatus, reason: str, now: datetime) -> None:
    """Add to ``tx`` (role ``ticket``): the ticket refunded or revoked, once, IF still valid and
    never used; it enters the revocation list in the same write."""
    store.revoke_in(tx, ticket.ticket_id, status, reason, now)


def _revocation_failed(exc: db.TransactionCancelled) -> errors.DomainError:
    if "ticket" in exc.failed:
        return errors.Conflict("Only a valid ticket that was never used can be refunded or revoked")
    if exc.failed:
        from chalicelib.services import wallet

        return wallet.cancelled_error(exc)  # e.g. already reversed
    return errors.Conflict("The ticket is changing right now; try again")


def _refund_in(tx: db.Transaction, ticket: Ticket, now: datetime) -> None:
    """The price back where it came from: the purchase's reversal entry (once: the ledger's
    marker), in the revocation's transaction. Calls: GetItem entry + GetItem wallet pointer."""
    if ticket.entry_balance_id is None or ticket.entry_sk is None:
        return  # free, or issued without a purchase
    from chalicelib.domain.wallet import EntryKind
    from chalicelib.services import wallet
    from chalicelib.store import wallet as ledger

    paid = ledger.get_entry(ticket.entry_balance_id, ticket.entry_sk)
    if paid is None:
        raise errors.Gone("The purchase's ledger entry is no longer kept")
    wallet.credit_in(
        tx,
        balance=wallet.BalanceRef.wallet(ticket.user_id, paid.currency),
        amount_minor=paid.amount_minor,
        movement_id=f"ticket-refund:{ticket.ticket_id}",
        kind=EntryKind.REFUND.value,
        at=now,
        details={"ticket_id": ticket.ticket_id},
        reverses=paid,
    )


def refund(principal: Principal, ticket_id: str, now: datetime) -> Ticket:
    """The holder refunds a valid ticket never used: the ticket refunded IF still valid and
    unused, its revocation list entry (GSI3) and the purchase's reversal entry with the
    balance, in ONE TransactWriteItems; once. Calls: GetItem ticket + GetItem entry + GetItem
    wallet pointer + TransactWriteItems."""
    ticket = own_ticket(principal, ticket_id, now)
    if ticket.status != TicketStatus.VALID or ticket.use_count:
        raise errors.Conflict("Only a valid ticket that was never used can be refunded")
    tx = db.Transaction()
    revoke_in(tx, ticket, TicketStatus.REFUNDED, "refunded by its holder", now)
    _refund_in(tx, ticket, now)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise _revocation_failed(exc) from None
    return store.get_ticket(ticket_id, now) or ticket


def revoke(principal: Principal, ticket_id: str, reason: str, now: datetime) -> Ticket:
    """Operators: revoke a valid, unused ticket and refund its price, once. Calls: GetItem ticket
    + TransactWriteItems (ticket revoked IF valid and unused, revocation list entry, refund
    entry and balance, audit record)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz

    authz.require_operator(principal)
    ticket = store.get_ticket(ticket_id, now) if _is_id(ticket_id) else None
    if ticket is None:
        raise errors.NotFound("No such ticket")
    tx = db.Transaction()
    revoke_in(tx, ticket, TicketStatus.REVOKED, reason, now)
    _refund_in(tx, ticket, now)
    audit.record(
        tx,
        tenant=_AUDIT_TENANT,
        actor=principal.user_id,
        action="ticket.revoked",
        entity="ticket",
        entity_id=ticket.ticket_id,
        at=now,
        summary={"holder": ticket.user_id, "price_minor": str(ticket.price_minor)},
    )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise _revocation_failed(exc) from None
    return store.get_ticket(ticket_id, now) or ticket


# --- transit cards at validators --------------------------------------------------------------


@dataclass(frozen=True)
class TapResult:
    accepted: bool
    reason: str | None  # unknown_card | insufficient_funds
    card_last4: str | None = None
    fare_minor: int | None = None
    replayed: bool = False


def tap_card(validator: Validator, scan_id: str, card_number: str, fare_minor: int, now: datetime) -> TapResult:
    """A card tap: the fare deducted from the card's balance by the ledger (``debit_in`` on the
    card, movement id ``<validator>:<scan id>``: a retried tap moves money once) and the usage
    record (RET-8), in ONE TransactWriteItems. The fare is the validator's own (an authenticated
    device). Calls: GetItem card claim + GetItem usage + GetItem card balance (``debit_in``) +
    TransactWriteItems (entry, balance IF it covers the fare, movement, ``wallet.debited`` event,
    usage); a refusal for funds records its usage (one TransactWriteItems)."""
    from chalicelib.domain.wallet import DuplicateMovement, EntryKind, InsufficientFunds, normalise_card_number
    from chalicelib.security.lookup import lookup_hash
    from chalicelib.services import wallet
    from chalicelib.store import wallet as ledger

    digits = normalise_card_number(card_number)
    # The wallet's card lookup key (services/wallet.py ``_card_hash``): the number never at rest.
    claim = ledger.card_claim(lookup_hash("transit-card", digits))
    if claim is None:
        return TapResult(False, "unknown_card")
    card_id, owner = claim
    scan = Scan(validator.validator_id, validator.place, scan_id, now, "tap")
    prior = store.get_usage(owner, validator.validator_id, scan_id)
    if prior is not None:
        return TapResult(
            prior.outcome == "accepted",
            None if prior.outcome == "accepted" else "insufficient_funds",
            digits[-4:],
            prior.fare_minor,
            replayed=True,
        )
    tx = db.Transaction()
    wallet.debit_in(
        tx,
        balance=wallet.BalanceRef.card(card_id),
        amount_minor=fare_minor,
        movement_id=f"{validator.validator_id}:{scan_id}",
        kind=EntryKind.FARE.value,
        at=now,
        details={"scan_id": scan_id},
    )
    store.add_usage(tx, Usage(owner, scan, "accepted", now, card_id=card_id, fare_minor=fare_minor))
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        error = wallet.cancelled_error(exc)
        if isinstance(error, DuplicateMovement) or "usage" in exc.failed:
            return TapResult(True, None, digits[-4:], fare_minor, replayed=True)
        if not isinstance(error, InsufficientFunds):
            raise error from None
        refused = db.Transaction()
        store.add_usage(refused, Usage(owner, scan, "refused", now, card_id=card_id, fare_minor=fare_minor))
        with contextlib.suppress(db.TransactionCancelled):  # recorded by a concurrent retry of this tap
            refused.commit()
        return TapResult(False, "insufficient_funds", digits[-4:], fare_minor)
    return TapResult(True, None, digits[-4:], fare_minor)
