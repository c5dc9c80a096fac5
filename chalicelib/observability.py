"""One Logger for the whole app; personal data never reaches a log line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SERVICE = "booking"

# Keys whose values are personal or secret wherever they appear in a log record.
_SENSITIVE_KEY = re.compile(
    r"(pass(word)?|secret|token|otp|code|authorization|cookie|phone|e?mail|name|"
    r"address|init_?data|ip|user_agent|notes?|body)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# An international number with "+", or a bare run of 9+ digits (not dates or times).
_PHONE = re.compile(r"\+\d[\d ()-]{6,}\d|\b\d{9,15}\b")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_SAFE_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "request_id",
        "xray_trace_id",
        "cold_start",
        "function_name",
        "function_arn",
        "function_memory_size",
        "function_request_id",
        "sampling_rate",
        "exception_name",
        "status",
        "route",
        "method",
        "duration_ms",
        "operation",
        "count",
    }
)
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    text = _JWT.sub("[token]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def redact(value: Any, key: str = "") -> Any:
    """Mask sensitive keys and scrub e-mails, phone numbers and tokens from free text."""
    if key in _SAFE_KEYS and key != "message":
        return value
    if key and _SENSITIVE_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


# The id of the request this thread (or task) is handling. Logger.append_keys is one dict
# for the whole process, so concurrent requests overwrote each other's id there; a context
# variable is per thread and per asyncio task, and the formatter reads it for every line.
_REQUEST_ID: ContextVar[str | None] = ContextVar("booking_request_id", default=None)


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Every log line written inside carries ``request_id`` (and only those lines do)."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        # The line's request id is its own request's, never a key another request appended.
        log = {k: v for k, v in log.items() if k != "request_id"}
        request_id = _REQUEST_ID.get()
        if request_id is not None:
            log["request_id"] = request_id
        return super().serialize(redact(log))


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
# The app's one Metrics object (CloudWatch EMF through the function's log; the namespace is
# POWERTOOLS_METRICS_NAMESPACE in .chalice/config.json). Flushed by whoever adds a metric.
METRICS_NAMESPACE = "BookingPlatform"
metrics = Metrics(service=SERVICE, namespace=METRICS_NAMESPACE)
