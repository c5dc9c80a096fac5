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

# A raw body (a signed webhook) is verified before it is parsed: an unsigned one is a 401 (below).
BODY_ENDPOINTS = [spec for spec in ENDPOINTS if spec.body is not None and spec.raw_body is None]
RAW_BODY_ENDPOINTS = [spec for spec in ENDPOINTS if spec.raw_body is not None]


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


@pytest.mark.parametrize("spec", RAW_BODY_ENDPOINTS, ids=_id)
def test_an_unsigned_raw_body_is_refused_before_it_is_parsed_and_writes_nothing(api, spec):
    # Given a body that is not even JSON, without a signature
    before = count_items()
    response = api.request(
        spec.method, sample_path(spec.path), raw=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    # Then the signature check refuses it first (nothing unauthenticated is parsed), writing nothing
    assert response.status == 401, response.body
    assert response.headers["Content-Type"].startswith("application/problem+json")
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


# --- the body contract: required bodies, nesting, Content-Type without a body -------------


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_a_missing_body_is_refused_where_the_spec_requires_one(api, spec, headers_for):
    # Given what the spec says of the operation's body
    declared = api.spec["paths"][spec.path][spec.method.lower()]["requestBody"]["required"]
    assert declared is spec.body_required
    if not declared:
        pytest.skip(f"{_id(spec)}: the body is optional (a missing one reads as {{}})")
    headers = headers_for(spec)
    before = count_items()
    # When the request carries no body at all
    response = api.request(spec.method, sample_path(spec.path), raw=b"", headers=headers)
    # Then a 422 problem names the body, and nothing was written
    body = _problem(response, 422)
    assert body["errors"] == [{"field": "body", "reason": "a JSON body is required"}]
    assert count_items() == before


@pytest.mark.parametrize("spec", BODY_ENDPOINTS, ids=_id)
def test_deeply_nested_json_is_400_not_500(api, spec, headers_for):
    # Given a 40 KB body nested 20,000 levels deep (json.loads would raise RecursionError)
    headers = headers_for(spec, {"Content-Type": "application/json"})
    before = count_items()
    response = api.request(spec.method, sample_path(spec.path), raw=b"[" * 20000 + b"]" * 20000, headers=headers)
    # Then it is refused as malformed, naming the body and the limit
    body = _problem(response, 400)
    assert body["errors"][0]["field"] == "body" and "nested deeper than" in body["errors"][0]["reason"]
    assert count_items() == before


NO_BODY_ENDPOINTS = [spec for spec in ENDPOINTS if spec.body is None]


@pytest.mark.parametrize("spec", NO_BODY_ENDPOINTS, ids=_id)
def test_a_route_without_a_body_ignores_content_type(api, spec, headers_for):
    # Given a request that carries a Content-Type but no body (some clients always send one)
    headers = headers_for(spec, {"Content-Type": "text/plain"})
    # When it reaches a route that reads no body
    response = api.request(spec.method, sample_path(spec.path), headers=headers)
    # Then the Content-Type plays no part: no (undocumented) 415, and the answer is in the spec
    assert response.status != 415, response.body


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_methods_no_route_serves_are_405_problems(api, method):
    response = api.request(method, "/v1/health")
    _problem(response, 405)
    assert response.header("Allow") == "GET"


# --- every date the API accepts has a range -------------------------------------------------

OUT_OF_RANGE = {
    "date": ["0837-07-07", "9999-12-31", "0001-01-01"],
    "date-time": ["0837-07-07T05:44:10Z", "9999-12-31T23:45:00Z", "0001-01-01T00:00:00Z"],
}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return root["$defs"][ref.rsplit("/", 1)[1]] if ref else schema


def _date_fields(schema: dict[str, Any], root: dict[str, Any], prefix: str = "") -> list[tuple[str, str, Any]]:
    """(location, format, payload placing a marker at it) for each date field, nested included."""
    found: list[tuple[str, str, Any]] = []
    for name, prop in _resolve(schema, root).get("properties", {}).items():
        for option in [_resolve(o, root) for o in prop.get("anyOf", [prop])]:
            if option.get("format") in OUT_OF_RANGE:
                found.append((f"{prefix}{name}", option["format"], {name: "@"}))
            elif option.get("type") == "object" or "properties" in option:
                found += [(loc, fmt, {name: p}) for loc, fmt, p in _date_fields(option, root, f"{prefix}{name}.")]
            elif option.get("type") == "array" and "items" in option:
                item = _resolve(option["items"], root)
                if item.get("format") in OUT_OF_RANGE:
                    found.append((f"{prefix}{name}.0", item["format"], {name: ["@"]}))
                elif "properties" in item:
                    inner = _date_fields(item, root, f"{prefix}{name}.0.")
                    found += [(loc, fmt, {name: [p]}) for loc, fmt, p in inner]
    return found


def _place(payload: Any, value: str) -> Any:
    if payload == "@":
        return value
    if isinstance(payload, dict):
        return {k: _place(v, value) for k, v in payload.items()}
    return [_place(v, value) for v in payload]


def _signed(api: Any, spec: EndpointSpec, path: str, body: Any, headers: dict[str, str]) -> Any:
    """POST a raw body as the payment provider would: signed now with the configured secret."""
    import json
    import uuid

    from chalicelib import deps
    from chalicelib.security import webhooks

    raw = json.dumps(body, separators=(",", ":"))
    signed = webhooks.sign(f"msg_{uuid.uuid4().hex}", deps.clock().now(), raw)
    return api.request(
        spec.method, path, raw=raw.encode(), headers={**headers, **signed, "Content-Type": "application/json"}
    )


DATE_CASES = [
    pytest.param(spec, where, location, fmt, payload, value, id=f"{_id(spec)} {where}.{location}={value}")
    for spec in ENDPOINTS
    for where, model in (("body", spec.body), ("query", spec.query))
    if model is not None
    for location, fmt, payload in _date_fields(model.model_json_schema(), model.model_json_schema())
    for value in OUT_OF_RANGE[fmt]
]


def test_the_date_walk_finds_the_date_fields():
    found = {(c.values[0].path, c.values[2]) for c in DATE_CASES}
    assert ("/v1/businesses/{business_id}/discount-codes/{code}", "valid_until") in found
    assert ("/v1/venues/{venue_id}/availability", "from") in found
    assert ("/v1/businesses/{business_id}/venues/{venue_id}/specialists", "time_off.0.start") in found
    assert ("/v1/businesses/{business_id}/venues/{venue_id}/specialists", "exceptions.0.date") in found


@pytest.mark.parametrize(("spec", "where", "location", "fmt", "payload", "value"), DATE_CASES)
def test_every_date_refuses_the_far_past_and_far_future(api, spec, where, location, fmt, payload, value, headers_for):
    # Given a date field of an operation (body or query string) and a value outside its range
    headers = headers_for(spec)
    before = count_items()
    path = sample_path(spec.path)
    placed = _place(payload, value)
    # When it is sent
    if where == "body" and spec.raw_body is not None:  # a signed webhook: signed, so it is parsed
        response = _signed(api, spec, path, placed, headers)
    elif where == "body":
        response = api.request(spec.method, path, json_body=placed, headers=headers)
    else:
        query = "&".join(f"{k}={v}" for k, v in placed.items())
        response = api.request(spec.method, f"{path}?{query}", headers=headers)
    # Then a 422 problem names that field, and nothing was written
    body = _problem(response, 422)
    wire = {"from_": "from"}.get(location, location)
    assert any(e["field"] == f"{where}.{wire}" for e in body["errors"]), body["errors"]
    assert count_items() == before
