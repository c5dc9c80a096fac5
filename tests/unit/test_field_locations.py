"""A service names the fields of an InvalidInput in domain terms; the route answers with
where the request carried them (body., query., header., path.)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from chalice.app import Chalice
from chalice.test import Client
from pydantic import Field

from chalicelib import errors
from chalicelib.api import routing
from chalicelib.api.routing import Contract, FieldLocations, RequestContext, endpoint
from chalicelib.schemas.common import RequestModel


class Body(RequestModel):
    start: str
    choices: list[str] = []


class Query(RequestModel):
    from_: date = Field(alias="from")
    to: date


def locations() -> FieldLocations:
    return FieldLocations.of(Contract(body=Body, query=Query, response=None), "/v1/venues/{venue_id}/things")


@pytest.mark.parametrize(
    ("domain", "located"),
    [
        ("start", "body.start"),
        ("choices.0", "body.choices.0"),  # a nested name keeps its path under the body field
        ("to", "query.to"),
        ("from_", "query.from"),  # the name the client sends: the alias
        ("from", "query.from"),
        ("idempotency_key", "header.Idempotency-Key"),
        ("venue_id", "path.venue_id"),
        ("body.start", "body.start"),  # already a location (pydantic, the API layer): as it is
        ("query.cursor", "query.cursor"),
        ("body", "body"),
        ("no_such_field", "no_such_field"),  # not part of this route's request: as it is
    ],
)
def test_a_domain_field_name_becomes_its_location_in_the_request(domain: str, located: str) -> None:
    assert locations().locate(domain) == located


def test_a_route_without_body_or_query_knows_only_path_and_headers() -> None:
    bare = FieldLocations.of(None, "/v1/bookings/{booking_id}")
    assert bare.locate("booking_id") == "path.booking_id"
    assert bare.locate("idempotency_key") == "header.Idempotency-Key"
    assert bare.locate("start") == "start"


@pytest.fixture
def app() -> Iterator[Chalice]:
    """A throwaway app whose routes are taken back out of ENDPOINTS (and so out of /openapi.json)."""
    before = list(routing.ENDPOINTS)
    yield Chalice("field-locations")
    routing.ENDPOINTS[:] = before


def test_a_service_error_naming_domain_fields_is_answered_with_their_http_locations(app: Chalice) -> None:
    # Given a route whose service refuses fields it names in its own terms
    @endpoint(app, "/v1/venues/{venue_id}/things", "POST", summary="probe", tags=["probe"])
    def probe(ctx: RequestContext, venue_id: str, body: Body, query: Query) -> None:
        raise errors.InvalidInput(
            [
                errors.FieldError("start", "needs a UTC offset"),
                errors.FieldError("choices.1", "not offered"),
                errors.FieldError("to", "must not be before 'from'"),
                errors.FieldError("idempotency_key", "already used"),
                errors.FieldError("venue_id", "closed"),
            ]
        )

    # When a valid request reaches it
    with Client(app) as client:
        response = client.http.post(
            "/v1/venues/v1/things?from=2026-11-22&to=2026-11-21",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"start": "2026-11-22T10:00", "choices": ["a", "b"]}),
        )
    # Then the problem names each field where the request carried it, in the detail too
    assert response.status_code == 422
    problem = json.loads(response.body)
    assert [e["field"] for e in problem["errors"]] == [
        "body.start",
        "body.choices.1",
        "query.to",
        "header.Idempotency-Key",
        "path.venue_id",
    ]
    assert problem["detail"].startswith("body.start: needs a UTC offset; body.choices.1: not offered; ")


def test_an_explicit_detail_is_kept(app: Chalice) -> None:
    @endpoint(app, "/v1/probe", "POST", summary="probe", tags=["probe"])
    def probe(ctx: RequestContext, body: Body) -> None:
        raise errors.InvalidInput([errors.FieldError("start", "taken")], detail="Pick another start")

    with Client(app) as client:
        response = client.http.post(
            "/v1/probe", headers={"Content-Type": "application/json"}, body=json.dumps({"start": "x"})
        )
    problem = json.loads(response.body)
    assert problem["detail"] == "Pick another start"
    assert problem["errors"] == [{"field": "body.start", "reason": "taken"}]
