"""Wallets, cards and the ledger (WAL-1, NOTE-4, RET-4): the use cases and the ledger API.

The ledger API other services build on (docs/wallet.md, "Ledger API"; stable):

    debit_in(tx, *, balance, amount_minor, movement_id, kind, at, details) -> EntryRef
    credit_in(tx, *, balance, amount_minor, movement_id, kind, at, details, reverses=None, means=None) -> EntryRef
    cancelled_error(exc: db.TransactionCancelled) -> errors.DomainError
    replay(*, kind, movement_id, balance_id, amount_minor, direction) -> EntryRef

``debit_in`` / ``credit_in`` add one movement to the caller's transaction: the immutable
entry, the balance update (a debit conditioned on ``balance_minor >= amount``), the
movement's idempotency item keyed on ``(kind, movement_id)`` and the domain event (the
"payment made" / "top-up credited" push, NOTE-4). Nothing is written until the caller
commits; a cancellation's failed roles say why (``cancelled_error``): the movement id was
used (DuplicateMovement: call ``replay`` for the original entry), the balance does not cover
the debit (InsufficientFunds, 409 /problems/insufficient-funds), the entry was already
reversed (AlreadyReversed). ``debit`` / ``credit`` commit one movement alone, retrying a
concurrent-writer conflict, and answer a replay with the original entry.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain.wallet import (
    AlreadyReversed,
    BalanceKind,
    Direction,
    DuplicateMovement,
    EntryKind,
    InsufficientFunds,
    MovementReused,
    check_amount,
    check_movement_id,
)
from chalicelib.store import db
from chalicelib.store import wallet as store

# The ledger's item roles in a caller's transaction (db.TransactionCancelled.failed).
ROLES = frozenset({store.ROLE_ENTRY, store.ROLE_BALANCE, store.ROLE_MOVEMENT, store.ROLE_REVERSAL, store.ROLE_ORIGINAL})
# Domain event kinds (recorded in the movement's transaction; services/subscribers.py).
CREDITED = "wallet.credited"
DEBITED = "wallet.debited"
# A movement that lost a race on its balance item (TransactionConflict) is retried.
MAX_ATTEMPTS = 8

EntryRef = store.Entry  # balance_id, entry_id, sort_key, direction, kind, amount_minor, currency, at, ...


@dataclass(frozen=True)
class BalanceRef:
    """Which balance a movement moves: a user's wallet in a currency, or a linked card."""

    kind: BalanceKind
    user_id: str | None = None
    currency: str | None = None
    card_id: str | None = None

    @classmethod
    def wallet(cls, user_id: str, currency: str) -> BalanceRef:
        return cls(kind=BalanceKind.WALLET, user_id=user_id, currency=currency)

    @classmethod
    def card(cls, card_id: str) -> BalanceRef:
        return cls(kind=BalanceKind.CARD, card_id=card_id)


@dataclass(frozen=True)
class Resolved:
    balance_id: str
    kind: BalanceKind
    currency: str
    owner_user_id: str | None
    card_last4: str | None


@dataclass(frozen=True)
class Moved:
    entry: EntryRef
    replayed: bool  # True: the movement id was used before; this is the original entry


def resolve(ref: BalanceRef) -> Resolved:
    """The balance behind a reference. Calls: one GetItem (a wallet's pointer, or the card's
    balance). NotFound when the user has no wallet in that currency or the card is not linked."""
    if ref.kind is BalanceKind.WALLET:
        if ref.user_id is None or ref.currency is None:
            raise ValueError("a wallet reference needs user_id and currency")
        balance_id = store.wallet_balance_id(ref.user_id, ref.currency)
        if balance_id is None:
            raise errors.NotFound(f"No {ref.currency} wallet; open it first (GET /v1/me/wallet)")
        return Resolved(balance_id, BalanceKind.WALLET, ref.currency, ref.user_id, None)
    if ref.card_id is None:
        raise ValueError("a card reference needs card_id")
    balance = store.get_balance(ref.card_id)
    if balance is None or balance.kind != BalanceKind.CARD:
        raise errors.NotFound("No such card")
    return Resolved(balance.balance_id, BalanceKind.CARD, balance.currency, balance.owner_user_id, balance.card_last4)


