"""QR tickets, products, validators and scans: the public contract (docs/wallet.md, "QR tickets")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from chalicelib.schemas.common import (
    ApiDateTime,
    Currency,
    FreeText,
    RequestModel,
    ResponseModel,
    date_bounds,
    refers_to,
)
from chalicelib.schemas.pagination import PageQuery
from chalicelib.schemas.wallet import CardNumber

ProductName = Annotated[str, FreeText(max_length=80, min_length=1)]
PlaceText = Annotated[str, FreeText(max_length=120, min_length=1)]
ReasonText = Annotated[str, FreeText(max_length=200, min_length=1)]
ScanId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The validator's own id for this scan: the same id is recorded once (retries, re-uploads)",
    ),
]
QrPayload = Annotated[
    str,
    Field(
        min_length=156,
        max_length=156,
        pattern=r"^[A-Za-z0-9_-]{156}$",
        description="The text of the ticket's QR code (unpadded base64url of 117 bytes; docs/wallet.md)",
    ),
]
ProductId = Annotated[
    str, Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$", json_schema_extra=refers_to("ticket_product"))
]
Kind = Literal["single_ride", "day_pass", "event_ticket"]


def _currency_enum(schema: dict[str, Any]) -> None:
    # The accepted codes as an enum, so a client (and the fuzzer) sees which three letters are
    # a currency: the pattern alone also admits "AAA".
    from iso4217 import Currency as Iso4217

    schema["enum"] = sorted(currency.code for currency in Iso4217 if currency.exponent is not None)


PriceCurrency = Annotated[Currency, Field(json_schema_extra=_currency_enum)]
MAX_DURATION_MINUTES = 366 * 24 * 60
MAX_PRICE_MINOR = 100_000_000


# --- products -------------------------------------------------------------------------------


class DurationValidity(RequestModel):
    type: Literal["duration"]
    minutes: int = Field(ge=1, le=MAX_DURATION_MINUTES, description="Valid this long from the purchase")


class FixedValidity(RequestModel):
    type: Literal["fixed"]
    valid_from: ApiDateTime
    valid_until: ApiDateTime = Field(
        description="Exclusive; after valid_from", json_schema_extra=date_bounds(after=["valid_from"])
    )

    @model_validator(mode="after")
    def _ordered(self) -> FixedValidity:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class ProductCreate(RequestModel):
    name: ProductName
    kind: Kind
    price_minor: int = Field(ge=0, le=MAX_PRICE_MINOR, description="In minor units of currency")
    currency: PriceCurrency
    # A plain union (anyOf): each option's "type" constant tells them apart.
    validity: DurationValidity | FixedValidity


class ProductOut(ResponseModel):
    id: str
    name: str
    kind: Kind
    price_minor: int
    currency: str
    duration_minutes: int | None = Field(description="Valid this long from the purchase (else the fixed window)")
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    created_at: datetime


class ProductPage(ResponseModel):
    items: list[ProductOut]
    next_cursor: str | None = None


# --- tickets --------------------------------------------------------------------------------


class TicketBuy(RequestModel):
    product_id: ProductId


class TicketOut(ResponseModel):
    id: str
    product_id: str
    product_name: str
    kind: Kind
    price_minor: int
    currency: str
    not_before: datetime
    not_after: datetime = Field(description="Exclusive")
    status: Literal["valid", "used", "revoked", "refunded"]
    purchased_at: datetime
    use_count: int
    used_at: datetime | None = None
    used_place: str | None = None
    revoked_at: datetime | None = None
    qr_payload: str | None = Field(default=None, description="The QR code's text (single ticket reads only)")


class TicketPage(ResponseModel):
    items: list[TicketOut]
    next_cursor: str | None = None


class QrQuery(RequestModel):
    format: Literal["svg"] = Field(default="svg", description="SVG (PNG is not served: every body is text)")


class RevokeIn(RequestModel):
    reason: ReasonText


class PublicKeyOut(ResponseModel):
    key_id: str = Field(description="8 hex digits: the key id bytes a payload carries")
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="The raw 32-byte public key, unpadded base64url")


class KeysOut(ResponseModel):
    keys: list[PublicKeyOut]


# --- validators -----------------------------------------------------------------------------


class ValidatorCreate(RequestModel):
    name: ProductName
    place: PlaceText


class ValidatorOut(ResponseModel):
    id: str
    name: str
    place: str
    active: bool
    created_at: datetime


class ValidatorCreated(ValidatorOut):
    secret: str = Field(description="Shown once: send `Authorization: Validator <id>:<secret>`")


class ValidatorPage(ResponseModel):
    items: list[ValidatorOut]
    next_cursor: str | None = None


class ScanIn(RequestModel):
    scan_id: ScanId
    payload: QrPayload


Refusal = Literal[
    "malformed",
    "unknown_key",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "revoked",
    "already_used",
    "unknown_ticket",
]


class ScanOut(ResponseModel):
    accepted: bool
    reason: Refusal | None = None
    ticket_id: str | None = None
    product_name: str | None = None
    not_after: datetime | None = None
    used_at: datetime | None = Field(default=None, description="A ticket used before: when")
    used_validator_id: str | None = Field(default=None, description="A ticket used before: at which validator")
    used_place: str | None = Field(default=None, description="A ticket used before: where")
    replayed: bool = Field(default=False, description="This scan id was recorded before: its first answer")


class OfflineScanIn(RequestModel):
    scan_id: ScanId
    payload: QrPayload
    scanned_at: ApiDateTime = Field(
        description="When the validator scanned it: within the last 30 days, not in the future",
        json_schema_extra=date_bounds(min=["today-29"], max=["today"]),
    )
    accepted: bool = Field(description="Whether the validator admitted it offline")


class ScanBatchIn(RequestModel):
    scans: list[OfflineScanIn] = Field(min_length=1, max_length=100)


class UploadResultOut(ResponseModel):
    scan_id: str
    status: Literal["recorded", "flagged", "duplicate", "rejected"]
    reason: str | None = None
    ticket_id: str | None = None


class ScanBatchOut(ResponseModel):
    results: list[UploadResultOut]


class RevocationsQuery(PageQuery):
    since: ApiDateTime | None = Field(
        default=None, description="Only entries after this instant (the as_of of a previous complete download)"
    )


class RevocationOut(ResponseModel):
    ticket_id: str
    revoked_at: datetime
    not_after: datetime = Field(description="After this the ticket is expired anyway: drop the entry")
    reason: str


class RevocationPage(ResponseModel):
    items: list[RevocationOut]
    next_cursor: str | None = None
    as_of: datetime = Field(description="Once next_cursor is null: pass this as since next time")


class FlaggedTicketOut(ResponseModel):
    ticket_id: str
    product_name: str
    status: Literal["valid", "used", "revoked", "refunded"]
    flag_reason: str | None
    flagged_at: datetime | None
    used_at: datetime | None
    used_validator_id: str | None
    used_place: str | None


class FlaggedPage(ResponseModel):
    items: list[FlaggedTicketOut]
    next_cursor: str | None = None


class TapIn(RequestModel):
    scan_id: ScanId
    card_number: CardNumber
    fare_minor: int = Field(ge=1, le=10_000_000, description="The fare this validator charges, in minor units")


class TapOut(ResponseModel):
    accepted: bool
    reason: Literal["unknown_card", "insufficient_funds"] | None = None
    card_last4: str | None = None
    fare_minor: int | None = None
    replayed: bool = Field(default=False, description="This scan id was recorded before: its first answer")
