"""Booking fixtures: a ready salon, the no-Scan-in-request-path guard, concurrency helpers and
the invariant checker (a test may Scan; request paths may not).

- ``_no_scan_in_request_path`` (autouse for every test that uses ``api``): any Scan issued
  while the api client is handling a request raises, and the test fails at teardown even if
  the route turned the exception into a 500.
- ``salon``: a business in Europe/Berlin with one venue, two services and three specialists
  who work 09:00-18:00 every day, plus an owner; ``salon.at(days, "10:00")`` is a local
  wall-clock time as a UTC instant.
- ``concurrent_api``: lets the in-process app serve requests from many threads, as many
  Lambda instances would (see the fixture's docstring).
- ``assert_booking_invariants()``: reads the whole table and checks no two live bookings of
  one specialist overlap and that the day locks hold exactly the live bookings' intervals.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

_request_state = threading.local()


class ScanInRequestPath(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_scan_in_request_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test using ``api``: a Scan issued while a request is handled fails the test."""
    if "api" not in request.fixturenames:
        yield
        return
    from tests.support.api import ApiClient

    violations: list[str] = []
    request.node.scan_violations = violations  # a test of the guard itself reads and clears it
    install_scan_guard(monkeypatch, violations)
    original_request = ApiClient.request

    def tracked(self: Any, method: str, path: str, **kwargs: Any) -> Any:
        _request_state.active = f"{method} {path}"
        try:
            return original_request(self, method, path, **kwargs)
        finally:
            _request_state.active = None

    monkeypatch.setattr(ApiClient, "request", tracked)
    yield
    assert not violations, f"Scan issued from a request path: {violations}"


