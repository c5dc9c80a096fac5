"""The e-wallet, transit cards, ledger entries, top-ups and the payment provider's webhook
(WAL-1, docs/wallet.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import wallet as schemas
    from chalicelib.services import authz, wallet
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    wallet = lazy_import("chalicelib.services.wallet")
    authz = lazy_import("chalicelib.services.authz")
    schemas = lazy_import("chalicelib.schemas.wallet")

blueprint = Blueprint(__name__)
TAGS = ["wallet"]


def _card(card: Any) -> schemas.CardOut:
    return schemas.CardOut(
        card_id=card.balance_id,
        last4=card.card_last4 or "",
        currency=card.currency,
        balance_minor=card.balance_minor,
        linked_at=card.opened_at,
    )


def _entry(entry: Any) -> schemas.EntryOut:
    return schemas.EntryOut(
        entry_id=entry.entry_id,
        direction=entry.direction,
        kind=entry.kind,
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        at=entry.at,
        means=entry.means,
        reversal_of=entry.reversal_of,
        details=entry.details,
    )


@endpoint(blueprint, "/v1/me/wallet", "GET", summary="My e-wallet (opened on first use)", tags=TAGS, auth=True)
def get_wallet(ctx: RequestContext) -> schemas.WalletOut:
    from chalicelib.domain.wallet import minor_digits

    view = wallet.open_wallet(ctx.principal.user_id, deps.clock().now())
    return schemas.WalletOut(
        wallet_id=view.balance_id,
        currency=view.currency,
        minor_digits=minor_digits(view.currency),
        balance_minor=view.balance_minor,
        opened_at=view.opened_at,
    )


@endpoint(
    blueprint,
    "/v1/me/wallet/entries",
    "GET",
    summary="My wallet's (or a linked card's) ledger entries, newest first",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def list_entries(ctx: RequestContext, query: schemas.EntryQuery) -> schemas.EntryPage:
    scope = f"wallet-entries:{ctx.principal.user_id}:{query.card_id or 'wallet'}"
    after = pagination.decode(query.cursor, scope=scope)
    page, last_key = wallet.entries_page(ctx.principal.user_id, query.card_id, query.limit, after, deps.clock().now())
    return schemas.EntryPage(items=[_entry(e) for e in page], next_cursor=pagination.encode(last_key, scope=scope))


@endpoint(
    blueprint,
    "/v1/me/wallet/top-ups",
    "POST",
    summary="Start a top-up: the provider's payment page; the money arrives by its webhook",
    tags=TAGS,
    status=201,
    errors_=[404],
    auth=True,
)
def start_top_up(ctx: RequestContext, body: schemas.TopUpCreate) -> schemas.TopUpOut:
    intent = wallet.start_top_up(ctx.principal.user_id, body.amount_minor, body.card_id, deps.clock().now())
    return schemas.TopUpOut(
        intent_id=intent.intent_id,
        status="pending",
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        target="card" if intent.target_kind == "card" else "wallet",
        payment_url=wallet.payment_url(intent),
    )


@endpoint(
    blueprint,
    "/v1/me/cards",
    "POST",
    summary="Link a transit card by its number (one account per card; linking it again answers it)",
    tags=TAGS,
    status=201,
    errors_=[409],
    auth=True,
)
def link_card(ctx: RequestContext, body: schemas.CardLink) -> schemas.CardOut:
    return _card(wallet.link_card(ctx.principal.user_id, body.card_number, deps.clock().now()))


@endpoint(blueprint, "/v1/me/cards", "GET", summary="My linked transit cards", tags=TAGS, auth=True)
def list_cards(ctx: RequestContext) -> schemas.CardList:
    return schemas.CardList(items=[_card(c) for c in wallet.cards(ctx.principal.user_id)])


@endpoint(
    blueprint,
    "/v1/me/cards/{card_id}",
    "DELETE",
    summary="Unlink a transit card (refused with 409 while it holds money)",
    tags=TAGS,
    status=204,
    errors_=[404, 409],
    auth=True,
)
def unlink_card(ctx: RequestContext, card_id: str) -> None:
    wallet.unlink_card(ctx.principal.user_id, card_id, deps.clock().now())


def _webhook_body() -> Any:
    return schemas.PaymentWebhook


@endpoint(
    blueprint,
    "/v1/payments/webhook",
    "POST",
    summary="The payment provider confirms a top-up (Standard Webhooks signature; idempotent on payment_id)",
    tags=["payments"],
    errors_=[400, 401, 404, 409, 422],
    raw_body=_webhook_body,
    description="Signed as Standard Webhooks: headers webhook-id, webhook-timestamp (Unix seconds, "
    "refused more than 5 minutes from the server's time) and webhook-signature (v1,<base64 "
    "HMAC-SHA256 of '<id>.<timestamp>.<raw body>'>). The signature is checked over the raw bytes "
    "before the body is read: a missing, wrong or stale one is a 401 problem and nothing is "
    "credited. A redelivery of the same payment_id answers the first credit (replayed: true); the "
    "same payment_id with another amount or target is a 409.",
)
def payment_webhook(ctx: RequestContext) -> schemas.PaymentAck:
    from chalicelib.api.routing import parse_body
    from chalicelib.security import webhooks

    raw = ctx.request.raw_body or b""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    now = deps.clock().now()
    webhooks.verify(dict(ctx.request.headers or {}), text, now)
    body = parse_body(ctx.request, schemas.PaymentWebhook)
    if not isinstance(body, schemas.PaymentWebhook):  # parse_body returns the model it was given
        raise TypeError("unexpected body model")
    data = body.data
    target = data.target
    moved = wallet.confirm_payment(
        wallet.Payment(
            payment_id=data.payment_id,
            amount_minor=data.amount_minor,
            currency=data.currency,
            means=data.means,
            paid_at=data.paid_at,
            intent_id=getattr(target, "intent_id", None),
            card_number=getattr(target, "card_number", None),
        ),
        now,
    )
    return schemas.PaymentAck(entry_id=moved.entry.entry_id, replayed=moved.replayed)


@endpoint(
    blueprint,
    "/v1/operator/wallets/{wallet_id}/adjustments",
    "POST",
    summary="Operators: credit or debit a wallet or card (audited; idempotent on movement_id)",
    tags=["wallet", "operator"],
    status=201,
    errors_=[404, 409],
    auth=True,
)
def adjust_wallet(ctx: RequestContext, wallet_id: str, body: schemas.Adjustment) -> schemas.AdjustmentOut:
    from chalicelib.domain.wallet import Direction

    authz.require_operator(ctx.principal)
    adjusted = wallet.adjust(
        ctx.principal.user_id,
        wallet_id,
        Direction(body.direction),
        body.amount_minor,
        body.movement_id,
        body.reason,
        deps.clock().now(),
    )
    return schemas.AdjustmentOut(
        entry=_entry(adjusted.moved.entry), replayed=adjusted.moved.replayed, balance_minor=adjusted.balance_minor
    )
