"""QR tickets (WAL-2), their products, the validators that scan them and usage records (RET-8).

Keys (docs/data-model.md):
- ``TICKETPRODUCTS`` / ``PRODUCT#<id>``: one partition of products (an operator's catalogue
  is small; read by one Query).
- ``TICKET#<id>`` / ``TICKET``: a ticket, found by the id its QR code carries. GSI1
  ``USER#<u>`` / ``TICKET#<purchased>#<id>`` (the holder's list; the privacy engine finds it
  there), GSI2 ``TICKETFLAGS`` / ``<flagged>#<id>`` only while flagged (a double use seen at
  an offline upload: the operators' list), GSI3 ``TICKETREVOKED`` / ``<revoked>#<id>`` once
  refunded or revoked (the revocation list validators download).
- ``VALIDATOR#<id>`` / ``VALIDATOR``: a validator device; GSI1 ``VALIDATORS`` / ``<created>#<id>``.
- ``USER#<u>`` / ``USAGE#<validator>#<scan id>``: one scan or tap (who, where, when, what),
  keyed on the validator's own scan id, so an upload or a retry records it once.

Every invariant is a condition: a single-use ticket is used once (``status = valid``), a
refund or revocation happens once (``status = valid``), a double use is flagged only on a
ticket already used (``status <> valid``), a scan id is recorded once (``attribute_not_exists``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.tickets import ProductKind, TicketProduct, TicketStatus
from chalicelib.retention_rules import window
from chalicelib.store import codec, db, retention
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

PRODUCTS_PK = "TICKETPRODUCTS"
PRODUCT_PREFIX = "PRODUCT#"
TICKET_PREFIX = "TICKET#"
TICKET_SK = "TICKET"
FLAGS_PK = "TICKETFLAGS"
REVOKED_PK = "TICKETREVOKED"
VALIDATOR_PREFIX = "VALIDATOR#"
VALIDATOR_SK = "VALIDATOR"
VALIDATORS_PK = "VALIDATORS"
USAGE_PREFIX = "USAGE#"


class TicketProductRecord(TableItem, discriminator="TicketProductRecord"):
    product_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    duration_minutes = NumberAttribute(null=True)
    valid_from = InstantAttribute(null=True)
    valid_until = InstantAttribute(null=True)
    active = BooleanAttribute(default=True)
    created_at = InstantAttribute()


class TicketRecord(TableItem, discriminator="TicketRecord"):
    ticket_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    product_name = UnicodeAttribute()
    kind = UnicodeAttribute()
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    not_before = InstantAttribute()
    not_after = InstantAttribute()
    nonce = UnicodeAttribute()  # hex; the payload is signed again from it when shown
    status = UnicodeAttribute()
    purchased_at = InstantAttribute()
    use_count = NumberAttribute(default=0)
    used_at = InstantAttribute(null=True)  # the first admission
    used_validator_id = UnicodeAttribute(null=True)
    used_place = UnicodeAttribute(null=True)
    used_scan_id = UnicodeAttribute(null=True)
    double_used = BooleanAttribute(default=False)
    flagged_at = InstantAttribute(null=True)
    flag_reason = UnicodeAttribute(null=True)
    revoked_at = InstantAttribute(null=True)
    revoke_reason = UnicodeAttribute(null=True)
    # The purchase's ledger entry (store/wallet.py), which a refund reverses; none when free.
    entry_balance_id = UnicodeAttribute(null=True)
    entry_sk = UnicodeAttribute(null=True)


class ValidatorRecord(TableItem, discriminator="ValidatorRecord"):
    validator_id = UnicodeAttribute()
    name = UnicodeAttribute()
    place = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    created_at = InstantAttribute()
    created_by = UnicodeAttribute()


class UsageRecord(TableItem, discriminator="UsageRecord"):
    user_id = UnicodeAttribute()
    validator_id = UnicodeAttribute()
    place = UnicodeAttribute()
    scan_id = UnicodeAttribute()
    scanned_at = InstantAttribute()
    recorded_at = InstantAttribute()
    mode = UnicodeAttribute()  # online | offline | tap
    outcome = UnicodeAttribute()  # accepted | double_use | revoked_use | refused
    ticket_id = UnicodeAttribute(null=True)
    product_name = UnicodeAttribute(null=True)
    card_id = UnicodeAttribute(null=True)
    fare_minor = NumberAttribute(null=True)


# --- products -------------------------------------------------------------------------------


def _product_record(product: TicketProduct) -> TicketProductRecord:
    minutes = int(product.duration.total_seconds() // 60) if product.duration is not None else None
    return TicketProductRecord(
        PRODUCTS_PK,
        f"{PRODUCT_PREFIX}{product.product_id}",
        product_id=product.product_id,
        name=product.name,
        kind=product.kind.value,
        price_minor=product.price_minor,
        currency=product.currency,
        duration_minutes=minutes,
        valid_from=product.valid_from,
        valid_until=product.valid_until,
        active=product.active,
        created_at=product.created_at,
    )


def _product(values: dict[str, Any]) -> TicketProduct:
    minutes = values.get("duration_minutes")
    return TicketProduct(
        product_id=values["product_id"],
        name=values["name"],
        kind=ProductKind(values["kind"]),
        price_minor=int(values["price_minor"]),
        currency=values["currency"],
        duration=timedelta(minutes=int(minutes)) if minutes is not None else None,
        valid_from=values.get("valid_from"),
        valid_until=values.get("valid_until"),
        active=bool(values.get("active", True)),
        created_at=values["created_at"],
    )


def add_product(tx: db.Transaction, product: TicketProduct) -> None:
    """Add to ``tx``: the product (role ``product``; ids are fresh, the condition guards a clash)."""
    tx.put(_product_record(product), role="product", condition=TicketProductRecord.pk.does_not_exist())


def get_product(product_id: str) -> TicketProduct | None:
    """One GetItem."""
    raw = db.get_raw(PRODUCTS_PK, f"{PRODUCT_PREFIX}{product_id}", consistent=False)
    return _product(db.decoder(TicketProductRecord)(raw)) if raw else None


def list_products(limit: int, after: dict[str, Any] | None) -> tuple[list[TicketProduct], dict[str, Any] | None]:
    """One Query on the products partition."""
    condition = (TableItem.pk == PRODUCTS_PK) & TableItem.sk.startswith(PRODUCT_PREFIX)
    raw, last = db.query_raw(condition, limit=limit, start_key=after)
    decode = db.decoder(TicketProductRecord)
    return [_product(decode(item)) for item in raw], last


# --- tickets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    user_id: str
    product_id: str
    product_name: str
    kind: ProductKind
    price_minor: int
    currency: str
    not_before: datetime
    not_after: datetime
    nonce: str
    status: TicketStatus
    purchased_at: datetime
    use_count: int
    used_at: datetime | None
    used_validator_id: str | None
    used_place: str | None
    used_scan_id: str | None
    double_used: bool
    flagged_at: datetime | None
    flag_reason: str | None
    revoked_at: datetime | None
    revoke_reason: str | None
    entry_balance_id: str | None = None
    entry_sk: str | None = None


def _ticket_key(ticket_id: str) -> tuple[str, str]:
    return f"{TICKET_PREFIX}{ticket_id}", TICKET_SK


def _ticket(values: dict[str, Any]) -> Ticket:
    return Ticket(
        ticket_id=values["ticket_id"],
        user_id=values["user_id"],
        product_id=values["product_id"],
        product_name=values["product_name"],
        kind=ProductKind(values["kind"]),
        price_minor=int(values["price_minor"]),
        currency=values["currency"],
        not_before=values["not_before"],
        not_after=values["not_after"],
        nonce=values["nonce"],
        status=TicketStatus(values["status"]),
        purchased_at=values["purchased_at"],
        use_count=int(values.get("use_count") or 0),
        used_at=values.get("used_at"),
        used_validator_id=values.get("used_validator_id"),
        used_place=values.get("used_place"),
        used_scan_id=values.get("used_scan_id"),
        double_used=bool(values.get("double_used")),
        flagged_at=values.get("flagged_at"),
        flag_reason=values.get("flag_reason"),
        revoked_at=values.get("revoked_at"),
        revoke_reason=values.get("revoke_reason"),
        entry_balance_id=values.get("entry_balance_id"),
        entry_sk=values.get("entry_sk"),
    )


def retention_deadline(not_after: datetime) -> datetime:
    """A ticket is kept a while after its validity ends (rule ``ticket``), then deleted: its uses
    are usage records (RET-8) and its payment a ledger entry."""
    return not_after + window("ticket")


def add_ticket(tx: db.Transaction, ticket: Ticket) -> None:
    """Add to ``tx``: the new ticket (role ``ticket``)."""
    pk, sk = _ticket_key(ticket.ticket_id)
    record = TicketRecord(
        pk,
        sk,
        gsi1pk=f"USER#{ticket.user_id}",
        gsi1sk=f"{TICKET_PREFIX}{codec.encode(ticket.purchased_at)}#{ticket.ticket_id}",
        ticket_id=ticket.ticket_id,
        user_id=ticket.user_id,
        product_id=ticket.product_id,
        product_name=ticket.product_name,
        kind=ticket.kind.value,
        price_minor=ticket.price_minor,
        currency=ticket.currency,
        not_before=ticket.not_before,
        not_after=ticket.not_after,
        nonce=ticket.nonce,
        status=ticket.status.value,
        purchased_at=ticket.purchased_at,
        use_count=0,
        entry_balance_id=ticket.entry_balance_id,
        entry_sk=ticket.entry_sk,
    )
    retention.set_expiry(record, retention_deadline(ticket.not_after))
    tx.put(record, role="ticket", condition=TicketRecord.pk.does_not_exist())


def get_ticket(ticket_id: str, now: datetime) -> Ticket | None:
    """One GetItem, consistent (an expired item counts as gone: the sweep may not have run yet)."""
    raw = db.get_raw(*_ticket_key(ticket_id))
    if not raw:
        return None
    values = db.decoder(TicketRecord)(raw)
    return None if retention.is_expired(values, now) else _ticket(values)


def list_tickets(user_id: str, limit: int, after: dict[str, Any] | None) -> tuple[list[Ticket], dict[str, Any] | None]:
    """One Query on GSI1 (the holder's tickets, newest first)."""
    condition = (TableItem.gsi1pk == f"USER#{user_id}") & TableItem.gsi1sk.startswith(TICKET_PREFIX)
    raw, last = db.query_raw(condition, index="GSI1", limit=limit, start_key=after, ascending=False)
    decode = db.decoder(TicketRecord)
    return [_ticket(decode(item)) for item in raw], last


@dataclass(frozen=True)
class Scan:
    """One scan or tap as a validator reports it."""

    validator_id: str
    place: str
    scan_id: str
    scanned_at: datetime
    mode: str  # online | offline | tap


def redeem_in(tx: db.Transaction, ticket: Ticket, scan: Scan, *, single_use: bool) -> None:
    """Add to ``tx`` (role ``ticket``): an admission, on condition the ticket is still valid. A
    single-use ticket becomes ``used``; a pass stays valid and counts its uses."""
    r = TicketRecord
    actions: list[Any] = [r.use_count.add(1)]
    if single_use:
        actions += [r.status.set(TicketStatus.USED.value)]
    if ticket.used_at is None:
        actions += [
            r.used_at.set(scan.scanned_at),
            r.used_validator_id.set(scan.validator_id),
            r.used_place.set(scan.place),
            r.used_scan_id.set(scan.scan_id),
        ]
    tx.update(TicketRecord(*_ticket_key(ticket.ticket_id)), actions, role="ticket", condition=r.status == "valid")


def flag_in(tx: db.Transaction, ticket_id: str, reason: str, at: datetime) -> None:
    """Add to ``tx`` (role ``ticket``): flag a ticket already used, refunded or revoked that an
    offline validator admitted again; it enters the operators' list (GSI2)."""
    r = TicketRecord
    actions = [
        r.double_used.set(True),
        r.flagged_at.set(at),
        r.flag_reason.set(reason),
        r.gsi2pk.set(FLAGS_PK),
        r.gsi2sk.set(f"{codec.encode(at)}#{ticket_id}"),
    ]
    condition = r.pk.exists() & (r.status != "valid")
    tx.update(TicketRecord(*_ticket_key(ticket_id)), actions, role="ticket", condition=condition)


def revoke_in(tx: db.Transaction, ticket_id: str, status: TicketStatus, reason: str, at: datetime) -> None:
    """Add to ``tx`` (role ``ticket``): refund or revoke a ticket never used, once; it enters the
    revocation list (GSI3)."""
    r = TicketRecord
    actions = [
        r.status.set(status.value),
        r.revoked_at.set(at),
        r.revoke_reason.set(reason),
        r.gsi3pk.set(REVOKED_PK),
        r.gsi3sk.set(f"{codec.encode(at)}#{ticket_id}"),
    ]
    condition = (r.status == "valid") & (r.use_count == 0)
    tx.update(TicketRecord(*_ticket_key(ticket_id)), actions, role="ticket", condition=condition)


@dataclass(frozen=True)
class Revocation:
    ticket_id: str
    revoked_at: datetime
    not_after: datetime
    reason: str


def revocations_since(
    since: datetime, limit: int, after: dict[str, Any] | None
) -> tuple[list[Revocation], dict[str, Any] | None]:
    """One Query on GSI3: tickets revoked or refunded after ``since``, oldest first."""
    condition = (TableItem.gsi3pk == REVOKED_PK) & (TableItem.gsi3sk > f"{codec.encode(since)}#\uffff")
    raw, last = db.query_raw(condition, index="GSI3", limit=limit, start_key=after)
    decode = db.decoder(TicketRecord)
    found = []
    for item in raw:
        values = decode(item)
        found.append(
            Revocation(values["ticket_id"], values["revoked_at"], values["not_after"], values["revoke_reason"])
        )
    return found, last


def flagged(limit: int, after: dict[str, Any] | None) -> tuple[list[Ticket], dict[str, Any] | None]:
    """One Query on GSI2: flagged tickets, newest first."""
    raw, last = db.query_raw(TableItem.gsi2pk == FLAGS_PK, index="GSI2", limit=limit, start_key=after, ascending=False)
    decode = db.decoder(TicketRecord)
    return [_ticket(decode(item)) for item in raw], last


# --- validators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    validator_id: str
    name: str
    place: str
    secret_hash: str
    active: bool
    created_at: datetime


def _validator(values: dict[str, Any]) -> Validator:
    return Validator(
        validator_id=values["validator_id"],
        name=values["name"],
        place=values["place"],
        secret_hash=values["secret_hash"],
        active=bool(values.get("active", True)),
        created_at=values["created_at"],
    )


def add_validator(tx: db.Transaction, validator: Validator, created_by: str) -> None:
    """Add to ``tx``: the validator (role ``validator``)."""
    record = ValidatorRecord(
        f"{VALIDATOR_PREFIX}{validator.validator_id}",
        VALIDATOR_SK,
        gsi1pk=VALIDATORS_PK,
        gsi1sk=f"{codec.encode(validator.created_at)}#{validator.validator_id}",
        validator_id=validator.validator_id,
        name=validator.name,
        place=validator.place,
        secret_hash=validator.secret_hash,
        active=validator.active,
        created_at=validator.created_at,
        created_by=created_by,
    )
    tx.put(record, role="validator", condition=ValidatorRecord.pk.does_not_exist())


def get_validator(validator_id: str) -> Validator | None:
    """One GetItem (eventually consistent: a validator just registered may wait a second)."""
    raw = db.get_raw(f"{VALIDATOR_PREFIX}{validator_id}", VALIDATOR_SK, consistent=False)
    return _validator(db.decoder(ValidatorRecord)(raw)) if raw else None


def list_validators(limit: int, after: dict[str, Any] | None) -> tuple[list[Validator], dict[str, Any] | None]:
    """One Query on GSI1."""
    raw, last = db.query_raw(TableItem.gsi1pk == VALIDATORS_PK, index="GSI1", limit=limit, start_key=after)
    decode = db.decoder(ValidatorRecord)
    return [_validator(decode(item)) for item in raw], last


# --- usage records (RET-8) ------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    user_id: str
    scan: Scan
    outcome: str
    recorded_at: datetime
    ticket_id: str | None = None
    product_name: str | None = None
    card_id: str | None = None
    fare_minor: int | None = None


def _usage_key(user_id: str, validator_id: str, scan_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", f"{USAGE_PREFIX}{validator_id}#{scan_id}"


def add_usage(tx: db.Transaction, usage: Usage) -> None:
    """Add to ``tx`` (role ``usage``): the usage record, once per validator scan id; active for
    a year (rule ``usage_active``), then the sweep archives it to passive storage."""
    scan = usage.scan
    record = UsageRecord(
        *_usage_key(usage.user_id, scan.validator_id, scan.scan_id),
        user_id=usage.user_id,
        validator_id=scan.validator_id,
        place=scan.place,
        scan_id=scan.scan_id,
        scanned_at=scan.scanned_at,
        recorded_at=usage.recorded_at,
        mode=scan.mode,
        outcome=usage.outcome,
        ticket_id=usage.ticket_id,
        product_name=usage.product_name,
        card_id=usage.card_id,
        fare_minor=usage.fare_minor,
    )
    # Archived, never deleted outright: no TTL backstop (it would delete instead of archive).
    retention.set_expiry(record, scan.scanned_at + window("usage_active"), ttl_backstop=False)
    tx.put(record, role="usage", condition=UsageRecord.pk.does_not_exist())


def get_usage(user_id: str, validator_id: str, scan_id: str) -> Usage | None:
    """One GetItem (consistent: a retry right after the first attempt must see it)."""
    raw = db.get_raw(*_usage_key(user_id, validator_id, scan_id))
    if not raw:
        return None
    values = db.decoder(UsageRecord)(raw)
    scan = Scan(values["validator_id"], values["place"], values["scan_id"], values["scanned_at"], values["mode"])
    fare = values.get("fare_minor")
    return Usage(
        user_id=values["user_id"],
        scan=scan,
        outcome=values["outcome"],
        recorded_at=values["recorded_at"],
        ticket_id=values.get("ticket_id"),
        product_name=values.get("product_name"),
        card_id=values.get("card_id"),
        fare_minor=int(fare) if fare is not None else None,
    )
