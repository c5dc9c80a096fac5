"""Fault injection at the SDK seam: every DynamoDB, SQS and SNS call, one at a time.

``Faults`` wraps ``botocore.client.BaseClient._make_api_call``, the one method through which
boto3's clients and PynamoDB's connection send every request (after botocore's own retries
were given up on, which is what an injected error stands for). It counts the calls of the
watched services while ``armed`` and, for the call whose index is ``fail_at``:

- ``"before"``: raises instead of sending (a throttling ClientError that outlived the SDK's
  retries, or a connection error): nothing reached the service;
- ``"after"``: sends the call, which commits, then raises ReadTimeoutError: the service
  did the work and the caller does not know it.

A clean run with ``fail_at=None`` counts the calls (``calls`` lists them), so a test can
then fail each of them in turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

WATCHED = frozenset({"dynamodb", "sqs", "sns"})


class InjectedFault(Exception):
    """Marks nothing: the raised errors are the SDK's own types."""


@dataclass
class Faults:
    kind: str = "before"  # "before" | "after"
    fail_at: int | None = None
    armed: bool = False
    calls: list[str] = field(default_factory=list)
    injected: str | None = None  # the call that was failed

    @contextmanager
    def watching(self, fail_at: int | None = None) -> Iterator[Faults]:
        self.fail_at, self.calls, self.injected, self.armed = fail_at, [], None, True
        try:
            yield self
        finally:
            self.armed = False

    def intercept(self, client: Any, operation: str, params: dict[str, Any], send: Any) -> Any:
        service = client.meta.service_model.service_name
        if not self.armed or service not in WATCHED:
            return send()
        index = len(self.calls)
        self.calls.append(f"{service}.{operation}")
        if index != self.fail_at:
            return send()
        self.injected = self.calls[-1]
        return _fail(self.kind, service, operation, index, send)


def _fail(kind: str, service: str, operation: str, index: int, send: Any) -> Any:
    if kind == "before":
        raise _error_before(service, operation, index)
    send()
    from botocore.exceptions import ReadTimeoutError

    raise ReadTimeoutError(endpoint_url=f"https://{service}.injected")


def _error_before(service: str, operation: str, index: int) -> Exception:
    """Alternately a throttling error and a connection error (both mean: not applied)."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    if index % 2:
        return EndpointConnectionError(endpoint_url=f"https://{service}.injected")
    code = "ThrottlingException" if service != "dynamodb" else "ProvisionedThroughputExceededException"
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)


def install(monkeypatch: Any, faults: Faults) -> None:
    from botocore.client import BaseClient

    inner = BaseClient._make_api_call  # the Scan guard's wrapper, when a test uses ``api``

    def intercepted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        return faults.intercept(self, operation_name, api_params, lambda: inner(self, operation_name, api_params))

    monkeypatch.setattr(BaseClient, "_make_api_call", intercepted)


@dataclass
class NextCalls:
    """``fail_next``'s record: the calls it failed."""

    failed: list[str] = field(default_factory=list)


def fail_next(monkeypatch: Any, call: str, kind: str, times: int = 1, *, before_error: int = 0) -> NextCalls:
    """Fail the next ``times`` calls named ``call`` (e.g. ``"sns.Publish"``) with ``kind``;
    ``before_error`` picks the "before" error (0: throttling answer, 1: connection error)."""
    from botocore.client import BaseClient

    inner = BaseClient._make_api_call
    record = NextCalls()
    service_name, _, operation_name = call.partition(".")

    def intercepted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        def send() -> Any:
            return inner(self, operation, params)

        service = self.meta.service_model.service_name
        if (service, operation) != (service_name, operation_name) or len(record.failed) >= times:
            return send()
        record.failed.append(call)
        return _fail(kind, service, operation, before_error, send)

    monkeypatch.setattr(BaseClient, "_make_api_call", intercepted)
    return record
