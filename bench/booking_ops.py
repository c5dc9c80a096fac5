"""Booking operations: the full handler against the same operation's raw DynamoDB calls alone.

For each operation (create, read, reschedule, cancel, my list, business calendar) the app
handles a real API Gateway event in-process (``app(event, context)``: routing, middleware,
authentication, validation, service, store, audit, notifications). Every DynamoDB call it
makes is captured with its exact parameters. The same calls are then replayed with boto3
directly against a second table that mirrors the first (same items, same conditions, so
the same outcomes: each replayed call must end as the handler's did, or the run stops), and
timed. A transaction's ClientRequestToken is suffixed for the replay: DynamoDB would
otherwise refuse a reused token on another table and skip the writes. Both run in one
process, one after the other, per request.

ratio = handler time / raw DynamoDB time (target <= 1.25). The handler makes no other AWS
call: a change's notification is an outbox item inside its own transaction (replayed with
it), relayed later from the table stream; the run stops if a handler calls anything else.

DynamoDB is DynamoDB Local when Java and the npm package are installed (realistic network
round trips), else moto in-process (the ratio is then much harsher: calls cost microseconds).
Run: ``python -m bench.booking_ops``.
"""

from __future__ import annotations

import copy
import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from typing import Any
from zoneinfo import ZoneInfo

ITERATIONS = 30
TARGET_RATIO = 1.25
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

_capture = threading.local()


# (service, operation, params, outcome): outcome is "ok" or the error code the call ended with
Call = tuple[str, str, dict[str, Any], str]


@dataclass
class Captured:
    calls: list[Call] = field(default_factory=list)


@contextmanager
def capturing() -> Iterator[Captured]:
    captured = Captured()
    _capture.target = captured
    try:
        yield captured
    finally:
        _capture.target = None