def debit_in(
    tx: db.Transaction,
    *,
    balance: BalanceRef,
    amount_minor: int,
    movement_id: str,
    kind: str,
    at: datetime,
    details: Mapping[str, str],
) -> EntryRef:
    """Add a debit of ``amount_minor`` to ``tx`` (commit it yourself; map a cancellation with
    ``cancelled_error``). ``movement_id`` is unique per ``kind`` (scope it: a client key with
    the user id, a validator scan id with the validator). Calls: ``resolve`` (one GetItem);
    the commit adds 3 writes + the event to the TransactWriteItems."""
    return _move_in(tx, Direction.DEBIT, balance, amount_minor, movement_id, kind, at, details, None, None)


def credit_in(
    tx: db.Transaction,
    *,
    balance: BalanceRef,
    amount_minor: int,
    movement_id: str,
    kind: str,
    at: datetime,
    details: Mapping[str, str],
    reverses: EntryRef | None = None,
    means: str | None = None,
) -> EntryRef:
    """Add a credit to ``tx``. With ``reverses`` (a debit entry), it is that debit's reversal
    (kind ``refund``): once only (a marker item, conditional) and at most the debit's amount
    (a ConditionCheck on the original). Calls: ``resolve`` (one GetItem); the commit adds 3
    writes + the event (+ marker and check for a reversal)."""
    if reverses is not None and reverses.direction != Direction.DEBIT:
        raise errors.InvalidInput([errors.FieldError("entry_id", "only a debit can be reversed")])
    return _move_in(tx, Direction.CREDIT, balance, amount_minor, movement_id, kind, at, details, reverses, means)


def _move_in(
    tx: db.Transaction,
    direction: Direction,
    ref: BalanceRef,
    amount_minor: int,
    movement_id: str,
    kind: str,
    at: datetime,
    details: Mapping[str, str],
    reverses: EntryRef | None,
    means: str | None,
) -> EntryRef:
    check_amount(amount_minor)
    check_movement_id(movement_id)
    target = resolve(ref)
    if reverses is not None and reverses.balance_id != target.balance_id:
        raise errors.InvalidInput([errors.FieldError("entry_id", "a refund goes back to the balance it came from")])
    entry = store.add_movement(
        tx,
        store.NewEntry(
            balance_id=target.balance_id,
            entry_id=uuid.uuid4().hex,
            direction=direction.value,
            kind=kind,
            amount_minor=amount_minor,
            currency=target.currency,
            at=at,
            movement_kind=kind,
            movement_id=movement_id,
            means=means,
            reversal_of=reverses,
            details=details,
        ),
    )
    _record_event(tx, entry, target, at)
    return entry


def _record_event(tx: db.Transaction, entry: EntryRef, target: Resolved, at: datetime) -> None:
    """The push's domain event (NOTE-4): a top-up credited, or a payment made (any debit).
    Refunds and credits by an operator send nothing. Its id is the entry's: sent once."""
    from chalicelib.services import events

    if target.owner_user_id is None:
        return
    if entry.direction == Direction.DEBIT:
        kind = DEBITED
    elif entry.kind == EntryKind.TOP_UP:
        kind = CREDITED
    else:
        return
    payload: dict[str, Any] = {
        "user_id": target.owner_user_id,
        "entry_id": entry.entry_id,
        "entry_kind": entry.kind,
        "amount_minor": entry.amount_minor,
        "currency": entry.currency,
        "balance_kind": target.kind.value,
        "card_last4": target.card_last4 or "",
    }
    events.record(tx, events.DomainEvent(kind, f"wallet:{entry.entry_id}", payload), at)


def cancelled_error(exc: db.TransactionCancelled) -> errors.DomainError:
    """The domain error behind a cancelled movement, from its failed roles (a duplicate movement
    id first: its original entry stands even if the balance has since run out)."""
    if store.ROLE_MOVEMENT in exc.failed:
        return DuplicateMovement()
    if store.ROLE_REVERSAL in exc.failed:
        return AlreadyReversed("This entry was already refunded")
    if store.ROLE_ORIGINAL in exc.failed:
        return errors.InvalidInput([errors.FieldError("amount_minor", "more than the entry being reversed")])
    if store.ROLE_INTENT in exc.failed:
        return errors.Conflict("This top-up was already paid by another payment")
    if store.ROLE_BALANCE in exc.failed:
        return InsufficientFunds("The balance does not cover this amount")
    return errors.Conflict("Another change to this balance was committed at the same time; try again")