def install_scan_guard(monkeypatch: pytest.MonkeyPatch, violations: list[str]) -> None:
    """Patch every botocore client (boto3's and PynamoDB's) to refuse Scan inside a request."""
    from botocore.client import BaseClient

    original_call = BaseClient._make_api_call

    def guarded(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        active = getattr(_request_state, "active", None)
        if operation_name == "Scan" and active:
            violations.append(f"{active}: Scan {api_params.get('TableName')}")
            raise ScanInRequestPath(f"Scan issued while handling {active}")
        return original_call(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", guarded)


class in_request_path:
    """Mark the current thread as handling a request (for testing the guard itself)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        _request_state.active = self.label

    def __exit__(self, *_: object) -> None:
        _request_state.active = None


# --- a salon ------------------------------------------------------------------------------------

BERLIN = "Europe/Berlin"


@dataclass
class Salon:
    business_id: str
    venue: Any
    service: Any  # 60 min, buffers 10 before / 5 after, 40.00 EUR
    short_service: Any  # 30 min, no buffers
    specialists: list[Any]
    owner: Any  # SignedUp
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def venue_id(self) -> str:
        return str(self.venue.venue_id)

    @property
    def specialist_ids(self) -> list[str]:
        return [s.specialist_id for s in self.specialists]

    def at(self, days: int, wall: str) -> datetime:
        """Local wall-clock ``HH:MM`` ``days`` after the fake clock's local date, as UTC."""
        hour, minute = (int(part) for part in wall.split(":"))
        zone = ZoneInfo(self.venue.timezone)
        local = datetime.combine(self.today + timedelta(days=days), time(hour, minute), zone)
        return local.astimezone(UTC)

    def body(self, start: datetime, specialist: str | None = None, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "venue_id": self.venue_id,
            "service_id": extra.pop("service_id", self.service.service_id),
            "start": start.isoformat(),
        }
        if specialist is not None:
            payload["specialist_id"] = specialist
        payload.update(extra)
        return payload


def make_salon(
    owner: Any,
    now: datetime,
    specialists: int = 3,
    timezone: str = BERLIN,
    hours: tuple[time, time] = (time(9), time(18)),
    **venue_overrides: Any,
) -> Salon:
    from chalicelib.domain.catalog import Business, Service, Specialist, TimeRange, Venue, WorkingPlan
    from chalicelib.domain.identity import Role
    from chalicelib.store import catalog, memberships

    business = catalog.create_business(Business(business_id=catalog.new_id(), name="Salon Nord"), now)
    memberships.add_membership(business.business_id, owner.user_id, Role.OWNER)
    venue = catalog.create_venue(
        Venue(
            business_id=business.business_id,
            venue_id=catalog.new_id(),
            name="Salon Nord, Mitte",
            address="Torstraße 1, 10119 Berlin",
            city="Berlin",
            timezone=timezone,
            categories=("hair",),
            **{"slot_interval_minutes": 15, "min_notice_minutes": 60, "horizon_days": 60} | venue_overrides,
        ),
        now,
    )
    plan = {day: (TimeRange(*hours),) for day in range(7)}
    team = [
        catalog.create_specialist(
            Specialist(
                business_id=business.business_id,
                venue_id=venue.venue_id,
                specialist_id=catalog.new_id(),
                name=f"Specialist {index}",
                plan=WorkingPlan(hours=plan),
            )
        )
        for index in range(specialists)
    ]
    ids = tuple(s.specialist_id for s in team)
    service = catalog.create_service(
        Service(
            business_id=business.business_id,
            venue_id=venue.venue_id,
            service_id=catalog.new_id(),
            name="Cut, wash; style",
            duration_minutes=60,
            price_minor=4000,
            currency="EUR",
            buffer_before_minutes=10,
            buffer_after_minutes=5,
            specialist_ids=ids,
        )
    )
    short = catalog.create_service(
        Service(
            business_id=business.business_id,
            venue_id=venue.venue_id,
            service_id=catalog.new_id(),
            name="Fringe trim",
            duration_minutes=30,
            price_minor=1500,
            currency="EUR",
            specialist_ids=ids,
        )
    )
    today = now.astimezone(ZoneInfo(timezone)).date()
    return Salon(business.business_id, venue, service, short, team, owner, today)


@pytest.fixture
def salon(aws: str, clock: Any, signup: Callable[..., Any]) -> Salon:
    owner = signup(name="Salon Owner")
    return make_salon(owner, clock.now())


@pytest.fixture
def customer(signup: Callable[..., Any]) -> Any:
    return signup(name="Booking Customer")


# --- concurrency ----------------------------------------------------------------------------------


@pytest.fixture
def concurrent_api(api: Any, aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The api client, made safe to call from many threads at once.

    Two test-harness limits, not product behaviour, are lifted here:
    - Chalice keeps ``app.current_request`` in one attribute (a Lambda instance serves one
      request at a time); here each thread gets its own, as each Lambda instance would.
    - moto runs a request in the caller's thread without isolation (a TransactWriteItems
      even snapshots and restores whole tables), whereas DynamoDB applies each request
      atomically. On moto, requests are therefore applied one at a time; the order among
      threads stays arbitrary. DynamoDB Local needs no such help.
    """
    from chalice.app import Chalice

    from app import app

    local = threading.local()

    class PerThreadRequest(Chalice):
        @property  # type: ignore[override]
        def current_request(self) -> Any:
            return getattr(local, "request", None)

        @current_request.setter
        def current_request(self, value: Any) -> None:
            local.request = value

    original_class = app.__class__
    app.__class__ = PerThreadRequest
    # chalice.test swaps the os.environ OBJECT per request and swaps it back: from several
    # threads the swaps interleave and leave a stale plain-dict os.environ behind (leaking
    # this test's settings into later tests). Settings are read once per process anyway, so
    # per-request environment patching is switched off while threads are in play.
    from chalice import test as chalice_test

    monkeypatch.setattr(chalice_test.BaseClient, "_patched_env_vars", _no_env_patch)
    if aws == "moto":
        from moto.dynamodb.responses import DynamoHandler

        atomic = threading.RLock()
        original_call = DynamoHandler.call_action

        def serialized(self: Any) -> Any:
            with atomic:
                return original_call(self)

        monkeypatch.setattr(DynamoHandler, "call_action", serialized)
    try:
        yield api
    finally:
        app.__class__ = original_class


@contextlib.contextmanager
def _no_env_patch(self: Any, environment_variables: Any) -> Iterator[None]:
    yield


def run_concurrently(calls: list[Callable[[], Any]], workers: int | None = None) -> list[Any]:
    """Run every call on its own thread, all released together; results in call order."""
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(calls) if workers is None else min(workers, len(calls)))

    def gated(call: Callable[[], Any]) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=workers or len(calls)) as pool:
        return list(pool.map(gated, calls))


# --- the invariant, checked over the whole table ----------------------------------------------------


def table_items(entities: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every item of the table (Scan), or only those whose ``entity`` is one of ``entities``
    (filtered at the service: moto's answer serialisation dominates a big table's Scan)."""
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    kwargs: dict[str, Any] = {"TableName": get_settings().resolved_table_name(), "ConsistentRead": True}
    if entities:
        names = {f":e{i}": {"S": name} for i, name in enumerate(sorted(entities))}
        kwargs.update(
            FilterExpression=f"#entity IN ({', '.join(names)})",
            ExpressionAttributeNames={"#entity": "entity"},
            ExpressionAttributeValues=names,
        )
    items: list[dict[str, Any]] = []
    for page in client("dynamodb").get_paginator("scan").paginate(**kwargs):
        items += page["Items"]
    return items


# What assert_booking_invariants reads.
INVARIANT_ENTITIES = ("BookingRecord", "SpecialistDayLock")


def assert_booking_invariants(items: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """No two live bookings of one specialist overlap (buffers included), and each lock holds
    exactly the intervals of the live bookings that touch its day. Returns counts by status.
    ``items``: a read of the table that includes INVARIANT_ENTITIES (else it reads them)."""
    from chalicelib.domain.bookings import lock_days, overlaps
    from chalicelib.store import codec
    from chalicelib.store.bookings import booking_from_item

    if items is None:
        items = table_items(INVARIANT_ENTITIES)
    bookings = [booking_from_item(i) for i in items if i.get("entity", {}).get("S") == "BookingRecord"]
    counts: dict[str, int] = defaultdict(int)
    live_by_specialist: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for booking in bookings:
        counts[booking.status.value] += 1
        if booking.live:
            live_by_specialist[(booking.business_id, booking.specialist_id)].append(booking)
    for group in live_by_specialist.values():
        group.sort(key=lambda b: b.occupied_start)
        for earlier, later in itertools.pairwise(group):
            assert not overlaps(earlier.occupied, later.occupied), (
                f"double booking: {earlier.booking_id} {earlier.occupied} and {later.booking_id} {later.occupied}"
            )
    expected: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    for group in live_by_specialist.values():
        for booking in group:
            value = f"{codec.encode(booking.occupied_start)}/{codec.encode(booking.occupied_end)}"  # the lock's format
            for day in lock_days(booking.occupied):
                expected[(booking.business_id, booking.specialist_id, day.isoformat())][booking.booking_id] = value
    actual: dict[tuple[str, str, str], dict[str, str]] = {}
    for item in items:
        if item.get("entity", {}).get("S") != "SpecialistDayLock":
            continue
        # Waitlist holds (HOLD#<entry>#<expires>, issue #18) are occupancy without a booking.
        occupied = {k: v["S"] for k, v in item.get("occupied", {}).get("M", {}).items() if not k.startswith("HOLD#")}
        if occupied:
            actual[(item["business_id"]["S"], item["specialist_id"]["S"], item["day"]["S"])] = occupied
    assert actual == dict(expected), "day locks and live bookings disagree"
    return dict(counts)


def relogin(person: Any) -> dict[str, str]:
    """Fresh bearer headers at the fake clock's time (access tokens are short-lived; tests
    that travel in time sign in again, as a real client would refresh)."""
    from chalicelib import deps
    from chalicelib.services import sessions
    from chalicelib.store import users

    user = users.get_user(person.user_id)
    assert user is not None
    issued = sessions.start(
        user, "password", sessions.ClientInfo(ip="fixture-relogin", user_agent="pytest"), deps.clock().now()
    )
    person.headers = {"Authorization": f"Bearer {issued.access_token}"}
    return person.headers
