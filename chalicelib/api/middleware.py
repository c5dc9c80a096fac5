"""What every HTTP response gets: a request id, size limit, problem+json, an access log line."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice.app import Chalice, Request, Response

from chalicelib.api import problems
from chalicelib.lazy import lazy_import
from chalicelib.observability import logger, request_context

if TYPE_CHECKING:
    from chalicelib import settings
else:  # loaded on first use: Settings is a pydantic model (cold start)
    settings = lazy_import("chalicelib.settings")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def request_id_for(request: Request) -> str:
    """API Gateway's id when deployed; a well-formed client X-Request-Id or a new one locally."""
    gateway_id = request.context.get("requestId")
    if gateway_id:
        return str(gateway_id)
    supplied = request.headers.get("x-request-id")
    if supplied and _CLIENT_REQUEST_ID.match(supplied):
        return str(supplied)
    return str(uuid.uuid4())


def _body_too_large(request: Request, limit: int) -> bool:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return True
    return len(request.raw_body or b"") > limit


def _as_problem(response: Response, request: Request, request_id: str) -> Response:
    """Make every error a problem+json that carries the request id and path."""
    if response.status_code < 400:
        return response
    headers: dict[str, str | list[str]] = {str(k): v for k, v in (response.headers or {}).items()}
    content_type = str(next((v for k, v in headers.items() if k.lower() == "content-type"), ""))
    if content_type.startswith(problems.PROBLEM_CONTENT_TYPE):
        body = json.loads(response.body)
    else:
        # Chalice's own errors ({"Code", "Message"}: 415, 500 ...); no internals are passed on.
        detail = None
        if response.status_code < 500 and isinstance(response.body, dict | str):
            raw = response.body if isinstance(response.body, dict) else _loads(response.body)
            detail = raw.get("Message") if isinstance(raw, dict) else None
        body = json.loads(problems.problem(response.status_code, detail).body)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = problems.PROBLEM_CONTENT_TYPE
    body["instance"] = request.path
    body["request_id"] = request_id
    return Response(body=json.dumps(body), status_code=response.status_code, headers=headers)


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def install(app: Chalice) -> None:
    @app.middleware("http")
    def common_http(request: Request, get_response: Callable[[Request], Response]) -> Response:
        limit = settings.get_settings().max_body_bytes
        request_id = request_id_for(request)
        request.context["requestId"] = request_id
        with request_context(request_id):
            return _respond(request, get_response, request_id, limit)


def _respond(request: Request, get_response: Callable[[Request], Response], request_id: str, limit: int) -> Response:
    started = time.perf_counter()
    if _body_too_large(request, limit):
        response = problems.problem(413, f"The body must be at most {limit} bytes")
    else:
        response = get_response(request)
    response = _as_problem(response, request, request_id)
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Request-Id"] = request_id
    logger.info(
        "request",
        extra={
            "method": request.method,
            "route": request.context.get("resourcePath"),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return response
