"""Wallets, transit cards and the ledger in the single table (WAL-1, RET-4).

| item | PK | SK | index |
|---|---|---|---|
| balance (a wallet or a card) | ``BAL#<balance id>`` | ``BALANCE`` | GSI1 ``USER#<u>``, GSI2 ``LEDGER#<shard>`` |
| ledger entry | ``BAL#<balance id>`` | ``ENTRY#<at>#<entry id>`` | |
| reversal marker | ``BAL#<balance id>`` | ``REVERSAL#<entry id>`` | |
| movement (idempotency) | ``MOVE#<sha256(kind:movement id)>`` | ``MOVEMENT`` | |
| wallet pointer | ``USER#<u>`` | ``WALLET#<currency>`` | |
| card claim | ``CARDNO#<hmac(card number)>`` | ``CLAIM`` | GSI1 ``USER#<u>`` / ``CARDCLAIM#<card id>`` |
| top-up intent | ``TOPUP#<intent id>`` | ``INTENT`` | GSI1 ``USER#<u>`` / ``TOPUP#<created>#<id>`` |

Balance indexes: GSI1 ``USER#<u>`` / ``BAL#<kind>#<opened>#<id>`` (the owner's cards; erasure
finds it there), GSI2 ``LEDGER#<shard 00-15>`` / ``<id>`` (reconciliation enumerates balances).

A balance and its entries share a partition keyed by an opaque id that never names the
person: the one link to the account is the balance's ``owner_user_id`` and GSI1 key (and the
wallet pointer / card claim in the account's own reach), which erasure removes. Entries carry
no user id at all. A card's balance id is its card id.

Every movement is one TransactWriteItems (``add_movement``): the entry put (condition: new),
the balance ``ADD`` (a debit conditioned on ``balance_minor >= amount``, a credit on the
balance existing), the movement item (condition: new, so a replayed id cannot move money
twice) and, for a reversal, its marker (condition: new) and a check of the original entry.
Transaction roles: ``ROLE_*`` below; the service maps a cancellation from them.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.retention import set_expiry
from chalicelib.store.table import TableItem

ROLE_ENTRY = "wallet.entry"
ROLE_BALANCE = "wallet.balance"
ROLE_MOVEMENT = "wallet.movement"
ROLE_REVERSAL = "wallet.reversal"
ROLE_ORIGINAL = "wallet.original"
ROLE_POINTER = "wallet.pointer"
ROLE_CLAIM = "wallet.claim"
ROLE_INTENT = "wallet.intent"

BALANCE_SK = "BALANCE"
ENTRY_PREFIX = "ENTRY#"
# Balances are enumerated for reconciliation through GSI2, one Query per shard (no Scan).
RECONCILE_SHARDS = 16
FINANCIAL = window("financial")  # RET-4: entries, movements and reversals, 5 years from creation


class WalletBalance(TableItem, discriminator="WalletBalance"):
    balance_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # wallet | card
    currency = UnicodeAttribute()
    balance_minor = NumberAttribute(default=0)
    entry_count = NumberAttribute(default=0)  # entries committed with this balance (reconciliation)
    owner_user_id = UnicodeAttribute(null=True)  # removed at erasure (RET-4)
    card_last4 = UnicodeAttribute(null=True)
    opened_at = InstantAttribute()
    updated_at = InstantAttribute()


class LedgerEntry(TableItem, discriminator="LedgerEntry"):
    entry_id = UnicodeAttribute()
    balance_id = UnicodeAttribute()
    direction = UnicodeAttribute()  # credit | debit
    kind = UnicodeAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    at = InstantAttribute()
    means = UnicodeAttribute(null=True)  # top-ups: card | kiosk_cash | bank_app
    reversal_of = UnicodeAttribute(null=True)  # a refund: the entry id it reverses
    details = UnicodeAttribute(default="{}")  # JSON object of short ids (no personal data)


class LedgerReversal(TableItem, discriminator="LedgerReversal"):
    entry_id = UnicodeAttribute()  # the reversed entry
    reversal_entry_id = UnicodeAttribute()
    at = InstantAttribute()


class LedgerMovement(TableItem, discriminator="LedgerMovement"):
    kind = UnicodeAttribute()
    direction = UnicodeAttribute()
    balance_id = UnicodeAttribute()
    amount_minor = NumberAttribute()
    entry_id = UnicodeAttribute()
    entry_sk = UnicodeAttribute()
    at = InstantAttribute()


class WalletPointer(TableItem, discriminator="WalletPointer"):
    user_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    balance_id = UnicodeAttribute()
    opened_at = InstantAttribute()


class CardClaim(TableItem, discriminator="CardClaim"):
    card_id = UnicodeAttribute()
    owner_user_id = UnicodeAttribute()
    linked_at = InstantAttribute()


class TopUpIntent(TableItem, discriminator="TopUpIntent"):
    intent_id = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)  # removed at erasure
    balance_id = UnicodeAttribute()
    target_kind = UnicodeAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | credited
    created_at = InstantAttribute()
    entry_id = UnicodeAttribute(null=True)


# --- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    balance_id: str
    kind: str
    currency: str
    balance_minor: int
    entry_count: int
    owner_user_id: str | None
    card_last4: str | None
    opened_at: datetime


@dataclass(frozen=True)
class Entry:
    balance_id: str
    entry_id: str
    sort_key: str
    direction: str
    kind: str
    amount_minor: int
    currency: str
    at: datetime
    means: str | None
    reversal_of: str | None
    details: dict[str, str]


@dataclass(frozen=True)
class Movement:
    kind: str
    direction: str
    balance_id: str
    amount_minor: int
    entry_id: str
    entry_sk: str
    at: datetime


@dataclass(frozen=True)
class Intent:
    intent_id: str
    user_id: str | None
    balance_id: str
    target_kind: str
    amount_minor: int
    currency: str
    status: str
    created_at: datetime
    entry_id: str | None


def _balance(item: WalletBalance) -> Balance:
    return Balance(
        balance_id=item.balance_id,
        kind=item.kind,
        currency=item.currency,
        balance_minor=int(item.balance_minor),
        entry_count=int(item.entry_count),
        owner_user_id=item.owner_user_id,
        card_last4=item.card_last4,
        opened_at=item.opened_at,
    )


def _entry(item: LedgerEntry) -> Entry:
    return Entry(
        balance_id=item.balance_id,
        entry_id=item.entry_id,
        sort_key=item.sk,
        direction=item.direction,
        kind=item.kind,
        amount_minor=int(item.amount_minor),
        currency=item.currency,
        at=item.at,
        means=item.means,
        reversal_of=item.reversal_of,
        details=dict(json.loads(item.details or "{}")),
    )


# --- keys ------------------------------------------------------------------------------------------


def balance_pk(balance_id: str) -> str:
    return f"BAL#{balance_id}"


def entry_sk(at: datetime, entry_id: str) -> str:
    return f"{ENTRY_PREFIX}{codec.encode(at)}#{entry_id}"


def movement_pk(kind: str, movement_id: str) -> str:
    return "MOVE#" + hashlib.sha256(f"{kind}:{movement_id}".encode()).hexdigest()


def _shard(balance_id: str) -> str:
    return f"LEDGER#{zlib.crc32(balance_id.encode()) % RECONCILE_SHARDS:02d}"


def _card_claim_pk(card_hash: str) -> str:
    return f"CARDNO#{card_hash}"


# --- balances ----------------------------------------------------------------------------------------


def new_balance(
    balance_id: str, kind: str, currency: str, owner_user_id: str, now: datetime, card_last4: str | None = None
) -> WalletBalance:
    return WalletBalance(
        pk=balance_pk(balance_id),
        sk=BALANCE_SK,
        balance_id=balance_id,
        kind=kind,
        currency=currency,
        balance_minor=0,
        entry_count=0,
        owner_user_id=owner_user_id,
        card_last4=card_last4,
        opened_at=now,
        updated_at=now,
        gsi1pk=f"USER#{owner_user_id}",
        gsi1sk=f"BAL#{kind}#{codec.encode(now)}#{balance_id}",
        gsi2pk=_shard(balance_id),
        gsi2sk=balance_id,
    )


def open_wallet(user_id: str, currency: str, balance_id: str, now: datetime) -> tuple[str, bool]:
    """The user's wallet in ``currency``: (balance id, created). One TransactWriteItems (the
    pointer and the balance, each conditional on being new); when the pointer already exists,
    one GetItem more for the wallet that is there (idempotent: one per account and currency)."""
    pointer = WalletPointer(
        pk=f"USER#{user_id}",
        sk=f"WALLET#{currency}",
        user_id=user_id,
        currency=currency,
        balance_id=balance_id,
        opened_at=now,
    )
    tx = db.Transaction()
    tx.put(pointer, role=ROLE_POINTER, condition=WalletPointer.pk.does_not_exist())
    tx.put(
        new_balance(balance_id, "wallet", currency, user_id, now),
        role=ROLE_BALANCE,
        condition=WalletBalance.pk.does_not_exist(),
    )
    try:
        tx.commit()
    except db.TransactionCancelled:
        existing = wallet_balance_id(user_id, currency)
        if existing is None:  # a concurrent opening had not committed yet: the caller retries
            raise
        return existing, False
    return balance_id, True


def wallet_balance_id(user_id: str, currency: str) -> str | None:
    """The balance id of the user's wallet in ``currency`` (one GetItem on the pointer)."""
    pointer = db.get(WalletPointer, f"USER#{user_id}", f"WALLET#{currency}")
    return pointer.balance_id if pointer is not None else None


