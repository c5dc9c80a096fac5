"""`make cli`: operator tools run against the running local stack, never the configured AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infra.local import cli

STACK_KEYS = ("BOOKING_DYNAMODB_ENDPOINT", "BOOKING_AWS_ENDPOINT", "BOOKING_STAGE", "BOOKING_TELEGRAM_API_BASE")


@pytest.fixture
def running_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose state file names a stack on non-default ports; env restored after."""
    (tmp_path / "stack.json").write_text(
        json.dumps({"pid": 1, "api_port": 9000, "ddb_port": 9100, "moto_port": 9200, "telegram_port": 9300})
    )
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))
    for key in (*STACK_KEYS, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(key, "before")  # so monkeypatch puts back whatever main() sets
    monkeypatch.setenv("BOOKING_REGION", os.environ.get("BOOKING_REGION", "eu-central-1"))
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    return tmp_path


def test_the_environment_points_at_the_stack_in_the_state_file(running_stack: Path):
    # When the environment is built from the running stack's state file
    env = cli.stack_environment({"LOCAL_DATA_DIR": str(running_stack)})
    # Then the app talks to that stack's DynamoDB Local and moto, as the local stage
    assert env["BOOKING_DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9100"
    assert env["BOOKING_AWS_ENDPOINT"] == "http://127.0.0.1:9200"
    assert env["BOOKING_TELEGRAM_API_BASE"] == "http://127.0.0.1:9300"
    assert env["BOOKING_STAGE"] == "local"


def test_the_module_runs_as_python_m_with_its_own_arguments(running_stack: Path, capsys: pytest.CaptureFixture[str]):
    # When verify_audit is run without its tenant argument
    code = cli.main(["chalicelib.privacy.verify_audit"])
    # Then it was the tool that answered (its usage line and exit status), with the stack's env set
    assert code == 2
    assert "usage: python -m chalicelib.privacy.verify_audit <tenant>" in capsys.readouterr().err
    assert os.environ["BOOKING_DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9100"


def test_no_running_stack_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a data dir with no state file (the stack is not running)
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))
    # When an operator tool is run
    code = cli.main(["chalicelib.privacy.verify_audit", "platform"])
    # Then it says what to do, and nothing ran against whatever else is configured
    assert code == 2
    assert "start it with `make run`" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["os", "infra.local.stack", "chalicelibX.cli.operators", ""])
def test_only_operator_tool_modules_run(running_stack: Path, module: str, capsys: pytest.CaptureFixture[str]):
    assert cli.main([module] if module else []) == 2
    assert "usage: make cli" in capsys.readouterr().err
