"""Discount codes of a business: /v1/businesses/{business_id}/discount-codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.bookings import DiscountCode
from chalicelib.lazy import lazy_import
from chalicelib.schemas.bookings import (
    DiscountCodeCreate,
    DiscountCodeOut,
    DiscountCodePage,
    DiscountCodePatch,
    DiscountCodesQuery,
)

if TYPE_CHECKING:
    from chalicelib.services import discounts
else:  # loaded on first use: keeps the store and the SDK out of cold start
    discounts = lazy_import("chalicelib.services.discounts")

blueprint = Blueprint(__name__)
TAGS = ["business", "discounts"]


def view(code: DiscountCode) -> DiscountCodeOut:
    return DiscountCodeOut(
        code=code.code,
        kind=code.kind.value,
        value=code.value,
        currency=code.currency,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        max_uses=code.max_uses,
        uses=code.uses,
        active=code.active,
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/discount-codes",
    "POST",
    summary="Create a discount code (percent or fixed, validity window, optional usage limit)",
    tags=TAGS,
    body=DiscountCodeCreate,
    response=DiscountCodeOut,
    status=201,
    errors_=[403, 404, 409],
    auth=True,
)
def create_discount_code(ctx: RequestContext, business_id: str, body: DiscountCodeCreate) -> DiscountCodeOut:
    return view(
        discounts.create(
            ctx.principal,
            business_id,
            code=body.code,
            kind=body.kind,
            value=body.value,
            currency=body.currency,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            max_uses=body.max_uses,
            now=deps.clock().now(),
        )
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/discount-codes",
    "GET",
    summary="The business's discount codes",
    tags=TAGS,
    query=DiscountCodesQuery,
    response=DiscountCodePage,
    errors_=[403, 404],
    auth=True,
)
def list_discount_codes(ctx: RequestContext, business_id: str, query: DiscountCodesQuery) -> DiscountCodePage:
    scope = f"discount-codes:{business_id}"
    codes, last_key = discounts.list_codes(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return DiscountCodePage(items=[view(c) for c in codes], next_cursor=pagination.encode(last_key, scope=scope))


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/discount-codes/{code}",
    "PATCH",
    summary="Switch a code on or off, move its end, change its usage limit",
    tags=TAGS,
    body=DiscountCodePatch,
    response=DiscountCodeOut,
    errors_=[403, 404],
    auth=True,
)
def patch_discount_code(ctx: RequestContext, business_id: str, code: str, body: DiscountCodePatch) -> DiscountCodeOut:
    return view(
        discounts.update(
            ctx.principal,
            business_id,
            code,
            active=body.active,
            valid_until=body.valid_until,
            max_uses=body.max_uses,
            now=deps.clock().now(),
        )
    )