def replay(*, kind: str, movement_id: str, balance_id: str, amount_minor: int, direction: str) -> EntryRef:
    """The entry an earlier movement with this id committed (GetItem movement + GetItem entry).
    MovementReused (409) when that movement was for another balance, amount or direction."""
    found = store.get_movement(kind, movement_id)
    if found is None:
        raise errors.Conflict("A movement with this id is being recorded; try again")
    if (found.balance_id, found.amount_minor, found.direction) != (balance_id, amount_minor, direction):
        raise MovementReused("This id was already used for a different amount or balance")
    entry = store.get_entry(found.balance_id, found.entry_sk)
    if entry is None:  # removed after 5 years (RET-4): the id is stale
        raise errors.Gone("The original movement is past its retention")
    return entry


def debit(
    balance: BalanceRef, amount_minor: int, movement_id: str, kind: str, at: datetime, details: Mapping[str, str]
) -> Moved:
    """One debit, committed alone. Calls: GetItem + TransactWriteItems (retried on a concurrent
    writer); a replay: + GetItem movement + GetItem entry."""

    def add(tx: db.Transaction) -> EntryRef:
        return debit_in(
            tx, balance=balance, amount_minor=amount_minor, movement_id=movement_id, kind=kind, at=at, details=details
        )

    return _commit(add, kind, movement_id, amount_minor, Direction.DEBIT)


def credit(
    balance: BalanceRef,
    amount_minor: int,
    movement_id: str,
    kind: str,
    at: datetime,
    details: Mapping[str, str],
    *,
    means: str | None = None,
    reverses: EntryRef | None = None,
    also: Any = None,
) -> Moved:
    """One credit, committed alone (``also(tx, entry)`` may add items, e.g. the intent's
    update). Calls as ``debit``."""

    def add(tx: db.Transaction) -> EntryRef:
        entry = credit_in(
            tx,
            balance=balance,
            amount_minor=amount_minor,
            movement_id=movement_id,
            kind=kind,
            at=at,
            details=details,
            reverses=reverses,
            means=means,
        )
        if also is not None:
            also(tx, entry)
        return entry

    return _commit(add, kind, movement_id, amount_minor, Direction.CREDIT)


def _commit(add: Any, kind: str, movement_id: str, amount_minor: int, direction: Direction) -> Moved:
    for attempt in range(MAX_ATTEMPTS):
        tx = db.Transaction()
        entry: EntryRef = add(tx)
        try:
            tx.commit()
        except db.TransactionCancelled as cancelled:
            if not cancelled.failed and cancelled.conflict:
                time.sleep(random.uniform(0, 0.01 * (2**attempt)))  # noqa: S311 - jitter, not security
                continue
            error = cancelled_error(cancelled)
            if isinstance(error, DuplicateMovement):
                original = replay(
                    kind=kind,
                    movement_id=movement_id,
                    balance_id=entry.balance_id,
                    amount_minor=amount_minor,
                    direction=direction.value,
                )
                return Moved(original, replayed=True)
            raise error from None
        return Moved(entry, replayed=False)
    raise errors.Conflict("This balance is very busy right now; try again")


# --- wallets ---------------------------------------------------------------------------------------


def default_currency() -> str:
    from chalicelib.settings import get_settings

    return get_settings().wallet_currency


@dataclass(frozen=True)
class WalletView:
    balance_id: str
    currency: str
    balance_minor: int
    opened_at: datetime
    created: bool


def open_wallet(user_id: str, now: datetime, currency: str | None = None) -> WalletView:
    """The user's wallet, opened on first use (WAL-1: one per account and currency).
    Calls: GetItem pointer + GetItem balance; the first time TransactWriteItems (pointer and
    balance, conditional) instead of the second read."""
    currency = currency or default_currency()
    balance_id = store.wallet_balance_id(user_id, currency)
    created = False
    if balance_id is None:
        balance_id, created = store.open_wallet(user_id, currency, uuid.uuid4().hex, now)
    if created:
        return WalletView(balance_id, currency, 0, now, True)
    balance = store.get_balance(balance_id)
    if balance is None:  # the pointer names a balance: both were written in one transaction
        raise errors.DependencyUnavailable("The wallet could not be read; try again")
    return WalletView(balance_id, currency, balance.balance_minor, balance.opened_at, False)


