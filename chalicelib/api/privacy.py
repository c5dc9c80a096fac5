"""Privacy routes: consents, exports, erasure (DELETE /v1/me), privacy requests, operator views."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.privacy import consents
from chalicelib.schemas.privacy import (
    ConsentEventOut,
    ConsentsResponse,
    ConsentsUpdate,
    PartnerConsentOut,
    TermsAcceptanceOut,
)
from chalicelib.store.consents import (
    LOCATION,
    MARKETING_OBJECTION,
    NO_SCOPE,
    PARTNER_MARKETING,
    PROCESSING_RESTRICTION,
    ConsentChange,
)

blueprint = Blueprint(__name__)


def _consents_response(user_id: str) -> ConsentsResponse:
    view = consents.summary(user_id)
    return ConsentsResponse(
        terms=TermsAcceptanceOut(version=view.terms.version, accepted_at=view.terms.accepted_at)
        if view.terms
        else None,
        partner_marketing_all=view.partner_marketing_all,
        partner_marketing=[
            PartnerConsentOut(partner_id=partner, granted=granted, updated_at=at)
            for partner, (granted, at) in sorted(view.partner_marketing.items())
        ],
        location=view.location,
        marketing_objection=view.marketing_objection,
        processing_restriction=view.processing_restriction,
        history=[
            ConsentEventOut(kind=e.kind, scope=e.scope, granted=e.granted, at=e.at, source=e.source)
            for e in view.history
        ],
    )


@endpoint(
    blueprint,
    "/v1/me/consents",
    "GET",
    summary="My consents, objections and their history",
    tags=["privacy"],
    response=ConsentsResponse,
    errors_=[401],
    auth=True,
)
def get_my_consents(ctx: RequestContext) -> ConsentsResponse:
    return _consents_response(ctx.principal.user_id)


@endpoint(
    blueprint,
    "/v1/me/consents",
    "PUT",
    summary="Give or withdraw consents; object to marketing; restrict processing",
    tags=["privacy"],
    body=ConsentsUpdate,
    response=ConsentsResponse,
    errors_=[401, 403, 503],
    auth=True,
    description="Takes effect at once: the next marketing message is checked against the new state.",
)
def put_my_consents(ctx: RequestContext, body: ConsentsUpdate) -> ConsentsResponse:
    changes = [ConsentChange(PARTNER_MARKETING, p.partner_id, p.granted) for p in body.partner_marketing or []]
    for kind, value in (
        (LOCATION, body.location),
        (MARKETING_OBJECTION, body.marketing_objection),
        (PROCESSING_RESTRICTION, body.processing_restriction),
    ):
        if value is not None:
            changes.append(ConsentChange(kind, NO_SCOPE, value))
    consents.change(ctx.principal.user_id, changes, at=deps.clock().now())
    return _consents_response(ctx.principal.user_id)
