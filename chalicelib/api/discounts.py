"""Discount codes of a business: /v1/businesses/{business_id}/discount-codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.bookings import DiscountCode
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import bookings as schemas
    from chalicelib.services import discounts
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    discounts = lazy_import("chalicelib.services.discounts")
    schemas = lazy_import("chalicelib.schemas.bookings")

blueprint = Blueprint(__name__)
TAGS = ["business", "discounts"]


def view(code: DiscountCode) -> schemas.DiscountCodeOut:
    return schemas.DiscountCodeOut(
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
    status=201,
    errors_=[403, 404, 409],
    auth=True,
)
def create_discount_code(
    ctx: RequestContext, business_id: str, body: schemas.DiscountCodeCreate
) -> schemas.DiscountCodeOut:
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
    errors_=[403, 404],
    auth=True,
)
def list_discount_codes(
    ctx: RequestContext, business_id: str, query: schemas.DiscountCodesQuery
) -> schemas.DiscountCodePage:
    scope = f"discount-codes:{business_id}"
    codes, last_key = discounts.list_codes(
        ctx.principal, business_id, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return schemas.DiscountCodePage(
        items=[view(c) for c in codes], next_cursor=pagination.encode(last_key, scope=scope)
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/discount-codes/{code}",
    "PATCH",
    summary="Switch a code on or off, move its end, change its usage limit",
    tags=TAGS,
    errors_=[403, 404],
    auth=True,
)
def patch_discount_code(
    ctx: RequestContext, business_id: str, code: str, body: schemas.DiscountCodePatch
) -> schemas.DiscountCodeOut:
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
