"""Privacy routes: consents, exports, erasure (DELETE /v1/me), privacy requests, operator views."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.consents import (
    LOCATION,
    MARKETING_OBJECTION,
    NO_SCOPE,
    PARTNER_MARKETING,
    PROCESSING_RESTRICTION,
    ConsentChange,
)
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.privacy import consents, erasure, exports, requests
    from chalicelib.schemas import privacy as schemas
    from chalicelib.services import authz, events
    from chalicelib.store import db
    from chalicelib.store.privacy_requests import RequestView
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    consents = lazy_import("chalicelib.privacy.consents")
    erasure = lazy_import("chalicelib.privacy.erasure")
    exports = lazy_import("chalicelib.privacy.exports")
    requests = lazy_import("chalicelib.privacy.requests")
    authz = lazy_import("chalicelib.services.authz")
    events = lazy_import("chalicelib.services.events")
    schemas = lazy_import("chalicelib.schemas.privacy")

blueprint = Blueprint(__name__)


def _consents_response(user_id: str) -> schemas.ConsentsResponse:
    view = consents.summary(user_id)
    return schemas.ConsentsResponse(
        terms=schemas.TermsAcceptanceOut(version=view.terms.version, accepted_at=view.terms.accepted_at)
        if view.terms
        else None,
        partner_marketing_all=view.partner_marketing_all,
        partner_marketing=[
            schemas.PartnerConsentOut(partner_id=partner, granted=granted, updated_at=at)
            for partner, (granted, at) in sorted(view.partner_marketing.items())
        ],
        location=view.location,
        marketing_objection=view.marketing_objection,
        processing_restriction=view.processing_restriction,
        history=[
            schemas.ConsentEventOut(kind=e.kind, scope=e.scope, granted=e.granted, at=e.at, source=e.source)
            for e in view.history
        ],
    )


@endpoint(
    blueprint,
    "/v1/me/consents",
    "GET",
    summary="My consents, objections and their history",
    tags=["privacy"],
    errors_=[401],
    auth=True,
)
def get_my_consents(ctx: RequestContext) -> schemas.ConsentsResponse:
    return _consents_response(ctx.principal.user_id)


@endpoint(
    blueprint,
    "/v1/me/consents",
    "PUT",
    summary="Give or withdraw consents; object to marketing; restrict processing",
    tags=["privacy"],
    errors_=[401, 403, 409, 503],
    auth=True,
    description="Takes effect at once: the next marketing message is checked against the new state.",
)
def put_my_consents(ctx: RequestContext, body: schemas.ConsentsUpdate) -> schemas.ConsentsResponse:
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


# --- exports (RIGHT-1, RIGHT-2) ----------------------------------------------------


@endpoint(
    blueprint,
    "/v1/me/exports",
    "POST",
    summary="Export all my data as JSON (schema: docs/export-schema.json)",
    tags=["privacy"],
    status=201,
    errors_=[401, 403, 503],
    auth=True,
    description="Small exports come back inline; big ones are built in the background: poll GET "
    "/v1/me/exports/{export_id} for an expiring download link.",
)
def post_my_export(ctx: RequestContext) -> schemas.ExportResponse:
    view = exports.request_export(ctx.principal.user_id, deps.clock().now())
    return schemas.ExportResponse(export_id=view.export_id, status=view.status, data=view.data)


@endpoint(
    blueprint,
    "/v1/me/exports/{export_id}",
    "GET",
    summary="A background export's state and its expiring download link",
    tags=["privacy"],
    errors_=[401, 404],
    auth=True,
)
def get_my_export(ctx: RequestContext, export_id: str) -> schemas.ExportResponse:
    view, url, expires = exports.status(ctx.principal.user_id, export_id, deps.clock().now())
    return schemas.ExportResponse(
        export_id=view.export_id,
        status=view.status,
        download_url=url,
        expires_at=expires.isoformat(timespec="seconds") if expires else None,
    )


# --- erasure (RIGHT-4) -------------------------------------------------------------


def _record_event(tx: db.Transaction, kind: str, event_id: str, payload: dict[str, Any], now: datetime) -> None:
    """The domain-event seam for the privacy engine, which sits below the services layer."""
    events.record(tx, events.DomainEvent(kind=kind, event_id=event_id, payload=payload), now)


@endpoint(
    blueprint,
    "/v1/me",
    "DELETE",
    summary="Delete my account: signs out everywhere at once; personal data gone within 30 days",
    tags=["privacy"],
    status=202,
    errors_=[401, 403, 503],
    auth=True,
    description="Accepted at once: every session is revoked, the account closed (no new sign-in) and its "
    "contact details freed; the rest of the data is removed in the background, tracked as the privacy "
    "request request_id (status in_progress, then completed; operators see its progress). A retry "
    "returns the same request. Bookings still active stay visible to their business for up to 30 days, "
    "then are anonymised. Only records the law requires are kept, in minimal form (docs/privacy.md).",
)
def delete_me(ctx: RequestContext) -> schemas.ErasureResponse:
    result = erasure.erase_account(ctx.principal.user_id, deps.clock().now(), _record_event)
    return schemas.ErasureResponse(
        request_id=result.request_id,
        status="completed" if result.status == "completed" else "in_progress",
        deactivated_at=_utc_text(result.deactivated_at),
        personal_data_removed_by=_utc_text(result.removal_deadline),
    )


# --- privacy requests (RIGHT-5, RIGHT-6) -------------------------------------------


def _request_out(view: RequestView) -> schemas.PrivacyRequestOut:
    return schemas.PrivacyRequestOut(
        request_id=view.request_id,
        kind=view.kind,
        status=view.status,
        received_at=_utc_text(view.received_at),
        due_at=_utc_text(view.due_at),
        completed_at=_utc_text(view.completed_at) if view.completed_at else None,
        progress=schemas.RequestProgressOut(
            phase=view.progress.phase,
            items_processed=view.progress.items_processed,
            updated_at=_utc_text(view.progress.updated_at or view.received_at),
        )
        if view.progress
        else None,
    )


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


@endpoint(
    blueprint,
    "/v1/me/privacy-requests",
    "POST",
    summary="Make a privacy request (tracked with its reply deadline)",
    tags=["privacy"],
    status=201,
    errors_=[401, 403, 503],
    auth=True,
    description="Objection and restriction take effect at once; other kinds are answered by an "
    "operator before due_at (10 business days, never more than one month).",
)
def post_privacy_request(ctx: RequestContext, body: schemas.PrivacyRequestCreate) -> schemas.PrivacyRequestOut:
    view = requests.handle_user_request(ctx.principal.user_id, body.kind, body.details, deps.clock().now())
    return _request_out(view)


@endpoint(
    blueprint,
    "/v1/me/privacy-requests",
    "GET",
    summary="My privacy requests and their deadlines",
    tags=["privacy"],
    errors_=[401],
    auth=True,
)
def list_my_privacy_requests(ctx: RequestContext) -> schemas.PrivacyRequestList:
    return schemas.PrivacyRequestList(
        items=[_request_out(v) for v in requests.mine(ctx.principal.user_id, deps.clock().now())]
    )


@endpoint(
    blueprint,
    "/v1/operator/privacy-requests",
    "GET",
    summary="Operators: privacy requests by status, earliest due first",
    tags=["privacy", "operator"],
    errors_=[400, 401, 403],
    auth=True,
)
def list_privacy_requests(
    ctx: RequestContext, query: schemas.OperatorPrivacyRequestQuery
) -> schemas.OperatorPrivacyRequestList:
    authz.require_operator(ctx.principal)
    now = deps.clock().now()
    scope = f"privacy-requests:{query.status}"
    after = pagination.decode(query.cursor, scope=scope)
    views, after = requests.operator_queue(ctx.principal.user_id, query.status, now, after)
    return schemas.OperatorPrivacyRequestList(
        items=[
            schemas.OperatorPrivacyRequestOut(
                **_request_out(v).model_dump(), user_id=v.user_id, overdue=requests.is_overdue(v, now)
            )
            for v in views
        ],
        next_cursor=pagination.encode(after, scope=scope),
    )


@endpoint(
    blueprint,
    "/v1/operator/privacy-requests/{request_id}",
    "PATCH",
    summary="Operators: complete or reject a privacy request",
    tags=["privacy", "operator"],
    errors_=[401, 403, 409],
    auth=True,
)
def patch_privacy_request(
    ctx: RequestContext, request_id: str, body: schemas.PrivacyRequestUpdate
) -> schemas.PrivacyRequestOut:
    authz.require_operator(ctx.principal)
    return _request_out(requests.close(ctx.principal.user_id, request_id, body.status, deps.clock().now()))
