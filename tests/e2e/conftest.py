"""The e2e tier: the real local stack (`python -m infra.local.stack`) on free ports, over HTTP.

One stack per session (it takes a few seconds to start); a test may restart it on the same
data dir. The stack runs in its own process group, which is killed when the session ends,
so no JVM or server outlives the tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.api_server import SCRIPTED_CLIENT_LIMITS
from infra.local.dynamodb import die_with_parent, free_port

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_SECONDS = 60  # issue 2: /v1/health and /openapi.json within 60 s


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LocalStack:
    data_dir: Path
    log_path: Path
    api_port: int = field(default_factory=free_port)
    ddb_port: int = field(default_factory=free_port)
    moto_port: int = field(default_factory=free_port)
    telegram_port: int = field(default_factory=free_port)
    payments_port: int = field(default_factory=free_port)  # the fake payment provider (wallet)
    process: subprocess.Popen[bytes] | None = None
    ready_after_seconds: float = 0.0

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def outbox_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}/_local/outbox.json"

    def outbox(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = requests.get(self.outbox_url, timeout=5).json()
        return answer

    def aws_client(self, service: str) -> Any:
        import boto3

        # DynamoDB Local serves the Streams API too; moto the rest.
        endpoint = self.ddb_port if service in ("dynamodb", "dynamodbstreams") else self.moto_port
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{endpoint}",
            region_name="eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOKING_", "AWS_", "POWERTOOLS_"))}
        env |= {
            "API_PORT": str(self.api_port),
            "DDB_PORT": str(self.ddb_port),
            "MOTO_PORT": str(self.moto_port),
            "TELEGRAM_PORT": str(self.telegram_port),
            "PAYMENTS_PORT": str(self.payments_port),
            "LOCAL_DATA_DIR": str(self.data_dir),
        }
        env |= SCRIPTED_CLIENT_LIMITS  # every request comes from 127.0.0.1: one per-IP budget for all tests
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.local.stack"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches every child
                preexec_fn=die_with_parent,  # and if pytest itself is killed, the stack goes too
            )
        self._wait_ready(started)

    def _wait_ready(self, started: float) -> None:
        deadline = started + READY_WITHIN_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"the stack exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                health = requests.get(f"{self.api}/v1/health", timeout=2)
                spec = requests.get(f"{self.api}/openapi.json", timeout=5)
                if health.status_code == 200 and spec.status_code == 200:
                    self.ready_after_seconds = time.monotonic() - started
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"the stack did not serve health and openapi within {READY_WITHIN_SECONDS}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (a clean stop, as Ctrl-C), then SIGKILL to the whole group if it lingers."""
        process, self.process = self.process, None
        if process is None:
            return
        group = os.getpgid(process.pid) if process.poll() is None else None
        if group is not None:
            os.killpg(group, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):  # anything left in the group (the JVM) goes too
                os.killpg(group, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root = tmp_path_factory.mktemp("local-stack")
    stack = LocalStack(data_dir=root / "data", log_path=root / "stack.log")
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