def get_balance(balance_id: str, *, consistent: bool = True) -> Balance | None:
    item = db.get(WalletBalance, balance_pk(balance_id), BALANCE_SK, consistent=consistent)
    return _balance(item) if item is not None else None


def cards_of(user_id: str) -> list[Balance]:
    """The user's linked cards, oldest first (one Query on GSI1; a handful per person)."""
    condition = TableItem.gsi1sk.startswith("BAL#card#")
    return [
        _balance(item)
        for item in db.query(WalletBalance, f"USER#{user_id}", condition, index="GSI1")
        if isinstance(item, WalletBalance)
    ]


# --- cards -------------------------------------------------------------------------------------------


def link_card(
    user_id: str,
    card_hash: str,
    card_id: str,
    last4: str,
    currency: str,
    now: datetime,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: the card's claim (condition: no account holds it) and its
    balance, with whatever ``tx`` already holds (the audit record). Raises TransactionCancelled
    (ROLE_CLAIM failed: the card is linked already)."""
    claim = CardClaim(
        pk=_card_claim_pk(card_hash),
        sk="CLAIM",
        card_id=card_id,
        owner_user_id=user_id,
        linked_at=now,
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"CARDCLAIM#{card_id}",
    )
    tx = tx or db.Transaction()
    tx.put(claim, role=ROLE_CLAIM, condition=CardClaim.pk.does_not_exist())
    tx.put(
        new_balance(card_id, "card", currency, user_id, now, card_last4=last4),
        role=ROLE_BALANCE,
        condition=WalletBalance.pk.does_not_exist(),
    )
    tx.commit()


def card_claim(card_hash: str) -> tuple[str, str] | None:
    """(card id, owner user id) of the card with this number's lookup hash (one GetItem)."""
    claim = db.get(CardClaim, _card_claim_pk(card_hash), "CLAIM")
    return (claim.card_id, claim.owner_user_id) if claim is not None else None


def claim_hash_of(user_id: str, card_id: str) -> str | None:
    """The lookup hash of a card the user linked (one Query on GSI1), None if not theirs."""
    condition = TableItem.gsi1sk == f"CARDCLAIM#{card_id}"
    for item in db.query(CardClaim, f"USER#{user_id}", condition, index="GSI1"):
        if isinstance(item, CardClaim) and item.owner_user_id == user_id:
            return item.pk.removeprefix("CARDNO#")
    return None


def unlink_card(user_id: str, card_hash: str, card_id: str, tx: db.Transaction | None = None) -> None:
    """One TransactWriteItems: the claim deleted (condition: held by this user) and the card's
    balance deleted (condition: zero; its entries stay, each under its own 5-year deadline),
    with whatever ``tx`` already holds (the audit record).
    Raises TransactionCancelled (ROLE_BALANCE failed: money is still on the card)."""
    tx = tx or db.Transaction()
    claim = CardClaim(pk=_card_claim_pk(card_hash), sk="CLAIM")
    tx.delete(claim, role=ROLE_CLAIM, condition=CardClaim.owner_user_id == user_id)
    tx.delete(
        WalletBalance(pk=balance_pk(card_id), sk=BALANCE_SK),
        role=ROLE_BALANCE,
        condition=(WalletBalance.owner_user_id == user_id) & (WalletBalance.balance_minor == 0),
    )
    tx.commit()


# --- movements ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    balance_id: str
    entry_id: str
    direction: str
    kind: str
    amount_minor: int
    currency: str
    at: datetime
    movement_kind: str  # the idempotency scope: the entry's kind, or the caller's own
    movement_id: str
    means: str | None = None
    reversal_of: Entry | None = None
    details: Mapping[str, str] | None = None


def add_movement(tx: db.Transaction, new: NewEntry) -> Entry:
    """Add one movement to ``tx``: entry, balance, movement item (+ reversal marker and a
    check of the original). Nothing is read; the caller commits."""
    at = new.at.astimezone(UTC)
    sk = entry_sk(at, new.entry_id)
    pk = balance_pk(new.balance_id)
    details = dict(new.details or {})
    entry = LedgerEntry(
        pk=pk,
        sk=sk,
        entry_id=new.entry_id,
        balance_id=new.balance_id,
        direction=new.direction,
        kind=new.kind,
        amount_minor=new.amount_minor,
        currency=new.currency,
        at=at,
        means=new.means,
        reversal_of=new.reversal_of.entry_id if new.reversal_of else None,
        details=json.dumps(details, sort_keys=True, separators=(",", ":")),
    )
    set_expiry(entry, at + FINANCIAL)
    tx.put(entry, role=ROLE_ENTRY, condition=LedgerEntry.pk.does_not_exist())

    delta = new.amount_minor if new.direction == "credit" else -new.amount_minor
    balance = WalletBalance(pk=pk, sk=BALANCE_SK)
    actions = [
        WalletBalance.balance_minor.add(delta),
        WalletBalance.entry_count.add(1),
        WalletBalance.updated_at.set(at),
    ]
    # The invariant: a debit commits only if the balance covers it (never negative); a credit
    # only onto a balance that exists (never one created by a movement).
    condition: Any = (
        WalletBalance.balance_minor >= new.amount_minor if new.direction == "debit" else WalletBalance.pk.exists()
    )
    tx.update(balance, actions, role=ROLE_BALANCE, condition=condition & (WalletBalance.currency == new.currency))

    movement = LedgerMovement(
        pk=movement_pk(new.movement_kind, new.movement_id),
        sk="MOVEMENT",
        kind=new.kind,
        direction=new.direction,
        balance_id=new.balance_id,
        amount_minor=new.amount_minor,
        entry_id=new.entry_id,
        entry_sk=sk,
        at=at,
    )
    set_expiry(movement, at + FINANCIAL)
    tx.put(movement, role=ROLE_MOVEMENT, condition=LedgerMovement.pk.does_not_exist())

    if new.reversal_of is not None:
        original = new.reversal_of
        marker = LedgerReversal(
            pk=pk, sk=f"REVERSAL#{original.entry_id}", entry_id=original.entry_id, reversal_entry_id=new.entry_id, at=at
        )
        set_expiry(marker, at + FINANCIAL)
        tx.put(marker, role=ROLE_REVERSAL, condition=LedgerReversal.pk.does_not_exist())
        tx.check(
            LedgerEntry(pk=balance_pk(original.balance_id), sk=original.sort_key),
            (LedgerEntry.direction == "debit") & (LedgerEntry.amount_minor >= new.amount_minor),
            role=ROLE_ORIGINAL,
        )
    return Entry(
        balance_id=new.balance_id,
        entry_id=new.entry_id,
        sort_key=sk,
        direction=new.direction,
        kind=new.kind,
        amount_minor=new.amount_minor,
        currency=new.currency,
        at=at,
        means=new.means,
        reversal_of=entry.reversal_of,
        details=details,
    )


def get_movement(movement_kind: str, movement_id: str) -> Movement | None:
    """The movement recorded under this id, if any (one GetItem)."""
    item = db.get(LedgerMovement, movement_pk(movement_kind, movement_id), "MOVEMENT")
    if item is None:
        return None
    return Movement(
        kind=item.kind,
        direction=item.direction,
        balance_id=item.balance_id,
        amount_minor=int(item.amount_minor),
        entry_id=item.entry_id,
        entry_sk=item.entry_sk,
        at=item.at,
    )


def get_entry(balance_id: str, sort_key: str) -> Entry | None:
    item = db.get(LedgerEntry, balance_pk(balance_id), sort_key)
    return _entry(item) if item is not None else None


def entries_page(
    balance_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Entry], dict[str, Any] | None]:
    """Newest first: one Query on the balance's partition."""
    with db.sdk_errors():
        results = LedgerEntry.query(
            balance_pk(balance_id),
            LedgerEntry.sk.startswith(ENTRY_PREFIX),
            limit=limit,
            last_evaluated_key=after,
            scan_index_forward=False,
        )
        found = [_entry(item) for item in results if isinstance(item, LedgerEntry)]
    return found, results.last_evaluated_key