def _install_capture() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recording(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        from botocore.exceptions import ClientError

        target: Captured | None = getattr(_capture, "target", None)
        if target is None:
            return original(self, operation_name, api_params)
        outcome = "ok"
        try:
            return original(self, operation_name, api_params)
        except ClientError as exc:
            outcome = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            raise
        finally:
            service = self.meta.service_model.service_name
            # A reference only: copying here would bill the copy to the handler's time.
            target.calls.append((service, operation_name, api_params, outcome))

    BaseClient._make_api_call = recording  # type: ignore[attr-defined]


def _renamed(value: Any, source: str, target: str) -> Any:
    """Point a captured request at the mirror table (TableName values and RequestItems keys)."""
    if isinstance(value, dict):
        return {
            (target if k == source else k): (
                target if k == "TableName" and v == source else _renamed(v, source, target)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_renamed(v, source, target) for v in value]
    return value


def _for_replay(params: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    replayed: dict[str, Any] = _renamed(copy.deepcopy(params), source, target)
    if "ClientRequestToken" in replayed:  # same work, its own idempotency token
        replayed["ClientRequestToken"] = replayed["ClientRequestToken"][:30] + "-raw"
    return replayed


def _replay(clients: dict[str, Any], calls: list[Call]) -> tuple[float, float]:
    """Issue the calls with plain boto3 clients; conditional failures are part of the work.
    Returns (wall seconds, this process's CPU seconds)."""
    from botocore.exceptions import ClientError

    outcomes = []
    started, cpu = time.perf_counter(), time.process_time()
    for service, operation, params, _ in calls:
        try:
            clients[service]._make_api_call(operation, params)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(str(exc.response.get("Error", {}).get("Code", "ClientError")))
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    expected = [call[3] for call in calls]
    if outcomes != expected:  # the replay did different work: its time would mean nothing
        raise AssertionError(f"replay diverged: {list(zip([c[1] for c in calls], expected, outcomes, strict=True))}")
    return elapsed


# --- set-up ---------------------------------------------------------------------------------------


def _start_dynamodb() -> tuple[str | None, Any]:
    """DynamoDB Local in memory when available (endpoint, process), else (None, None) for moto."""
    from infra.local import dynamodb

    try:
        port = dynamodb.free_port()
        process = dynamodb.start(port, data_dir=None)
    except dynamodb.ToolMissing as exc:
        print(f"  DynamoDB Local unavailable ({exc}); using moto")
        return None, None
    url = f"http://127.0.0.1:{port}"
    dynamodb.wait_ready(url, process)
    return url, process


@dataclass
class World:
    app: Any
    gateway: Any
    business_id: str
    venue_id: str
    service_id: str
    specialist_ids: list[str]
    zone: ZoneInfo
    customer_headers: dict[str, str]
    owner_headers: dict[str, str]

    def start(self, day: int, minutes: int) -> datetime:
        local = datetime.combine(date(2026, 11, 22) + timedelta(days=day), wall(10), self.zone)
        return (local + timedelta(minutes=minutes)).astimezone(UTC)


def _seed() -> World:
    from chalicelib.domain.catalog import Business, Service, Specialist, TimeRange, Venue, WorkingPlan
    from chalicelib.domain.identity import Role
    from chalicelib.services import accounts
    from chalicelib.services.sessions import ClientInfo
    from chalicelib.settings import get_settings
    from chalicelib.store import catalog, memberships

    def person(name: str, phone: str) -> str:
        issued = accounts.register(
            accounts.Registration(
                name=name,
                phone=phone,
                email=None,
                password=None,
                age_16_or_older=True,
                terms_version=get_settings().terms_version,
                locale="en",
            ),
            ClientInfo(ip=f"bench-{phone}", user_agent="bench"),
            NOW,
        )
        memberships_user[issued.access_token] = issued.user_id
        return issued.access_token

    memberships_user: dict[str, str] = {}
    owner_token = person("Bench Owner", "+4915100000001")
    customer_token = person("Bench Customer", "+4915100000002")
    business = catalog.create_business(Business(business_id=catalog.new_id(), name="Bench salon"), NOW)
    memberships.add_membership(business.business_id, memberships_user[owner_token], Role.OWNER)
    venue = catalog.create_venue(
        Venue(
            business_id=business.business_id,
            venue_id=catalog.new_id(),
            name="Bench salon",
            address="1 Main St",
            city="Berlin",
            timezone="Europe/Berlin",
            horizon_days=90,
        ),
        NOW,
    )
    hours: dict[int, tuple[TimeRange, ...]] = {d: (TimeRange(wall(9), wall(21)),) for d in range(7)}
    specialists = [
        catalog.create_specialist(
            Specialist(business.business_id, venue.venue_id, catalog.new_id(), f"S{n}", WorkingPlan(hours=hours))
        )
        for n in range(4)
    ]
    service = catalog.create_service(
        Service(
            business.business_id,
            venue.venue_id,
            catalog.new_id(),
            "Cut",
            45,
            3000,
            "EUR",
            buffer_before_minutes=5,
            buffer_after_minutes=10,
            specialist_ids=tuple(s.specialist_id for s in specialists),
        )
    )
    from chalice.config import Config

    from app import app
    from infra.local.gateway import ProblemGateway

    return World(
        app=app,
        gateway=ProblemGateway(app, Config.create(chalice_stage="local")),
        business_id=business.business_id,
        venue_id=venue.venue_id,
        service_id=service.service_id,
        specialist_ids=[s.specialist_id for s in specialists],
        zone=ZoneInfo("Europe/Berlin"),
        customer_headers={"Authorization": f"Bearer {customer_token}"},
        owner_headers={"Authorization": f"Bearer {owner_token}"},
    )


def _mirror_table(source: str, target: str) -> None:
    from chalicelib import resources
    from chalicelib.aws_clients import client

    dynamodb = client("dynamodb")
    dynamodb.create_table(**resources.create_table_kwargs(target))
    dynamodb.get_waiter("table_exists").wait(TableName=target)
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=source, ConsistentRead=True):
        items += page["Items"]
    for offset in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[offset : offset + 25]]
        dynamodb.batch_write_item(RequestItems={target: batch})


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Sample:
    handler: float
    raw_dynamodb: float
    calls: int
    handler_cpu: float
    raw_cpu: float


def _invoke(world: World, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    """What Lambda does: build the API Gateway event (untimed), then time app(event, context)."""
    import json

    raw = json.dumps(body).encode() if body is not None else b""
    sent = {"Content-Type": "application/json", "User-Agent": "bench", **headers}
    event = world.gateway._generate_lambda_event(method, path, sent, raw)
    context = world.gateway._generate_lambda_context()
    started, cpu = time.perf_counter(), time.process_time()
    response = world.app(event, context)
    return response, (time.perf_counter() - started, time.process_time() - cpu)


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ["BOOKING_STAGE"] = "local"  # dummy secrets are accepted only on local/test stages
    os.environ["BOOKING_TABLE_NAME"] = "bench-booking-main"
    from infra.local.api_server import SCRIPTED_CLIENT_LIMITS

    for name, value in SCRIPTED_CLIENT_LIMITS.items():  # a script is one client: limits for people do not fit
        os.environ.setdefault(name, value)
    endpoint, process = _start_dynamodb()
    if endpoint:
        os.environ["BOOKING_DYNAMODB_ENDPOINT"] = endpoint
    from moto import mock_aws

    try:
        with mock_aws():
            _run(endpoint)
    finally:
        if process is not None:
            from infra.local import dynamodb

            dynamodb.stop(process)


def _run(endpoint: str | None) -> None:
    import logging

    import boto3

    from chalicelib import deps
    from chalicelib.aws_clients import reset_clients
    from chalicelib.clock import FakeClock
    from chalicelib.observability import logger
    from chalicelib.settings import get_settings
    from chalicelib.store import table
    from infra.local import bootstrap

    # Production writes one access-log line per request: keep the formatting cost, drop the output.
    for log_handler in logging.getLogger(logger.name).handlers:
        if isinstance(log_handler, logging.StreamHandler):
            log_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    get_settings.cache_clear()
    reset_clients()
    table.bind(get_settings())
    bootstrap.create_resources()
    deps.set_clock(FakeClock(NOW))
    world = _seed()
    source = get_settings().resolved_table_name()
    mirror = source + "-raw"
    _install_capture()
    settings = get_settings()
    raw_clients = {
        "dynamodb": boto3.session.Session().client("dynamodb", region_name=settings.region, endpoint_url=endpoint),
    }

    def measure(method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> tuple[Any, Sample]:
        with capturing() as captured:
            response, (handler, handler_cpu) = _invoke(world, method, path, body, headers)
        dynamo_calls = [
            (s, o, _for_replay(p, source, mirror), outcome) for s, o, p, outcome in captured.calls if s == "dynamodb"
        ]
        other_calls = [f"{call[0]}.{call[1]}" for call in captured.calls if call[0] != "dynamodb"]
        if other_calls:  # the comparison would leave them out: make it fail loudly instead
            raise AssertionError(f"{method} {path} made calls besides DynamoDB: {other_calls}")
        raw_dynamodb, raw_cpu = _replay(raw_clients, dynamo_calls)
        return response, Sample(handler, raw_dynamodb, len(dynamo_calls), handler_cpu, raw_cpu)

    import json

    samples: dict[str, list[Sample]] = {}
    ids: list[str] = []

    def record(name: str, sample: Sample) -> None:
        samples.setdefault(name, []).append(sample)

    # Warm-up (imports, first-use caches) is not measured: a warm Lambda is what is compared.
    for index in range(3):
        _invoke(world, "GET", "/v1/me/bookings?scope=upcoming", None, world.customer_headers)
        _invoke(
            world,
            "POST",
            "/v1/bookings",
            {
                "venue_id": world.venue_id,
                "service_id": world.service_id,
                "start": world.start(80, 60 * index).isoformat(),
            },
            world.customer_headers,
        )

    _mirror_table(source, mirror)  # after the warm-up: both tables start the run in the same state
    for i in range(ITERATIONS):
        spec = world.specialist_ids[i % len(world.specialist_ids)]
        start = world.start(2 + i // 8, 90 * ((i // len(world.specialist_ids)) % 2))
        body = {
            "venue_id": world.venue_id,
            "service_id": world.service_id,
            "specialist_id": spec,
            "start": start.isoformat(),
        }
        response, sample = measure("POST", "/v1/bookings", body, {**world.customer_headers, "Idempotency-Key": f"b{i}"})
        assert response["statusCode"] == 201, response
        record("create", sample)
        booking_id = json.loads(response["body"])["id"]
        ids.append(booking_id)
        response, sample = measure("GET", f"/v1/bookings/{booking_id}", None, world.customer_headers)
        assert response["statusCode"] == 200, response
        record("read", sample)
        moved = {"start": (start + timedelta(hours=5)).isoformat()}
        response, sample = measure("POST", f"/v1/bookings/{booking_id}/reschedule", moved, world.customer_headers)
        assert response["statusCode"] == 200, response
        record("reschedule", sample)
        response, sample = measure("GET", "/v1/me/bookings?scope=upcoming&limit=20", None, world.customer_headers)
        assert response["statusCode"] == 200, response
        record("list mine", sample)
        day = (start.astimezone(world.zone)).date().isoformat()
        path = f"/v1/businesses/{world.business_id}/bookings?venue_id={world.venue_id}&day={day}"
        response, sample = measure("GET", path, None, world.owner_headers)
        assert response["statusCode"] == 200, response
        record("business day", sample)
        if i % 2 == 0:
            response, sample = measure("POST", f"/v1/bookings/{booking_id}/cancel", None, world.customer_headers)
            assert response["statusCode"] == 200, response
            record("cancel", sample)

    backend = f"DynamoDB Local at {endpoint}" if endpoint else "moto (in-process)"
    print(f"booking operations, {ITERATIONS} runs each; DynamoDB: {backend}")
    print(f"  {'operation':<14}{'calls':>6}{'handler ms':>12}{'raw ddb ms':>12}{'ratio':>8}{'app cpu ms':>12}")
    worst = 0.0
    for name, runs in samples.items():
        handler = statistics.median(s.handler for s in runs) * 1000
        raw = statistics.median(s.raw_dynamodb for s in runs) * 1000
        calls = statistics.median(s.calls for s in runs)
        # CPU this process spent beyond what the raw calls cost: the app's own work per request.
        app_cpu = statistics.median(s.handler_cpu - s.raw_cpu for s in runs) * 1000
        ratio = handler / raw if raw else float("inf")
        worst = max(worst, ratio)
        print(f"  {name:<14}{calls:>6.0f}{handler:>12.2f}{raw:>12.2f}{ratio:>8.2f}{app_cpu:>12.2f}")
    print(f"  worst median ratio (handler / raw DynamoDB): {worst:.2f}; target <= {TARGET_RATIO}")
    print(f"  verdict: {'within' if worst <= TARGET_RATIO else 'OVER'} target")
