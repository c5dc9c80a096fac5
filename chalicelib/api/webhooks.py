"""Business webhooks: the owner's endpoints for booking events (docs/webhooks.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import webhooks as schemas
    from chalicelib.services import webhooks
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    webhooks = lazy_import("chalicelib.services.webhooks")
    schemas = lazy_import("chalicelib.schemas.webhooks")

blueprint = Blueprint(__name__)
TAGS = ["business", "webhooks"]


def _fields(found: Any) -> dict[str, Any]:
    return {
        "id": found.endpoint_id,
        "url": found.url,
        "kinds": sorted(found.kinds),
        "status": found.status,
        "created_at": found.created_at,
        "last_status": found.last_status,
        "last_error": found.last_error,
        "last_attempt_at": found.last_attempt_at,
        "consecutive_failures": found.consecutive_failures,
        "failing_since": found.failing_since,
        "disabled_at": found.disabled_at,
    }


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/webhooks",
    "POST",
    summary="Register a webhook endpoint for booking events (owners; at most 10; the secret is shown once)",
    tags=TAGS,
    status=201,
    errors_=[403, 404, 409],
    auth=True,
)
def create_webhook(ctx: RequestContext, business_id: str, body: schemas.WebhookCreate) -> schemas.WebhookCreated:
    registered = webhooks.register(ctx.principal, business_id, body.url, body.kinds, deps.clock().now())
    ctx.response_headers["Location"] = f"/v1/businesses/{business_id}/webhooks/{registered.endpoint.endpoint_id}"
    return schemas.WebhookCreated(**_fields(registered.endpoint), secret=registered.secret)


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/webhooks",
    "GET",
    summary="The business's webhook endpoints with their delivery log (owners)",
    tags=TAGS,
    errors_=[403, 404],
    auth=True,
)
def list_webhooks(ctx: RequestContext, business_id: str) -> schemas.WebhookList:
    found = webhooks.list_endpoints(ctx.principal, business_id)
    return schemas.WebhookList(items=[schemas.WebhookOut(**_fields(e)) for e in found])


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/webhooks/{webhook_id}",
    "DELETE",
    summary="Delete a webhook endpoint (owners); queued deliveries to it are dropped",
    tags=TAGS,
    status=204,
    errors_=[403, 404, 409],
    auth=True,
)
def delete_webhook(ctx: RequestContext, business_id: str, webhook_id: str) -> None:
    webhooks.delete(ctx.principal, business_id, webhook_id, deps.clock().now())