def entries_page(
    user_id: str, card_id: str | None, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[EntryRef], dict[str, Any] | None]:
    """The wallet's (or one linked card's) entries, newest first. Calls: GetItem pointer (or
    the card's balance) + one Query; a first visit opens the wallet."""
    balance_id = open_wallet(user_id, now).balance_id if card_id is None else _own_card(user_id, card_id).balance_id
    return store.entries_page(balance_id, limit, after)


# --- cards ---------------------------------------------------------------------------------------


def _card_hash(card_number: str) -> str:
    from chalicelib.security.lookup import lookup_hash

    return lookup_hash("transit-card", card_number)


def _own_card(user_id: str, card_id: str) -> store.Balance:
    balance = store.get_balance(card_id)
    if balance is None or balance.kind != BalanceKind.CARD or balance.owner_user_id != user_id:
        raise errors.NotFound("No such card")  # another account's card is simply not there
    return balance


def link_card(user_id: str, card_number: str, now: datetime) -> store.Balance:
    """Link a transit card (WAL-1): one account per card (a claim item keyed by the number's
    HMAC, conditional), its own balance. Linking a card the caller already holds answers it.
    Calls: TransactWriteItems (claim + balance + audit record); when refused, GetItem claim
    (+ GetItem balance)."""
    from chalicelib.domain.wallet import CardAlreadyLinked, normalise_card_number

    digits = normalise_card_number(card_number)
    card_hash = _card_hash(digits)
    card_id = uuid.uuid4().hex
    tx = _card_audit(user_id, "card.linked", card_id, now)
    try:
        store.link_card(user_id, card_hash, card_id, digits[-4:], default_currency(), now, tx)
    except db.TransactionCancelled as cancelled:
        holder = store.card_claim(card_hash)
        if holder is not None and holder[1] == user_id:
            return _own_card(user_id, holder[0])
        if holder is None and cancelled.conflict:
            raise errors.Conflict("The card is being linked right now; try again") from None
        raise CardAlreadyLinked("This card is linked to another account") from None
    balance = store.get_balance(card_id)
    if balance is None:
        raise errors.DependencyUnavailable("The card could not be read back; try again")
    return balance


def cards(user_id: str) -> list[store.Balance]:
    """The user's linked cards (one GSI1 Query)."""
    return store.cards_of(user_id)


def _card_audit(user_id: str, action: str, card_id: str, now: datetime) -> db.Transaction:
    """A transaction holding the audit record of a card's link or unlink (SEC-6): a card
    holds money, so who linked it when is kept with the change, never apart from it."""
    from chalicelib.privacy import audit

    tx = db.Transaction()
    audit.record(
        tx, tenant=audit.PLATFORM, actor=user_id, action=action, entity="TransitCard", entity_id=card_id, at=now
    )
    return tx


def unlink_card(user_id: str, card_id: str, now: datetime) -> None:
    """Unlink a card: refused (409 card-balance-not-zero) while it holds money, so no balance
    is ever orphaned; its entries stay under their 5-year deadline (RET-4). Calls: GSI1 Query
    (the caller's claim of it) + TransactWriteItems (claim and balance deleted, conditional, and
    the audit record)."""
    from chalicelib.domain.wallet import CardBalanceNotZero

    card_hash = store.claim_hash_of(user_id, card_id)
    if card_hash is None:
        raise errors.NotFound("No such card")
    try:
        store.unlink_card(user_id, card_hash, card_id, _card_audit(user_id, "card.unlinked", card_id, now))
    except db.TransactionCancelled as cancelled:
        if store.ROLE_BALANCE in cancelled.failed:
            raise CardBalanceNotZero("Spend or move the card's balance before unlinking it") from None
        if store.ROLE_CLAIM in cancelled.failed:
            raise errors.NotFound("No such card") from None
        raise errors.Conflict("The card changed at the same time; try again") from None


# --- top-ups ---------------------------------------------------------------------------------------


