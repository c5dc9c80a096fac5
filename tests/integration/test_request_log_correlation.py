"""Each log line carries the id of the request that wrote it, with requests on many threads."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib.api import middleware
from chalicelib.observability import current_request_id, logger

THREADS = 20


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = json.loads(self.format(record))
        with self._lock:
            self.lines.append(line)


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, object]]]:
    handler = _Lines()
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger._logger.removeHandler(handler)


def _failing_app(barrier: threading.Barrier) -> Chalice:
    app = Chalice("correlation")
    middleware.install(app)

    @app.route("/work/{n}")
    def work(n: str) -> None:
        logger.info("started", extra={"operation": n})
        barrier.wait(timeout=30)  # every request is in flight before any goes on
        time.sleep(0.01)
        logger.warning("about to fail", extra={"operation": n})
        raise RuntimeError("boom")

    return app


def test_every_500_request_id_is_on_its_own_log_lines_and_nowhere_else(log_lines):
    # Given 20 requests handled at the same time on 20 threads, each logging and then failing
    barrier = threading.Barrier(THREADS)
    app = _failing_app(barrier)
    answers: dict[str, str] = {}
    lock = threading.Lock()

    http = Client(app).http
    # (Chalice's test client swaps os.environ around each request; concurrent swaps leak.)
    http._patched_env_vars = lambda _variables: contextlib.nullcontext()

    def call(n: int) -> None:
        response = http.get(f"/work/{n}", headers={"X-Request-Id": f"request-{n:04d}"})
        assert response.status_code == 500
        with lock:
            answers[str(n)] = json.loads(response.body)["request_id"]

    # When they all run
    threads = [threading.Thread(target=call, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then each 500 answer names its own request id
    assert answers == {str(n): f"request-{n:04d}" for n in range(THREADS)}
    # And that id is on both of its request's handler lines and its access line, and on no other line
    for n, request_id in answers.items():
        own = [line for line in log_lines if line.get("operation") == n]
        assert [line["request_id"] for line in own] == [request_id, request_id]
        assert all(line.get("request_id") == request_id for line in own)
    access = [line for line in log_lines if line["message"] == "request"]
    assert sorted(str(line["request_id"]) for line in access) == sorted(answers.values())
    assert len(log_lines) == 3 * THREADS
    # And once the requests are over, no id lingers in this thread's context
    assert current_request_id() is None
