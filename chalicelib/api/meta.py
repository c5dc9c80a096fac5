"""Operational routes: health, the OpenAPI document and its docs page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import errors
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.api import openapi
    from chalicelib.schemas import meta as schemas
    from chalicelib.services import health
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    health = lazy_import("chalicelib.services.health")
    openapi = lazy_import("chalicelib.api.openapi")
    schemas = lazy_import("chalicelib.schemas.meta")

blueprint = Blueprint(__name__)


@endpoint(
    blueprint,
    "/v1/health",
    "GET",
    summary="Table and queues reachable",
    tags=["ops"],
    errors_=[503],
)
def get_health(ctx: RequestContext) -> schemas.HealthResponse:
    report = health.check()
    if not report.healthy:
        unreachable = [name for name, state in report.checks.items() if state not in ("ok", "active")]
        raise errors.DependencyUnavailable("Dependencies unreachable: " + ", ".join(unreachable))
    return schemas.HealthResponse(status="ok", checks=report.checks)


@endpoint(blueprint, "/openapi.json", "GET", summary="OpenAPI 3.1 document", tags=["ops"])
def get_openapi(ctx: RequestContext) -> Response:
    return Response(body=openapi.document_json(), status_code=200, headers={"Content-Type": "application/json"})


@endpoint(blueprint, "/docs", "GET", summary="Human-readable API reference", tags=["ops"], produces="text/html")
def get_docs(ctx: RequestContext) -> Response:
    return Response(body=openapi.docs_page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
