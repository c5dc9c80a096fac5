"""Wallet and ledger rules (WAL-1, RET-4): pure, no I/O.

Money is an integer count of the currency's minor units (ISO 4217 exponent: AZN has 2).
Every movement is an immutable ledger entry; a balance only changes together with one.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

from chalicelib import errors

# Transit card numbers: exactly 16 decimal digits (spaces and dashes a person types are
# dropped first). Only an HMAC of the number and its last 4 digits are ever stored.
CARD_NUMBER_DIGITS = 16
_CARD_NUMBER = re.compile(rf"^[0-9]{{{CARD_NUMBER_DIGITS}}}$")
# One movement's amount: positive, at most 10,000,000 minor units (100,000.00 AZN).
MAX_AMOUNT_MINOR = 10_000_000
MOVEMENT_ID_MAX_CHARS = 200


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class EntryKind(StrEnum):
    TOP_UP = "top_up"  # credit: a payment provider confirmed money in
    PURCHASE = "purchase"  # debit: a ticket bought from the balance
    FARE = "fare"  # debit: a fare deducted at a validator (cards)
    REFUND = "refund"  # credit: the reversal of a debit (references it)
    ADJUSTMENT = "adjustment"  # credit or debit by an operator (audited)


class BalanceKind(StrEnum):
    WALLET = "wallet"
    CARD = "card"


class Means(StrEnum):
    """How a top-up was paid (recorded on its entry)."""

    CARD = "card"
    KIOSK_CASH = "kiosk_cash"
    BANK_APP = "bank_app"


class InsufficientFunds(errors.Conflict):
    slug = "insufficient-funds"
    title = "The balance does not cover the amount"


class DuplicateMovement(errors.Conflict):
    """The movement id was already used: the original entry stands (a replay answers it)."""

    slug = "duplicate-movement"
    title = "This movement was already recorded"


class MovementReused(errors.Conflict):
    """The same movement id with a different amount, balance or direction."""

    slug = "movement-reused"
    title = "The movement id was used for a different movement"


class AlreadyReversed(errors.Conflict):
    slug = "already-reversed"
    title = "The entry was already reversed"


class CardAlreadyLinked(errors.Conflict):
    slug = "card-already-linked"
    title = "The card is linked to an account"


class CardBalanceNotZero(errors.Conflict):
    slug = "card-balance-not-zero"
    title = "The card still holds money"


def normalise_card_number(text: str) -> str:
    """The card number as digits only; InvalidInput naming ``card_number`` otherwise."""
    digits = text.replace(" ", "").replace("-", "")
    if not _CARD_NUMBER.fullmatch(digits):
        raise errors.InvalidInput(
            [errors.FieldError("card_number", f"exactly {CARD_NUMBER_DIGITS} digits (spaces and dashes allowed)")]
        )
    return digits


@cache
def minor_digits(currency: str) -> int:
    """The currency's minor-unit exponent (AZN 2, JPY 0) from the pinned iso4217 registry."""
    from iso4217 import Currency as Iso4217

    for known in Iso4217:
        if known.code == currency and known.exponent is not None:
            return int(known.exponent)
    raise errors.InvalidInput([errors.FieldError("currency", "not an ISO 4217 currency with a minor unit")])


def check_amount(amount_minor: int) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise errors.InvalidInput([errors.FieldError("amount_minor", "an integer count of minor units")])
    if not 1 <= amount_minor <= MAX_AMOUNT_MINOR:
        raise errors.InvalidInput([errors.FieldError("amount_minor", f"from 1 to {MAX_AMOUNT_MINOR}")])
    return amount_minor


def check_movement_id(movement_id: str) -> str:
    if (
        not movement_id
        or len(movement_id) > MOVEMENT_ID_MAX_CHARS
        or not movement_id.isascii()
        or not movement_id.isprintable()
    ):
        raise errors.InvalidInput(
            [errors.FieldError("movement_id", f"1 to {MOVEMENT_ID_MAX_CHARS} printable ASCII characters")]
        )
    return movement_id


def signed(direction: Direction, amount_minor: int) -> int:
    """An entry's effect on its balance."""
    return amount_minor if direction is Direction.CREDIT else -amount_minor
