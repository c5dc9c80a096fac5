"""Operational routes: health, the OpenAPI document and its docs page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.api import openapi
from chalicelib.api.problems import problem
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import
from chalicelib.schemas.meta import HealthResponse

if TYPE_CHECKING:
    from chalicelib.services import health
else:  # loaded on first use: keeps the store and the SDK out of cold start
    health = lazy_import("chalicelib.services.health")

blueprint = Blueprint(__name__)


@endpoint(
    blueprint,
    "/v1/health",
    "GET",
    summary="Table and queues reachable",
    tags=["ops"],
    response=HealthResponse,
    errors_=[503],
)
def get_health(ctx: RequestContext) -> HealthResponse | Response:
    report = health.check()
    if not report.healthy:
        return problem(
            503,
            "Dependencies unreachable: "
            + ", ".join(name for name, state in report.checks.items() if state not in ("ok", "active")),
        )
    return HealthResponse(status="ok", checks=report.checks)


@endpoint(blueprint, "/openapi.json", "GET", summary="OpenAPI 3.1 document", tags=["ops"])
def get_openapi(ctx: RequestContext) -> Response:
    return Response(body=openapi.document_json(), status_code=200, headers={"Content-Type": "application/json"})


@endpoint(blueprint, "/docs", "GET", summary="Human-readable API reference", tags=["ops"], produces="text/html")
def get_docs(ctx: RequestContext) -> Response:
    return Response(body=openapi.docs_page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
