"""Tenant isolation (SEC-5, SHARE-1): every business route, walked with another business's
staff token and this business's ids, answers 404 or 403 and changes nothing.

The routes are enumerated from the endpoint registry, so routes added later (bookings,
discount codes, audit ...) are covered without editing this test. Path, query and body
values are synthesised from the request models; a route whose input cannot be synthesised
fails here with a request to add a sample, rather than being skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

import app  # noqa: F401 - registers every route in ENDPOINTS
from chalicelib.api.routing import ENDPOINTS, EndpointSpec
from tests.support.fixtures_bookings import make_salon

PREFIX = "/v1/businesses/{business_id}"
BUSINESS_ROUTES = [spec for spec in ENDPOINTS if spec.path.startswith(PREFIX)]
UNKNOWN_ID = "0" * 26

# Bodies that the schema alone cannot describe (cross-field rules); everything else is synthesised.
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "StaffInvite": {"phone": "+4915100000999", "role": "specialist"},
    "VenueCreate": {"name": "Copy", "address": "Somewhere 1", "city": "Berlin", "timezone": "Europe/Berlin"},
    "ServiceCreate": {"name": "Copy", "duration_minutes": 30, "price_minor": 100, "currency": "EUR"},
    "QuoteCreate": {"lines": [{"description": "Tour", "quantity": 1, "unit_price": "100.00"}]},
    "RatesPut": {
        "base_currency": "EUR",
        "expected_version": 1,
        "effective_at": "2026-11-22T08:00:00+00:00",
        "rates": {"USD": "1.2"},
    },
    "WebhookCreate": {"url": "https://hooks.example.com/booking"},
}


def _future(days: int = 2) -> str:
    return (datetime(2026, 11, 22, 9, 0, tzinfo=UTC) + timedelta(days=days)).isoformat()


def _value(name: str, prop: dict[str, Any], ids: dict[str, str]) -> Any:
    if name in ids:
        return ids[name]
    for option in prop.get("anyOf", []):
        if option.get("type") != "null":
            return _value(name, option, ids)
    if "enum" in prop:
        return prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if fmt == "date-time":
        return _future(3 if "until" in name or "end" in name else 1)
    if fmt == "date":
        return _future()[:10]
    if kind == "integer":
        return max(1, int(prop.get("minimum", 1)), int(prop.get("exclusiveMinimum", 0)) + 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if re.fullmatch(r"\^\[A-Z\]\{3\}\$", prop.get("pattern", "")):
        return "EUR"
    return "Sample1"


def _required(model: Any, ids: dict[str, str]) -> dict[str, Any]:
    if model.__name__ in SAMPLE_BODIES:
        return dict(SAMPLE_BODIES[model.__name__])
    schema = model.model_json_schema()
    properties = schema.get("properties", {})
    return {name: _value(name, properties[name], ids) for name in schema.get("required", [])}


def _request(spec: EndpointSpec, business_id: str, ids: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
    values = {"business_id": business_id, **ids}
    path = re.sub(r"{(\w+)}", lambda m: values.get(m[1], UNKNOWN_ID), spec.path)
    if spec.query is not None:
        params = {k: str(v) for k, v in _required(spec.query, ids).items()}
        if params:
            path += "?" + urlencode(params)
    body = _required(spec.body, ids) if spec.body is not None else None
    return path, body


@pytest.fixture
def two_tenants(aws, clock, signup, api):
    victim = make_salon(signup(name="Victim Owner"), clock.now())
    intruder = make_salon(signup(name="Intruder Owner"), clock.now())
    customer = signup(name="Customer")
    booked = api.post(
        "/v1/bookings", victim.body(victim.at(1, "10:00"), victim.specialist_ids[0]), headers=customer.headers
    )
    assert booked.status == 201, booked.body
    ids = {
        "venue_id": victim.venue_id,
        "service_id": victim.service.service_id,
        "specialist_id": victim.specialist_ids[0],
        "user_id": victim.owner.user_id,
        "booking_id": booked.json["id"],
    }
    # The victim's other objects a business route names: a walk-in's customer record, and a
    # travel request with a registered document (the business takes travel requests once it
    # publishes rates).
    import requests

    owner = victim.owner.headers
    walk_in = api.post(
        f"/v1/businesses/{victim.business_id}/bookings",
        {
            "venue_id": victim.venue_id,
            "service_id": victim.service.service_id,
            "specialist_id": victim.specialist_ids[1],
            "start": victim.at(1, "10:00").isoformat(),
            "customer": {"name": "Walk-in Wanda"},
        },
        headers=owner,
    )
    assert walk_in.status == 201, walk_in.body
    rates = {"base_currency": "EUR", "expected_version": 0, "effective_at": clock.now().isoformat(), "rates": {}}
    rates["rates"] = {"USD": "1.1"}
    assert api.put(f"/v1/businesses/{victim.business_id}/exchange-rates", rates, headers=owner).status == 200
    trip = {"business_id": victim.business_id, "service_type": "tour", "destination": "Yerevan", "travellers": 2}
    trip |= {
        "start_date": str(clock.now().date() + timedelta(days=9)),
        "end_date": str(clock.now().date() + timedelta(days=12)),
    }
    filed = api.post("/v1/travel-requests", trip, headers=customer.headers)
    assert filed.status == 201, filed.body
    travel = f"/v1/travel-requests/{filed.json['id']}"
    form = api.post(f"{travel}/documents", {"content_type": "application/pdf"}, headers=customer.headers)
    requests.post(form.json["url"], data=form.json["fields"], files={"file": ("a.pdf", b"%PDF-1.7")}, timeout=10)
    document = {"kind": "ticket", "filename": "a.pdf", "content_type": "application/pdf"}
    assert api.put(f"{travel}/documents/{form.json['document_id']}", document, headers=customer.headers).status == 200
    ids |= {
        "customer_id": walk_in.json["business_customer_id"],
        "request_id": filed.json["id"],
        "document_id": form.json["document_id"],
    }
    return victim, intruder, customer, ids


def _partition(business_id: str) -> list[dict[str, Any]]:
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=get_settings().resolved_table_name(),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"BIZ#{business_id}"}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def test_every_business_route_refuses_another_tenants_staff(api, two_tenants):
    # proves: SEC-5
    # proves: SHARE-1
    victim, intruder, _, ids = two_tenants
    assert len(BUSINESS_ROUTES) >= 20, "the business routes should all be registered"
    before = _partition(victim.business_id)
    answers = {}
    for spec in BUSINESS_ROUTES:
        # Given the victim's ids; When the intruder's owner calls the route with them
        path, body = _request(spec, victim.business_id, ids)
        response = api.request(spec.method, path, json_body=body, headers=intruder.owner.headers)
        answers[f"{spec.method} {spec.path}"] = response.status
        assert response.status != 422, f"{spec.method} {spec.path}: add a sample body/query ({response.body!r})"
    # Then every route answers 404 (the business's existence is not even revealed) or 403
    assert {route: status for route, status in answers.items() if status not in (403, 404)} == {}

    # Given the intruder's OWN business id with the victim's venue/service/booking ids
    smuggled = 0
    for spec in BUSINESS_ROUTES:
        if len(re.findall(r"{\w+}", spec.path)) < 2:
            continue  # no foreign id to smuggle in: the route is about the caller's own business
        path, body = _request(spec, intruder.business_id, ids)
        response = api.request(spec.method, path, json_body=body, headers=intruder.owner.headers)
        # Then nothing of the victim is reachable through the intruder's tenant either
        assert response.status == 404, f"{spec.method} {path}: {response.status} {response.body!r}"
        smuggled += 1
    assert smuggled >= 10
    # And nothing of the victim changed
    assert _partition(victim.business_id) == before


def test_customers_get_403_and_the_owner_gets_200_on_the_same_requests(api, two_tenants):
    # proves: SEC-5
    victim, _, customer, ids = two_tenants
    for spec in BUSINESS_ROUTES:
        path, body = _request(spec, victim.business_id, ids)
        # When a customer (no staff role anywhere) sends the request: 403; a travel document
        # answers 404 to everyone not entitled to it, its existence unconfirmed (TRV-2)
        response = api.request(spec.method, path, json_body=body, headers=customer.headers)
        refused = 404 if "/documents" in spec.path else 403
        assert response.status == refused, f"{spec.method} {spec.path}: {response.status}"
        if spec.method == "GET":
            # And the victim's own owner reads the same path successfully, so the refusals above
            # come from isolation, not from ids or queries that could never work
            own = api.get(path, headers=victim.owner.headers)
            assert own.status == 200, f"GET {path}: {own.status} {own.body!r}"
