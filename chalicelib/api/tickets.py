"""QR tickets (WAL-2): products, my tickets and their QR codes, validators, scans, revocations.

Validators are devices, not people: their routes take ``Authorization: Validator <id>:<secret>``
(the secret shown once at registration, stored hashed) instead of a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import deps, errors
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.domain.tickets import TicketProduct
    from chalicelib.schemas import pagination as paging
    from chalicelib.schemas import tickets as schemas
    from chalicelib.services import tickets
    from chalicelib.store.tickets import Ticket, Validator
else:  # loaded on first use (cold start)
    tickets = lazy_import("chalicelib.services.tickets")
    schemas = lazy_import("chalicelib.schemas.tickets")
    paging = lazy_import("chalicelib.schemas.pagination")

blueprint = Blueprint(__name__)
TAGS = ["tickets"]
OPERATOR_TAGS = ["tickets", "operator"]
VALIDATOR_TAGS = ["tickets", "validators"]
VALIDATOR_AUTH = (
    "Validators authenticate with `Authorization: Validator <validator id>:<secret>` "
    "(POST /v1/operator/validators shows the secret once); anything else is a 401."
)


def _validator(ctx: RequestContext) -> Validator:
    scheme, _, credential = (ctx.header("authorization") or "").partition(" ")
    validator_id, colon, secret = credential.strip().partition(":")
    if scheme != "Validator" or not colon or not validator_id or not secret:
        raise errors.Unauthenticated("Use: Authorization: Validator <validator id>:<secret>")
    return tickets.authenticate_validator(validator_id, secret)


# --- products -------------------------------------------------------------------------------


def _product(product: TicketProduct) -> schemas.ProductOut:
    minutes = int(product.duration.total_seconds() // 60) if product.duration is not None else None
    return schemas.ProductOut(
        id=product.product_id,
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


@endpoint(
    blueprint,
    "/v1/operator/ticket-products",
    "POST",
    summary="Define a ticket product (operators; audited)",
    tags=OPERATOR_TAGS,
    status=201,
    errors_=[409],
    auth=True,
)
def create_ticket_product(ctx: RequestContext, body: schemas.ProductCreate) -> schemas.ProductOut:
    validity = body.validity
    new = tickets.NewProduct(
        name=body.name,
        kind=body.kind,
        price_minor=body.price_minor,
        currency=body.currency,
        duration_minutes=validity.minutes if isinstance(validity, schemas.DurationValidity) else None,
        valid_from=validity.valid_from if isinstance(validity, schemas.FixedValidity) else None,
        valid_until=validity.valid_until if isinstance(validity, schemas.FixedValidity) else None,
    )
    return _product(tickets.create_product(ctx.principal, new, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/operator/ticket-products",
    "GET",
    summary="Every ticket product, on sale or not (operators)",
    tags=OPERATOR_TAGS,
    auth=True,
)
def list_operator_ticket_products(ctx: RequestContext, query: paging.PageQuery) -> schemas.ProductPage:
    scope = "ticket-products:operator"
    page, last = tickets.list_products(
        query.limit, pagination.decode(query.cursor, scope=scope), operator=ctx.principal, now=deps.clock().now()
    )
    return schemas.ProductPage(items=[_product(p) for p in page], next_cursor=pagination.encode(last, scope=scope))


@endpoint(blueprint, "/v1/ticket-products", "GET", summary="Ticket products on sale", tags=TAGS)
def list_ticket_products(ctx: RequestContext, query: paging.PageQuery) -> schemas.ProductPage:
    scope = "ticket-products"
    page, last = tickets.list_products(
        query.limit, pagination.decode(query.cursor, scope=scope), now=deps.clock().now()
    )
    return schemas.ProductPage(items=[_product(p) for p in page], next_cursor=pagination.encode(last, scope=scope))


@endpoint(
    blueprint,
    "/v1/tickets/keys",
    "GET",
    summary="Public keys that sign ticket QR codes (key id -> Ed25519 key, for offline validators)",
    tags=TAGS,
)
def ticket_keys(ctx: RequestContext) -> schemas.KeysOut:
    keys = [
        schemas.PublicKeyOut(key_id=kid, algorithm=algorithm, public_key=text)
        for kid, algorithm, text in tickets.published_keys()
    ]
    return schemas.KeysOut(keys=keys)


# --- my tickets -----------------------------------------------------------------------------


def _ticket(ticket: Ticket, qr_payload: str | None = None) -> schemas.TicketOut:
    return schemas.TicketOut(
        id=ticket.ticket_id,
        product_id=ticket.product_id,
        product_name=ticket.product_name,
        kind=ticket.kind.value,
        price_minor=ticket.price_minor,
        currency=ticket.currency,
        not_before=ticket.not_before,
        not_after=ticket.not_after,
        status=ticket.status.value,
        purchased_at=ticket.purchased_at,
        use_count=ticket.use_count,
        used_at=ticket.used_at,
        used_place=ticket.used_place,
        revoked_at=ticket.revoked_at,
        qr_payload=qr_payload,
    )


@endpoint(blueprint, "/v1/me/tickets", "GET", summary="My tickets, newest first", tags=TAGS, auth=True)
def list_my_tickets(ctx: RequestContext, query: paging.PageQuery) -> schemas.TicketPage:
    scope = f"tickets:{ctx.principal.user_id}"
    page, last = tickets.list_own(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.TicketPage(items=[_ticket(t) for t in page], next_cursor=pagination.encode(last, scope=scope))


@endpoint(
    blueprint,
    "/v1/me/tickets/{ticket_id}",
    "GET",
    summary="One of my tickets, with its QR code's text",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_my_ticket(ctx: RequestContext, ticket_id: str) -> schemas.TicketOut:
    ticket = tickets.own_ticket(ctx.principal, ticket_id, deps.clock().now())
    return _ticket(ticket, tickets.qr_payload(ticket))


@endpoint(
    blueprint,
    "/v1/me/tickets/{ticket_id}/qr",
    "GET",
    summary="My ticket's QR code as an image (SVG)",
    tags=TAGS,
    errors_=[404],
    auth=True,
    produces="image/svg+xml",
)
def get_my_ticket_qr(ctx: RequestContext, ticket_id: str, query: schemas.QrQuery) -> Response:
    ticket = tickets.own_ticket(ctx.principal, ticket_id, deps.clock().now())
    image = tickets.qr_svg(ticket)
    headers = {"Content-Type": "image/svg+xml", "Cache-Control": "private, no-store", **ctx.response_headers}
    return Response(body=image, status_code=200, headers=headers)


# --- operators: validators, flags -------------------------------------------------------------


def _validator_out(validator: Validator) -> schemas.ValidatorOut:
    return schemas.ValidatorOut(
        id=validator.validator_id,
        name=validator.name,
        place=validator.place,
        active=validator.active,
        created_at=validator.created_at,
    )


@endpoint(
    blueprint,
    "/v1/operator/validators",
    "POST",
    summary="Register a validator device (operators; its secret is shown once)",
    tags=OPERATOR_TAGS,
    status=201,
    errors_=[409],
    auth=True,
)
def register_validator(ctx: RequestContext, body: schemas.ValidatorCreate) -> schemas.ValidatorCreated:
    validator, secret = tickets.register_validator(
        ctx.principal, tickets.NewValidator(name=body.name, place=body.place), deps.clock().now()
    )
    shown = _validator_out(validator)
    return schemas.ValidatorCreated(**shown.model_dump(), secret=secret)


@endpoint(
    blueprint, "/v1/operator/validators", "GET", summary="Validator devices (operators)", tags=OPERATOR_TAGS, auth=True
)
def list_validators(ctx: RequestContext, query: paging.PageQuery) -> schemas.ValidatorPage:
    scope = "validators"
    page, last = tickets.list_validators(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.ValidatorPage(
        items=[_validator_out(v) for v in page], next_cursor=pagination.encode(last, scope=scope)
    )


@endpoint(
    blueprint,
    "/v1/operator/ticket-flags",
    "GET",
    summary="Tickets an offline upload found used twice (operators)",
    tags=OPERATOR_TAGS,
    auth=True,
)
def list_ticket_flags(ctx: RequestContext, query: paging.PageQuery) -> schemas.FlaggedPage:
    scope = "ticket-flags"
    page, last = tickets.flagged_tickets(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    items = [
        schemas.FlaggedTicketOut(
            ticket_id=t.ticket_id,
            product_name=t.product_name,
            status=t.status.value,
            flag_reason=t.flag_reason,
            flagged_at=t.flagged_at,
            used_at=t.used_at,
            used_validator_id=t.used_validator_id,
            used_place=t.used_place,
        )
        for t in page
    ]
    return schemas.FlaggedPage(items=items, next_cursor=pagination.encode(last, scope=scope))


# --- validators -----------------------------------------------------------------------------


def _scan_out(result: tickets.ScanResult) -> schemas.ScanOut:
    return schemas.ScanOut(
        accepted=result.accepted,
        reason=result.reason.value if result.reason else None,
        ticket_id=result.ticket_id,
        product_name=result.product_name,
        not_after=result.not_after,
        used_at=result.used_at,
        used_validator_id=result.used_validator_id,
        used_place=result.used_place,
        replayed=result.replayed,
    )


@endpoint(
    blueprint,
    "/v1/validators/scans",
    "POST",
    summary="Redeem a QR code online (a single-use ticket admits once; a refusal says why, when and where)",
    tags=VALIDATOR_TAGS,
    errors_=[401, 409],
    description=VALIDATOR_AUTH,
)
def scan_ticket(ctx: RequestContext, body: schemas.ScanIn) -> schemas.ScanOut:
    validator = _validator(ctx)
    return _scan_out(tickets.scan_online(validator, body.scan_id, body.payload, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/validators/scans/batch",
    "POST",
    summary="Upload an offline validator's scans (idempotent per scan id; double uses are flagged)",
    tags=VALIDATOR_TAGS,
    errors_=[401, 409],
    description=VALIDATOR_AUTH,
)
def upload_scans(ctx: RequestContext, body: schemas.ScanBatchIn) -> schemas.ScanBatchOut:
    validator = _validator(ctx)
    scans = [tickets.OfflineScan(s.scan_id, s.payload, s.scanned_at, s.accepted) for s in body.scans]
    results = tickets.upload_scans(validator, scans, deps.clock().now())
    return schemas.ScanBatchOut(
        results=[
            schemas.UploadResultOut(scan_id=r.scan_id, status=r.status, reason=r.reason, ticket_id=r.ticket_id)
            for r in results
        ]
    )


@endpoint(
    blueprint,
    "/v1/validators/revocations",
    "GET",
    summary="Refunded and revoked tickets (validators refuse them offline)",
    tags=VALIDATOR_TAGS,
    errors_=[401],
    description=VALIDATOR_AUTH,
)
def list_revocations(ctx: RequestContext, query: schemas.RevocationsQuery) -> schemas.RevocationPage:
    _validator(ctx)
    from datetime import UTC, datetime

    since = query.since or datetime(2000, 1, 1, tzinfo=UTC)
    scope = f"revocations:{since.isoformat()}"
    page, last, as_of = tickets.revocations(
        since, query.limit, pagination.decode(query.cursor, scope=scope), deps.clock().now()
    )
    items = [
        schemas.RevocationOut(ticket_id=r.ticket_id, revoked_at=r.revoked_at, not_after=r.not_after, reason=r.reason)
        for r in page
    ]
    return schemas.RevocationPage(items=items, next_cursor=pagination.encode(last, scope=scope), as_of=as_of)


@endpoint(
    blueprint,
    "/v1/operator/tickets/{ticket_id}/revoke",
    "POST",
    summary="Revoke a valid, unused ticket and refund it (operators; audited; once)",
    tags=OPERATOR_TAGS,
    errors_=[404, 409],
    auth=True,
)
def revoke_ticket(ctx: RequestContext, ticket_id: str, body: schemas.RevokeIn) -> schemas.TicketOut:
    return _ticket(tickets.revoke(ctx.principal, ticket_id, body.reason, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/me/tickets",
    "POST",
    summary="Buy a ticket from my wallet, atomically (Idempotency-Key makes retries safe)",
    tags=TAGS,
    status=201,
    errors_=[404, 409, 410],
    auth=True,
)
def buy_ticket(ctx: RequestContext, body: schemas.TicketBuy) -> schemas.TicketOut:
    """The ledger debit and the ticket commit together. 409 insufficient-funds when the balance
    does not cover the price; 404 when there is no wallet in the product's currency. A retry
    with the same Idempotency-Key answers the ticket the first request bought."""
    bought = tickets.buy(ctx.principal, body.product_id, ctx.header("idempotency-key"), deps.clock().now())
    if bought.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    ctx.response_headers["Location"] = f"/v1/me/tickets/{bought.ticket.ticket_id}"
    return _ticket(bought.ticket, tickets.qr_payload(bought.ticket))


@endpoint(
    blueprint,
    "/v1/me/tickets/{ticket_id}/refund",
    "POST",
    summary="Refund my unused ticket to my wallet (once)",
    tags=TAGS,
    errors_=[404, 409, 410],
    auth=True,
)
def refund_ticket(ctx: RequestContext, ticket_id: str) -> schemas.TicketOut:
    return _ticket(tickets.refund(ctx.principal, ticket_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/validators/taps",
    "POST",
    summary="A transit card tapped: the fare deducted from the card's balance (once per scan id)",
    tags=VALIDATOR_TAGS,
    errors_=[401, 409],
    description=VALIDATOR_AUTH,
)
def tap_card(ctx: RequestContext, body: schemas.TapIn) -> schemas.TapOut:
    validator = _validator(ctx)
    result = tickets.tap_card(validator, body.scan_id, body.card_number, body.fare_minor, deps.clock().now())
    return schemas.TapOut(
        accepted=result.accepted,
        reason=result.reason,
        card_last4=result.card_last4,
        fare_minor=result.fare_minor,
        replayed=result.replayed,
    )