def start_top_up(user_id: str, amount_minor: int, card_id: str | None, now: datetime) -> store.Intent:
    """A pending top-up intent (amount, target) for the payment provider's page. Money moves
    only when the provider's signed webhook confirms it (``confirm_payment``). Calls: the
    wallet's (or card's) reads + PutItem intent."""
    check_amount(amount_minor)
    if card_id is None:
        opened = open_wallet(user_id, now)
        balance_id, currency, target = opened.balance_id, opened.currency, BalanceKind.WALLET
    else:
        card = _own_card(user_id, card_id)
        balance_id, currency, target = card.balance_id, card.currency, BalanceKind.CARD
    intent = store.Intent(
        intent_id=uuid.uuid4().hex,
        user_id=user_id,
        balance_id=balance_id,
        target_kind=target.value,
        amount_minor=amount_minor,
        currency=currency,
        status="pending",
        created_at=now,
        entry_id=None,
    )
    store.put_intent(intent)
    return intent


def payment_url(intent: store.Intent) -> str:
    from urllib.parse import urlencode

    from chalicelib.settings import get_settings

    query = urlencode({"intent_id": intent.intent_id, "amount_minor": intent.amount_minor, "currency": intent.currency})
    return f"{get_settings().payments_page_base.rstrip('/')}/pay?{query}"


@dataclass(frozen=True)
class Payment:
    """A provider's confirmed payment (the webhook's data)."""

    payment_id: str
    amount_minor: int
    currency: str
    means: str
    paid_at: datetime
    intent_id: str | None = None
    card_number: str | None = None


def confirm_payment(payment: Payment, now: datetime) -> Moved:
    """Credit a confirmed payment once (idempotent on the provider's payment id): an app
    top-up's intent (amount and currency must match it; credited once), or a kiosk top-up of a
    linked card by its number. Calls: GetItem intent (or claim) + ``credit``'s."""
    from chalicelib.domain.wallet import Means

    means = Means(payment.means).value
    details = {"payment_id": payment.payment_id, "paid_at": payment.paid_at.isoformat()}
    also = None
    if payment.intent_id is not None:
        intent = store.get_intent(payment.intent_id)
        if intent is None:
            raise errors.NotFound("No such top-up")
        if (intent.amount_minor, intent.currency) != (payment.amount_minor, payment.currency):
            raise errors.InvalidInput([errors.FieldError("amount_minor", "does not match the top-up's amount")])
        if intent.target_kind == BalanceKind.CARD:
            ref = BalanceRef.card(intent.balance_id)
        elif intent.user_id is not None:
            ref = BalanceRef.wallet(intent.user_id, intent.currency)
        else:
            raise errors.NotFound("The account of this top-up no longer exists")
        intent_id = intent.intent_id
        details["intent_id"] = intent_id

        def also(tx: db.Transaction, entry: EntryRef) -> None:
            store.mark_intent_credited(tx, intent_id, entry.entry_id)

    elif payment.card_number is not None:
        from chalicelib.domain.wallet import normalise_card_number

        holder = store.card_claim(_card_hash(normalise_card_number(payment.card_number)))
        if holder is None:
            raise errors.NotFound("No linked card has this number")
        ref = BalanceRef.card(holder[0])
        card = resolve(ref)
        if card.currency != payment.currency:
            raise errors.InvalidInput([errors.FieldError("currency", "not the card's currency")])
    else:
        raise errors.InvalidInput([errors.FieldError("target", "an intent or a card")])
    return credit(ref, payment.amount_minor, payment.payment_id, EntryKind.TOP_UP, now, details, means=means, also=also)


# --- operators -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjusted:
    moved: Moved
    balance_minor: int