def all_entries(balance_id: str) -> Iterator[Entry]:
    """Every entry of a balance, oldest first (Query pages, strongly consistent)."""
    condition = LedgerEntry.sk.startswith(ENTRY_PREFIX)
    for item in db.query(LedgerEntry, balance_pk(balance_id), condition, consistent=True):
        if isinstance(item, LedgerEntry):
            yield _entry(item)


def balance_ids(shard: int) -> Iterator[str]:
    """Balance ids of one reconciliation shard (Query pages on GSI2, ids only)."""
    for raw in db.query_raw_all(TableItem.gsi2pk == f"LEDGER#{shard:02d}", index="GSI2", projection=["gsi2sk"]):
        yield str(raw["gsi2sk"]["S"])


# --- top-up intents ------------------------------------------------------------------------------------


def put_intent(intent: Intent) -> None:
    """One PutItem (a new intent id)."""
    item = TopUpIntent(
        pk=f"TOPUP#{intent.intent_id}",
        sk="INTENT",
        intent_id=intent.intent_id,
        user_id=intent.user_id,
        balance_id=intent.balance_id,
        target_kind=intent.target_kind,
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        status=intent.status,
        created_at=intent.created_at,
        gsi1pk=f"USER#{intent.user_id}",
        gsi1sk=f"TOPUP#{codec.encode(intent.created_at)}#{intent.intent_id}",
    )
    set_expiry(item, intent.created_at + FINANCIAL)
    db.put(item, condition=TopUpIntent.pk.does_not_exist())


def get_intent(intent_id: str) -> Intent | None:
    item = db.get(TopUpIntent, f"TOPUP#{intent_id}", "INTENT")
    if item is None:
        return None
    return Intent(
        intent_id=item.intent_id,
        user_id=item.user_id,
        balance_id=item.balance_id,
        target_kind=item.target_kind,
        amount_minor=int(item.amount_minor),
        currency=item.currency,
        status=item.status,
        created_at=item.created_at,
        entry_id=item.entry_id,
    )


def mark_intent_credited(tx: db.Transaction, intent_id: str, entry_id: str) -> None:
    """In the top-up's transaction: the intent is credited once (condition: still pending)."""
    item = TopUpIntent(pk=f"TOPUP#{intent_id}", sk="INTENT")
    tx.update(
        item,
        [TopUpIntent.status.set("credited"), TopUpIntent.entry_id.set(entry_id)],
        role=ROLE_INTENT,
        condition=TopUpIntent.status == "pending",
    )
