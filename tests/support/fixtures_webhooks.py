"""Business webhooks in tests: no test resolves a real host name.

``fake_dns`` (autouse) stands in for ``webhook_http.resolve``: address literals resolve to
themselves, names in its table to their addresses (a test may re-point one), anything else
does not resolve. ``webhook_kit`` adds a real receiver on 127.0.0.1 (infra/local/
webhook_receiver.py), loopback allowed as on a local stage, SQS delays off (the injected
clock decides when an attempt may run), and helpers that drive the webhooks queue the way
the Lambda event source would."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest


@dataclass
class FakeDns:
    names: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def resolve(self, host: str, port: int) -> list[str]:
        from chalicelib.domain.webhooks import EndpointRefused

        self.lookups.append(host)
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        if host not in self.names:
            raise EndpointRefused("the host name does not resolve")
        return list(self.names[host])


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    from chalicelib.notify import webhook_http

    dns = FakeDns({"hooks.example.com": ["93.184.216.34"], "localhost": ["127.0.0.1"]})
    monkeypatch.setattr(webhook_http, "resolve", dns.resolve)
    return dns


@dataclass
class WebhookKit:
    receiver: Any
    clock: Any

    def queue_url(self, dlq: bool = False) -> str:
        from chalicelib import resources
        from chalicelib.aws_clients import client
        from chalicelib.settings import get_settings

        stage = get_settings().stage
        name = resources.dlq_name(stage, "webhooks") if dlq else resources.queue_name(stage, "webhooks")
        return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])

    def pending(self) -> list[dict[str, Any]]:
        """The queued delivery messages (received and left visible)."""
        from chalicelib.aws_clients import client

        answer = client("sqs").receive_message(
            QueueUrl=self.queue_url(), MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
        )
        return list(answer.get("Messages", []))

    def run_once(self) -> int:
        """One pass of the webhooks consumer over what is queued now; returns how many ran.
        Each message is deleted after the handler returns, as the event source does."""
        from chalicelib import consumers
        from chalicelib.aws_clients import client

        messages = self.pending()
        for message in messages:
            consumers.handle_webhooks({"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]})
            client("sqs").delete_message(QueueUrl=self.queue_url(), ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def next_due(self) -> datetime | None:
        """The earliest ``not_before`` among queued retries (None: nothing waits)."""
        times = [json.loads(m["Body"]).get("not_before") for m in self.pending()]
        due = [datetime.fromisoformat(t) for t in times if t]
        return min(due) if due else None


@pytest.fixture
def webhook_kit(aws: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookKit]:
    from infra.local.webhook_receiver import Receiver
    from tests.support import stack

    monkeypatch.setenv("BOOKING_WEBHOOKS_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("BOOKING_WEBHOOK_MAX_DELAY_SECONDS", "0")
    stack.reconfigure()
    receiver = Receiver().start()
    try:
        yield WebhookKit(receiver, clock)
    finally:
        receiver.stop()
