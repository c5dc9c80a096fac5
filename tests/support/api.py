"""An HTTP client for the in-process app that checks every response against /openapi.json.

Each response must use a status the operation declares, and its JSON body must validate
against the declared schema: the spec cannot drift from what the routes really send.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from chalice.local import RouteMatcher
from chalice.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from chalicelib.api import openapi
from infra.local.gateway import ProblemGateway


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return lowered.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip()


class ContractViolation(AssertionError):
    pass


class ApiClient:
    def __init__(self, app: Any) -> None:
        self._client = Client(app, stage_name="local")
        http = self._client.http
        http._local_gateway = ProblemGateway(app, http._config)
        # Chalice's test client replaces os.environ with a dict copy around each request; with
        # concurrent requests the swaps interleave and leave a stale copy behind, leaking one
        # test's settings into the next. The app reads settings once, so nothing is lost here.
        http._patched_env_vars = lambda _variables: contextlib.nullcontext()
        self._http = http
        self.spec = openapi.build()
        self._matcher = RouteMatcher(list(self.spec["paths"]))
        from referencing.jsonschema import DRAFT202012

        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self._registry = Registry().with_resource("urn:openapi", resource)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        check_contract: bool = True,
    ) -> ApiResponse:
        sent_headers = dict(headers or {})
        body = raw if raw is not None else b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        sent_headers.setdefault("User-Agent", "pytest")
        result = self._http.request(method, path, headers=sent_headers, body=body)
        response = ApiResponse(result.status_code, dict(result.headers), result.body or b"")
        if check_contract:
            self.check(method, path, response)
        return response

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, json_body=json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)

    def check(self, method: str, path: str, response: ApiResponse) -> None:
        if response.status >= 400 and response.content_type != "application/problem+json":
            raise ContractViolation(f"{method} {path}: error {response.status} is not problem+json")
        try:
            route = self._matcher.match_route(path.split("?", 1)[0]).route
        except ValueError:
            return  # no such path: the gateway's 404, checked above
        operation = self.spec["paths"][route].get(method.lower())
        if operation is None:
            return  # the 405 answer for an unsupported method, checked above
        declared = operation["responses"].get(str(response.status))
        if declared is None:
            raise ContractViolation(
                f"{method} {route} answered {response.status}; the spec declares {list(operation['responses'])}"
            )
        content = declared.get("content", {})
        if response.status == 204 or not content:
            return
        media = content.get(response.content_type)
        if media is None:
            raise ContractViolation(f"{method} {route} {response.status}: undeclared type {response.content_type}")
        if "json" in response.content_type:
            schema = _rebase(media["schema"])
            Draft202012Validator(schema, registry=self._registry).validate(response.json)


def _rebase(schema: Any) -> Any:
    """Point the spec's local $refs at the registered document."""
    if isinstance(schema, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and v.startswith("#") else _rebase(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema
