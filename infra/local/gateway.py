"""Local stand-in for the API Gateway responses that infra/ deploys.

Deployed, a request for an unknown path gets API Gateway's MISSING_AUTHENTICATION_TOKEN
response, which the merge template rewrites to a 404 problem+json. Chalice's local
gateway answers a bare 403 instead; this subclass answers as the deployed API does, for
both `make run` and the in-process test client.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException


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


class ProblemGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
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

    def _route_exists(self, path: str) -> bool:
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:
            return False
        return True
