"""Scripted clients of the local stack (e2e tests, bench) raise the per-IP limits, by names
that really are settings (chalice local gives every request the source IP 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from chalicelib.settings import Settings
from infra.local.api_server import SCRIPTED_CLIENT_LIMITS

ROOT = Path(__file__).resolve().parents[2]


def test_every_scripted_limit_names_a_setting_and_raises_it():
    fields = Settings.model_fields
    for name, value in SCRIPTED_CLIENT_LIMITS.items():
        field = name.removeprefix("BOOKING_").lower()
        assert field in fields, name
        assert int(value) > int(fields[field].default), name
    named = {"BOOKING_OTP_IP_LIMIT", "BOOKING_LOGIN_IP_LIMIT", "BOOKING_REGISTER_IP_LIMIT"}
    assert named <= set(SCRIPTED_CLIENT_LIMITS)


def test_the_e2e_stack_and_the_bench_start_with_them_and_the_docs_name_them():
    assert "SCRIPTED_CLIENT_LIMITS" in (ROOT / "tests" / "e2e" / "conftest.py").read_text()
    assert "SCRIPTED_CLIENT_LIMITS" in (ROOT / "bench" / "booking_ops.py").read_text()
    for doc in ("docs/accounts.md", "README.md"):
        text = (ROOT / doc).read_text()
        for name in SCRIPTED_CLIENT_LIMITS:
            assert name in text, f"{doc} does not name {name}"