def adjust(
    operator_id: str,
    balance_id: str,
    direction: Direction,
    amount_minor: int,
    movement_id: str,
    reason: str,
    now: datetime,
) -> Adjusted:
    """An operator's adjustment (credit or debit), audited (SEC-6) in its own transaction; a
    retry with the same ``movement_id`` adjusts once. Calls: GetItem balance + ``resolve`` +
    TransactWriteItems (movement + audit record) + GetItem balance (the new amount)."""
    from chalicelib.privacy import audit

    balance = store.get_balance(balance_id)
    if balance is None or balance.owner_user_id is None:
        raise errors.NotFound("No such wallet or card")
    if balance.kind == BalanceKind.CARD:
        ref = BalanceRef.card(balance_id)
    else:
        ref = BalanceRef.wallet(balance.owner_user_id, balance.currency)
    scoped = f"{operator_id}:{movement_id}"

    def add(tx: db.Transaction) -> EntryRef:
        mover = debit_in if direction is Direction.DEBIT else credit_in
        entry = mover(
            tx,
            balance=ref,
            amount_minor=amount_minor,
            movement_id=scoped,
            kind=EntryKind.ADJUSTMENT,
            at=now,
            details={"operator_movement_id": movement_id},
        )
        audit.record(
            tx,
            tenant=audit.PLATFORM,
            actor=operator_id,
            action=f"wallet.adjusted.{direction.value}",
            entity="balance",
            entity_id=balance_id,
            at=now,
            summary={
                "entry_id": entry.entry_id,
                "amount_minor": str(amount_minor),
                "currency": entry.currency,
                "owner": balance.owner_user_id or "",
                "reason": reason,
            },
        )
        return entry

    moved = _commit(add, EntryKind.ADJUSTMENT, scoped, amount_minor, direction)
    after = store.get_balance(balance_id)
    return Adjusted(moved, after.balance_minor if after is not None else 0)


# --- reconciliation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    balance_id: str
    stored_minor: int
    computed_minor: int


@dataclass(frozen=True)
class Reconciliation:
    checked: int
    differences: list[Difference]


RECONCILE_ATTEMPTS = 3


def reconcile() -> Reconciliation:
    """Recompute every balance from its entries (no Scan): the balances are enumerated through
    GSI2, one Query per shard (``store.RECONCILE_SHARDS``); per balance, a Query of its entries
    (strongly consistent) and a GetItem of the balance. A movement committing in between shows
    as a different entry count: that balance is read again (up to 3 times) before a difference
    is reported."""
    checked = 0
    differences: list[Difference] = []
    for shard in range(store.RECONCILE_SHARDS):
        for balance_id in store.balance_ids(shard):
            checked += 1
            found = _reconcile_one(balance_id)
            if found is not None:
                differences.append(found)
    return Reconciliation(checked, differences)


def _reconcile_one(balance_id: str) -> Difference | None:
    from chalicelib.domain.wallet import signed

    for _ in range(RECONCILE_ATTEMPTS):
        entries = list(store.all_entries(balance_id))
        balance = store.get_balance(balance_id)
        if balance is None:  # unlinked in between (only at zero)
            return None
        if balance.entry_count != len(entries):
            continue  # a movement committed between the two reads (or an entry is missing)
        computed = sum(signed(Direction(e.direction), e.amount_minor) for e in entries)
        if computed == balance.balance_minor:
            return None
        return Difference(balance_id, balance.balance_minor, computed)
    computed = sum(signed(Direction(e.direction), e.amount_minor) for e in store.all_entries(balance_id))
    balance = store.get_balance(balance_id)
    stored = balance.balance_minor if balance is not None else 0
    return Difference(balance_id, stored, computed)


# --- pushes (NOTE-4) -------------------------------------------------------------------------------


def format_amount(amount_minor: int, currency: str) -> str:
    """``150, "AZN"`` -> ``"1.50 AZN"`` (the currency's minor digits; integers only)."""
    from chalicelib.domain.wallet import minor_digits

    digits = minor_digits(currency)
    if digits == 0:
        return f"{amount_minor} {currency}"
    whole, part = divmod(amount_minor, 10**digits)
    return f"{whole}.{part:0{digits}d} {currency}"


def publish_movement(event: Any) -> None:
    """The push for a ``wallet.credited`` / ``wallet.debited`` event: one SQS message, its id
    the event's (the consumer delivers it once), in its own category so it can be switched off
    per channel (``wallet_top_ups`` / ``wallet_payments``)."""
    from chalicelib.notify import producer
    from chalicelib.notify.messages import Category, NotificationMessage

    payload = event.payload
    last4 = str(payload.get("card_last4") or "")
    top_up = event.kind == CREDITED
    kind = ("wallet.top_up" if top_up else "wallet.payment") + ("_card" if last4 else "")
    params = {"amount": format_amount(int(payload["amount_minor"]), str(payload["currency"]))}
    if last4:
        params["last4"] = last4
    producer.enqueue(
        NotificationMessage(
            notification_id=event.event_id,
            kind=kind,
            category=Category.WALLET_TOP_UPS if top_up else Category.WALLET_PAYMENTS,
            user_id=str(payload["user_id"]),
            params=params,
        )
    )
