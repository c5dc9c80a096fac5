"""OpenAPI 3.1 built from the endpoint registry and the pydantic schemas (no hand-written spec)."""

from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Any, Literal, cast

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.routing import ENDPOINTS, MAX_JSON_DEPTH, EndpointSpec, path_params
from chalicelib.schemas.common import EARLIEST_DATE, MAX_DAYS_AHEAD, Problem

REF = "#/components/schemas/{model}"
JsonMode = Literal["validation", "serialization"]


def _schemas(
    endpoints: list[EndpointSpec],
) -> tuple[dict[tuple[type[BaseModel], JsonMode], Any], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonMode], None] = {(Problem, "serialization"): None}
    for spec in endpoints:
        for model in (spec.body, spec.query):
            if model is not None:
                wanted[(model, "validation")] = None
        if spec.response is not None:
            wanted[(spec.response, "serialization")] = None
    refs, top = models_json_schema(list(wanted), ref_template=REF)
    return cast(dict[tuple[type[BaseModel], JsonMode], Any], refs), top.get("$defs", {})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


from chalicelib.domain.idempotency import IDEMPOTENCY_KEY_MAX_CHARS  # noqa: E402

# The optional header of a keyed POST: the bounds chalicelib/domain/idempotency.py check_key
# enforces (1-255 printable ASCII), without surrounding spaces, which HTTP strips from a value.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_CHARS,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    "description": "A unique string per intended request: a retry with the same key and body answers "
    "what the first one made (Idempotent-Replayed: true) and makes nothing new; the same key with "
    "another body is a 422 idempotency-key-reused.",
}


def _problem_response(refs: dict[Any, Any], status: int) -> dict[str, Any]:
    return {
        "description": f"Problem ({status})",
        "content": {"application/problem+json": {"schema": refs[(Problem, "serialization")]}},
    }


def build() -> dict[str, Any]:
    endpoints = list(ENDPOINTS)
    refs, components = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for spec in endpoints:
        operation: dict[str, Any] = {
            "operationId": spec.operation_id,
            "summary": spec.summary,
            "tags": list(spec.tags),
        }
        if spec.description:
            operation["description"] = spec.description
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path_params(spec.path)
        ]
        if spec.query is not None:
            parameters += _query_parameters(spec.query)
        if spec.idempotent:
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        if parameters:
            operation["parameters"] = parameters
        if spec.body is not None:
            operation["requestBody"] = {
                "required": spec.body_required,
                "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
            }
        success: dict[str, Any] = {"description": "Success"}
        if spec.response is not None:
            success["content"] = {spec.produces: {"schema": refs[(spec.response, "serialization")]}}
        elif spec.produces != "application/json":
            success["content"] = {spec.produces: {"schema": {"type": "string"}}}
        responses: dict[str, Any] = {str(spec.status): success}
        # The middleware's size limit, and a dependency that is down or throttling (a lost
        # answer, DependencyUnavailable), can answer any operation.
        statuses = set(spec.error_statuses) | {413, 503}
        for status in sorted(statuses):
            responses[str(status)] = _problem_response(refs, status)
        operation["responses"] = responses
        if spec.auth:
            operation["security"] = [{"bearer": []}, {"cookie": []}]
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Booking platform API",
            "version": "1.0.0",
            "description": "Multi-tenant booking for service businesses. Errors are RFC 9457 "
            "problem+json; lists use opaque cursors; creating, rescheduling and changing the status of "
            "a booking, and the travel POSTs that make an item, accept Idempotency-Key. "
            "Input rules for every operation: a request body the operation marks required must be "
            "sent (a missing one is a 422 naming `body`); JSON nested deeper than "
            f"{MAX_JSON_DEPTH} levels is a 400 malformed-json; text is trimmed of surrounding "
            "whitespace before its length limits are checked; every date and date-time accepted "
            f"lies from {EARLIEST_DATE.isoformat()} to at most {MAX_DAYS_AHEAD} days (about five "
            "years) after the request (`formatMinimum`, `x-max-days-ahead`), and booking starts "
            "and availability dates also within the venue's `horizon_days`; a route without a "
            "body ignores Content-Type. Rules no standard keyword can state are extensions: "
            "`x-server-issued` (send back only what the server handed out, e.g. a next_cursor), "
            "`x-refers-to` (the id of an existing object), `x-date-bounds` (min/max/after/before "
            "expressions of days, `today`, sibling fields and `<object>.<field>` of the objects "
            "the path names) and `x-phone-number` (the number exists in its country's plan); a "
            "request breaking one is a 422 naming the field.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "__Host-access"},
            },
        },
    }


@lru_cache(maxsize=1)
def document_json() -> str:
    return json.dumps(build(), separators=(",", ":"))


def docs_page() -> str:
    """A small self-contained HTML reference (no external scripts: it works offline)."""
    spec = build()
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            statuses = ", ".join(op["responses"])
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{statuses}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Booking API</title>"
        "<style>body{font:15px system-ui;margin:2em}td{padding:.2em .8em;border-bottom:1px solid #ddd}"
        "</style><h1>Booking platform API</h1><p>Machine-readable: <a href=/openapi.json>/openapi.json"
        "</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code>.</p>"
        "<table><tr><th>Method<th>Path<th>Summary<th>Responses</tr>" + "".join(rows) + "</table></html>"
    )
