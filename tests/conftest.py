"""Shared fixtures. Tiers: tests/unit (no network), tests/integration (moto; the
``ddblocal`` marker also runs a test against DynamoDB Local), tests/e2e (the local stack)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import apply_test_env

apply_test_env()  # before the app is imported: settings are read once per process
_REAL_ENVIRON = os.environ

from chalicelib import deps  # noqa: E402
from chalicelib.clock import FakeClock, SystemClock  # noqa: E402
from tests.support import stack  # noqa: E402

# Each area keeps its fixtures in tests/support/fixtures_<area>.py; all are loaded here.
pytest_plugins = sorted(
    f"tests.support.{path.stem}" for path in (Path(__file__).parent / "support").glob("fixtures_*.py")
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "aws" in metafunc.fixturenames:
        backends = ["moto", "ddblocal"] if metafunc.definition.get_closest_marker("ddblocal") else ["moto"]
        metafunc.parametrize("aws", backends, indirect=True)


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """One in-memory DynamoDB Local for the session; each test gets its own tables."""
    from infra.local import dynamodb

    port = dynamodb.free_port()
    process = dynamodb.start(port, data_dir=None)
    url = f"http://127.0.0.1:{port}"
    try:
        dynamodb.wait_ready(url, process)
        yield url
    finally:
        dynamodb.stop(process)


@pytest.fixture
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto for every AWS service; with the ``ddblocal`` param, DynamoDB is DynamoDB Local."""
    from moto import mock_aws

    backend: str = getattr(request, "param", "moto")
    assert os.environ is _REAL_ENVIRON, "os.environ was replaced by an earlier test"
    with mock_aws():
        if backend == "ddblocal":
            endpoint = request.getfixturevalue("dynamodb_local")
            suffix = uuid.uuid4().hex[:8]
            monkeypatch.setenv("BOOKING_DYNAMODB_ENDPOINT", endpoint)
            monkeypatch.setenv("BOOKING_TABLE_NAME", f"t-{suffix}-main")
        stack.reconfigure()
        stack.create_resources()
        try:
            yield backend
        finally:
            if backend == "ddblocal":
                stack.delete_tables()
    monkeypatch.undo()
    if os.environ is not _REAL_ENVIRON:  # never let one test's settings reach the next
        os.environ = _REAL_ENVIRON  # noqa: B003 - restoring the real mapping, not clearing it
        pytest.fail("this test replaced os.environ (e.g. Chalice's test client from threads)")
    stack.reconfigure()


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    deps.set_clock(fake)
    yield fake
    deps.set_clock(SystemClock())


@pytest.fixture
def api(aws: str) -> Any:
    from app import app
    from tests.support.api import ApiClient

    return ApiClient(app)


@pytest.fixture(scope="session")
def app_client_without_aws() -> Any:
    """The in-process API with no AWS behind it (for tests of the HTTP layer itself)."""
    from app import app
    from tests.support.api import ApiClient

    return ApiClient(app)
