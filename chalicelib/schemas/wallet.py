"""Wallet, card, ledger and top-up shapes (docs/wallet.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.wallet import CARD_NUMBER_DIGITS, MAX_AMOUNT_MINOR, MOVEMENT_ID_MAX_CHARS
from chalicelib.schemas.common import ApiDateTime, Currency, FreeText, RequestModel, ResponseModel
from chalicelib.schemas.pagination import PageQuery

AmountMinor = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_AMOUNT_MINOR,
        strict=True,
        description="Integer count of the currency's minor units (AZN: 150 = 1.50 AZN)",
    ),
]
CardNumber = Annotated[
    str,
    Field(
        pattern=rf"^[0-9]{{{CARD_NUMBER_DIGITS}}}$",
        description=f"The transit card's number: exactly {CARD_NUMBER_DIGITS} digits. Stored only as a keyed "
        "hash and its last 4 digits; never logged",
    ),
]
# A linked card's id (GET /v1/me/cards); another account's or an unknown one is a 404.
CardId = Annotated[str, Field(pattern=r"^[a-f0-9]{32}$")]
Means = Literal["card", "kiosk_cash", "bank_app"]
EntryKindName = Literal["top_up", "purchase", "fare", "refund", "adjustment"]


class WalletOut(ResponseModel):
    wallet_id: str = Field(description="The wallet's balance id (quote it to support)")
    currency: str
    minor_digits: int = Field(description="The currency's minor-unit exponent (AZN: 2)")
    balance_minor: int
    opened_at: datetime


class CardLink(RequestModel):
    card_number: CardNumber


class CardOut(ResponseModel):
    card_id: str
    last4: str = Field(description="The last 4 digits of the card number (the rest is never stored)")
    currency: str
    balance_minor: int
    linked_at: datetime


class CardList(ResponseModel):
    items: list[CardOut]


class EntryOut(ResponseModel):
    entry_id: str
    direction: Literal["credit", "debit"]
    kind: EntryKindName
    amount_minor: int
    currency: str
    at: datetime
    means: Means | None = None
    reversal_of: str | None = Field(default=None, description="A refund: the entry it reverses")
    details: dict[str, str] = Field(default_factory=dict)


class EntryPage(ResponseModel):
    items: list[EntryOut]
    next_cursor: str | None = None


class EntryQuery(PageQuery):
    card_id: CardId | None = Field(default=None, description="A linked card's entries instead of the wallet's")


class TopUpCreate(RequestModel):
    amount_minor: AmountMinor
    card_id: CardId | None = Field(default=None, description="Top up this linked card instead of the wallet")


class TopUpOut(ResponseModel):
    intent_id: str
    status: Literal["pending", "credited"]
    amount_minor: int
    currency: str
    target: Literal["wallet", "card"]
    payment_url: str = Field(description="The payment provider's page; the money arrives by its signed webhook")


class IntentTarget(RequestModel):
    intent_id: str = Field(pattern=r"^[a-f0-9]{32}$", description="The top-up intent paid (app top-ups)")


class CardTarget(RequestModel):
    card_number: CardNumber = Field(description="The linked card topped up at a kiosk")


class PaymentData(RequestModel):
    payment_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="The provider's id of the payment: a redelivery with the same id credits once",
    )
    amount_minor: AmountMinor
    currency: Currency
    means: Means
    paid_at: ApiDateTime
    target: IntentTarget | CardTarget


class PaymentWebhook(RequestModel):
    """A Standard Webhooks delivery from the payment provider."""

    type: Literal["payment.succeeded"]
    data: PaymentData


class PaymentAck(ResponseModel):
    entry_id: str
    replayed: bool = Field(description="True when this payment was already credited (nothing moved again)")


class Adjustment(RequestModel):
    direction: Literal["credit", "debit"]
    amount_minor: AmountMinor
    movement_id: str = Field(
        min_length=1,
        max_length=MOVEMENT_ID_MAX_CHARS,
        pattern=r"^[\x21-\x7E]+$",
        description="The operator's id for this adjustment: a retry with the same id adjusts once",
    )
    reason: Annotated[str, FreeText(max_length=200, min_length=3)]


class AdjustmentOut(ResponseModel):
    entry: EntryOut
    replayed: bool
    balance_minor: int
