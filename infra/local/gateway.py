"""Local stand-in for the API Gateway responses that infra/ deploys.

Deployed, a request for an unknown path gets API Gateway's MISSING_AUTHENTICATION_TOKEN
response, which the merge template rewrites to a 404 problem+json. Chalice's local
gateway answers a bare 403 instead; this subclass answers as the deployed API does, for
both `make run` and the in-process test client.

A method no route can serve (TRACE, CONNECT, anything beyond the five the app routes plus
HEAD/OPTIONS) is a 405 problem+json with ``Allow``, as every unsupported method of a known
path is (chalicelib/api/routing.py install_method_not_allowed); the local HTTP server sends
those methods here too instead of http.server's 501 text/html (infra/local/api_server.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException

from chalicelib.api.routing import HTTP_METHODS, METHOD_NOT_ALLOWED_VIEWS


class RouteNotFound(LocalGatewayException):
    CODE = 404


def not_found_body(path: str, request_id: str) -> bytes:
    return json.dumps(
        {
            "type": "/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "No such resource",
            "instance": path.split("?", 1)[0],
            "request_id": request_id,
        }
    ).encode()


class MethodNotAllowed(LocalGatewayException):
    CODE = 405


# Methods Chalice's gateway handles itself (the app's routes, HEAD, CORS preflight).
GATEWAY_METHODS = frozenset({*HTTP_METHODS, "HEAD", "OPTIONS"})


def problem_body(status: int, title: str, detail: str, path: str, request_id: str, slug: str) -> bytes:
    return json.dumps(
        {
            "type": f"/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path.split("?", 1)[0],
            "request_id": request_id,
        }
    ).encode()


class ProblemGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        if method.upper() not in GATEWAY_METHODS:
            raise self._method_not_allowed(method.upper(), path)
        try:
            return super().handle_request(method, path, headers, body)
        except ForbiddenError:
            if self._route_exists(path):
                raise
            request_id = str(uuid.uuid4())
            raise RouteNotFound(
                {"Content-Type": "application/problem+json", "X-Request-Id": request_id},
                not_found_body(path, request_id),
            ) from None

    def _method_not_allowed(self, method: str, path: str) -> LocalGatewayException:
        request_id = str(uuid.uuid4())
        try:
            route = self.event_converter._route_matcher.match_route(path).route
        except ValueError:
            return RouteNotFound(
                {"Content-Type": "application/problem+json", "X-Request-Id": request_id},
                not_found_body(path, request_id),
            )
        views = self._app_object.routes[route]
        allowed = ", ".join(sorted(m for m, v in views.items() if v.view_name not in METHOD_NOT_ALLOWED_VIEWS))
        return MethodNotAllowed(
            {"Content-Type": "application/problem+json", "X-Request-Id": request_id, "Allow": allowed},
            problem_body(
                405,
                "Method not allowed",
                f"{method} is not supported here; use {allowed}",
                path,
                request_id,
                "method-not-allowed",
            ),
        )

    def _route_exists(self, path: str) -> bool:
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:
            return False
        return True
