"""Common ground of every route: problem+json errors that name the field, and change nothing.

The input checks are generated for every endpoint that takes a JSON body, so each route
added later is covered without a new test.
"""

from __future__ import annotations

from typing import Any

import pytest

import app  # noqa: F401 - importing the app registers every endpoint listed below
from chalicelib.api.routing import ENDPOINTS, EndpointSpec
from chalicelib.settings import get_settings
from tests.support.data import count_items, sample_path

BODY_ENDPOINTS = [spec for spec in ENDPOINTS if spec.body is not None]


def _id(spec: EndpointSpec) -> str:
    return f"{spec.method} {spec.path}"


def _wrong_type_payload(spec: EndpointSpec) -> tuple[dict[str, Any], str]:
    assert spec.body is not None
    schema = spec.body.model_json_schema()
    for name, prop in schema.get("properties", {}).items():
        # Optional fields are {"anyOf": [{"type": T}, {"type": "null"}]}: take T.
        kinds = [option.get("type") for option in prop.get("anyOf", [prop])]
        kind = next((k for k in kinds if k and k != "null"), None)
        if kind == "string":
            # Not an int: lax mode reads an int as a datetime (Unix time). No string-ish field takes a list.
            return {name: ["not", "a", "string"]}, name
        if kind in ("integer", "number", "boolean", "array", "object"):
            return {name: "not-the-right-type" if kind != "string" else 1}, name
    pytest.skip(f"{_id(spec)} has no typed top-level field")


@pytest.fixture
def headers_for(signup: Any) -> Any:
    """Headers that get a request past authentication (input is checked before any role)."""

    def build(spec: EndpointSpec, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**(signup().headers if spec.auth else {}), **(extra or {})}

    return build


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status and body["type"].startswith("/problems/") and body["title"]
    assert body["request_id"] == response.header("X-Request-Id")
    assert "Traceback" not in response.body.decode()
    return body


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_malformed_json_is_400_and_writes_nothing(api, spec, headers_for):
    # Given a table in a known state (and a signed-in caller where the route needs one)
    headers = headers_for(spec, {"Content-Type": "application/json"})
    before = count_items()
    # When the body is not JSON at all
    response = api.request(spec.method, sample_path(spec.path), raw=b'{"name": ', headers=headers)
    # Then a 400 problem says the body is malformed, and nothing was written
    body = _problem(response, 400)
    assert body["errors"][0]["field"] == "body"
    assert count_items() == before


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_wrong_type_is_422_naming_the_field(api, spec, headers_for):
    payload, field = _wrong_type_payload(spec)
    headers = headers_for(spec)
    before = count_items()
    response = api.request(spec.method, sample_path(spec.path), json_body=payload, headers=headers)
    body = _problem(response, 422)
    assert any(error["field"] == f"body.{field}" and error["reason"] for error in body["errors"])
    assert count_items() == before


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_unknown_field_is_422_naming_it(api, spec, headers_for):
    headers = headers_for(spec)
    before = count_items()
    response = api.request(spec.method, sample_path(spec.path), json_body={"surely_not_a_field": 1}, headers=headers)
    body = _problem(response, 422)
    assert any(error["field"] == "body.surely_not_a_field" for error in body["errors"])
    assert count_items() == before


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_oversized_body_is_413(api, spec, headers_for):
    limit = get_settings().max_body_bytes
    headers = headers_for(spec, {"Content-Type": "application/json"})
    before = count_items()
    oversized = b'{"x": "' + b"a" * limit + b'"}'
    response = api.request(spec.method, sample_path(spec.path), raw=oversized, headers=headers)
    _problem(response, 413)
    assert count_items() == before


def test_body_endpoints_exist():
    # The generated checks above are only meaningful if the app has routes with bodies.
    assert BODY_ENDPOINTS, "no endpoint takes a JSON body yet"


def test_non_json_content_type_is_415_problem(api):
    spec = BODY_ENDPOINTS[0]
    response = api.request(spec.method, sample_path(spec.path), raw=b"name=x", headers={"Content-Type": "text/plain"})
    _problem(response, 415)


def test_unknown_route_is_404_problem(api):
    response = api.get("/v1/no-such-thing")
    body = _problem(response, 404)
    assert body["instance"] == "/v1/no-such-thing"


def test_unknown_method_is_405_with_allow(api):
    response = api.request("DELETE", "/v1/health")
    _problem(response, 405)
    assert response.header("Allow") == "GET"


def test_every_response_carries_a_request_id_and_safe_headers(api):
    response = api.get("/v1/health")
    assert len(response.header("X-Request-Id") or "") >= 8
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Cache-Control") == "no-store"


def test_a_well_formed_client_request_id_is_echoed(api):
    response = api.get("/v1/health", headers={"X-Request-Id": "client-req-12345"})
    assert response.header("X-Request-Id") == "client-req-12345"


def test_an_unhandled_error_is_a_500_problem_without_internals(api, monkeypatch):
    from chalicelib.services import health

    def boom() -> None:
        raise RuntimeError("secret internal detail at /var/task/chalicelib")

    monkeypatch.setattr(health, "check", boom)
    response = api.get("/v1/health")
    body = _problem(response, 500)
    assert "secret internal detail" not in response.body.decode()
    assert body["detail"].endswith("quote the request id.")
