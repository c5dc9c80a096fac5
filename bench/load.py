"""Bounded load check against the local stack over loopback: `python -m bench load`.

Starts DynamoDB Local (in memory), moto (SQS/SNS/SES/S3/KMS) and the API (chalice local's
threaded server, infra/local/api_server.py) on 127.0.0.1 with ephemeral ports, seeds one salon
(3 specialists) and 60 customers, then runs a mixed workload (availability reads, bookings,
cancels, reschedules, my bookings, the business calendar) at concurrency 10 and then 50, each
phase bounded by ``SECONDS`` and ``MAX_REQUESTS``. Afterwards an independent check reads the
table: no two live bookings of one specialist overlap, locks hold exactly the live bookings,
and what the customers hold (GET /v1/me/bookings) equals what the business sees (GET
/v1/businesses/{id}/bookings). Prints p50/p95/p99 per operation, 5xx and connection errors;
exits 1 when an invariant breaks or a 5xx/connection reset was seen. Stops by itself.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PHASES = (10, 50)  # concurrency
SECONDS = 20.0
MAX_REQUESTS = 6000  # per phase
CUSTOMERS = 60
HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    server_errors: list[str] = field(default_factory=list)
    connection_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, seconds: float, status: int, body: bytes) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[op][status] += 1
            if status >= 500 and len(self.server_errors) < 20:
                self.server_errors.append(f"{op} {status} {body[:160]!r}")


def _environment(ddb: int, moto: int) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "BOOKING_REGION": "eu-central-1",
            "BOOKING_STAGE": "local",
            "BOOKING_DYNAMODB_ENDPOINT": f"http://{HOST}:{ddb}",
            "BOOKING_AWS_ENDPOINT": f"http://{HOST}:{moto}",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            # every simulated customer comes from 127.0.0.1: lift the per-IP limits
            "BOOKING_OTP_IP_LIMIT": "1000000",
            "BOOKING_OTP_PHONE_LIMIT": "1000000",
            "BOOKING_LOGIN_IP_LIMIT": "1000000",
        }
    )


def _test_support(name: str) -> Any:
    """The suite's own salon builder and invariant checker (tests/support), so the load check
    judges by the same rules as the tests; imported by name, as tests/ is not type-checked."""
    import importlib

    return importlib.import_module(f"tests.support.{name}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Workload:
    def __init__(self, base: str, salon: Any, customers: list[Any], stats: Stats) -> None:
        import requests

        self.requests = requests
        self.base, self.salon, self.customers, self.stats = base, salon, customers, stats
        self.local = threading.local()
        self.held: dict[str, list[str]] = defaultdict(list)  # user -> booking ids it believes live
        self.held_lock = threading.Lock()

    def _session(self) -> Any:
        if not hasattr(self.local, "session"):
            self.local.session = self.requests.Session()
        return self.local.session

    def call(self, op: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        started = time.perf_counter()
        try:
            answer = self._session().request(method, self.base + path, json=body, headers=headers, timeout=30)
        except self.requests.RequestException:
            with self.stats.lock:
                self.stats.connection_errors += 1
            self.local.__dict__.pop("session", None)
            return None
        self.stats.record(op, time.perf_counter() - started, answer.status_code, answer.content)
        return answer

    def step(self, rng: random.Random) -> None:
        salon, person = self.salon, rng.choice(self.customers)
        day = rng.randrange(1, 15)
        roll = rng.random()
        if roll < 0.35:
            start = (salon.today + timedelta(days=day)).isoformat()
            query = f"service_id={salon.short_service.service_id}&from={start}&to={start}"
            self.call("availability", "GET", f"/v1/venues/{salon.venue_id}/availability?{query}", {})
        elif roll < 0.60:
            slot = salon.at(day, f"{rng.randrange(9, 17):02d}:{rng.choice(['00', '30'])}")
            body = {"venue_id": salon.venue_id, "service_id": salon.short_service.service_id, "start": slot.isoformat()}
            if rng.random() < 0.7:
                body["specialist_id"] = rng.choice(salon.specialist_ids)
            key = {"Idempotency-Key": f"load-{rng.getrandbits(64):x}"}
            answer = self.call("book", "POST", "/v1/bookings", {**person.headers, **key}, body)
            if answer is not None and answer.status_code == 201:
                with self.held_lock:
                    self.held[person.user_id].append(answer.json()["id"])
        elif roll < 0.80:
            with self.held_lock:
                mine = list(self.held[person.user_id])
            if not mine:
                return
            booking = rng.choice(mine)
            if roll < 0.70:
                answer = self.call("cancel", "POST", f"/v1/bookings/{booking}/cancel", person.headers)
                if answer is not None and answer.status_code == 200:
                    with self.held_lock:
                        self.held[person.user_id].remove(booking)
            else:
                slot = salon.at(day, f"{rng.randrange(9, 17):02d}:{rng.choice(['15', '45'])}")
                path = f"/v1/bookings/{booking}/reschedule"
                self.call("reschedule", "POST", path, person.headers, {"start": slot.isoformat()})
        elif roll < 0.90:
            self.call("my_bookings", "GET", "/v1/me/bookings?limit=50", person.headers)
        else:
            path = f"/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}&limit=50"
            self.call("calendar", "GET", path, salon.owner.headers)

    def phase(self, concurrency: int, seconds: float, budget: int) -> tuple[int, float]:
        deadline = time.monotonic() + seconds
        sent = [0]
        counter = threading.Lock()

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                with counter:
                    if sent[0] >= budget:
                        return
                    sent[0] += 1
                self.step(rng)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(worker, range(concurrency * 1000, concurrency * 1000 + concurrency)))
        return sent[0], time.monotonic() - started


def _all_pages(session: Any, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = session.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def check_invariants(base: str, salon: Any, customers: list[Any]) -> list[str]:
    import requests

    bookings_kit = _test_support("fixtures_bookings")
    assert_booking_invariants, relogin = bookings_kit.assert_booking_invariants, bookings_kit.relogin
    problems: list[str] = []
    try:
        counts = assert_booking_invariants()
        print(f"table: bookings by status {counts}")
    except AssertionError as error:
        problems.append(f"table invariant: {error}")
    session = requests.Session()
    live = {"pending", "confirmed"}
    held: set[str] = set()
    for person in customers:
        url = f"{base}/v1/me/bookings?limit=100&scope=upcoming"
        held |= {b["id"] for b in _all_pages(session, url, relogin(person)) if b["status"] in live}
    url = f"{base}/v1/businesses/{salon.business_id}/bookings?venue_id={salon.venue_id}&limit=100"
    seen = {b["id"] for b in _all_pages(session, url, relogin(salon.owner)) if b["status"] in live}
    if held != seen:
        problems.append(f"customers hold {len(held)} live bookings, the business sees {len(seen)}: {held ^ seen}")
    print(f"live bookings: customers {len(held)}, business {len(seen)}")
    return problems


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from infra.local import dynamodb

    ddb_port, moto_port, api_port = dynamodb.free_port(), dynamodb.free_port(), dynamodb.free_port()
    _environment(ddb_port, moto_port)
    from moto.server import ThreadedMotoServer

    ddb = dynamodb.start(ddb_port, data_dir=None, log_file=Path(tempfile.mkdtemp()) / "dynamodb.log")
    moto = ThreadedMotoServer(ip_address=HOST, port=moto_port, verbose=False)
    moto.start()
    server = None
    try:
        dynamodb.wait_ready(f"http://{HOST}:{ddb_port}", ddb)
        from chalicelib import deps
        from chalicelib.clock import SystemClock
        from infra.local import bootstrap
        from infra.local.api_server import create_server

        make_signup = _test_support("fixtures_accounts").make_signup
        make_salon = _test_support("fixtures_bookings").make_salon

        bootstrap.create_resources()
        deps.set_clock(SystemClock())
        now = datetime.now(UTC)
        salon = make_salon(make_signup(name="Load Owner"), now, specialists=3)
        customers = [make_signup(name=f"Load Customer {i}") for i in range(CUSTOMERS)]
        server = create_server(HOST, api_port)
        threading.Thread(target=server.server.serve_forever, daemon=True, name="api").start()
        base = f"http://{HOST}:{api_port}"
        problems: list[str] = []
        stats_all: list[tuple[int, Stats, int, float]] = []
        for concurrency in PHASES:
            stats = Stats()
            sent, took = Workload(base, salon, customers, stats).phase(concurrency, SECONDS, MAX_REQUESTS)
            stats_all.append((concurrency, stats, sent, took))
            _print(concurrency, stats, sent, took)
            problems += check_invariants(base, salon, customers)
            if stats.server_errors or stats.connection_errors:
                problems.append(
                    f"c={concurrency}: 5xx {stats.server_errors[:5]}, conn errors {stats.connection_errors}"
                )
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems))
            raise SystemExit(1)
        print("invariants hold; no 5xx, no connection errors")
    finally:
        if server is not None:
            server.shutdown()
            server.server.server_close()
        moto.stop()
        dynamodb.stop(ddb)


def _print(concurrency: int, stats: Stats, sent: int, took: float) -> None:
    print(f"\nconcurrency {concurrency}: {sent} requests in {took:.1f} s ({sent / took:.0f} req/s)")
    print(f"  {'operation':<13} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for op, values in sorted(stats.latencies.items()):
        codes = dict(sorted(stats.statuses[op].items()))
        p50, p95, p99 = (_percentile(values, q) for q in (0.5, 0.95, 0.99))
        print(f"  {op:<13} {len(values):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}  {codes}")
    total_5xx = sum(n for codes in stats.statuses.values() for s, n in codes.items() if s >= 500)
    print(f"  5xx: {total_5xx}, connection errors/resets: {stats.connection_errors}")


if __name__ == "__main__":
    main()
