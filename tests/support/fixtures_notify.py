"""Notification fixtures: what moto "sent" (the outbox), a fake Telegram Bot API, push
platform applications, and a hand-driven SQS consumer loop (receive -> handler -> delete).

``notify`` (a NotifyKit) is the one fixture most tests need:
- ``notify.outbox.sms()`` -> [(phone, text)], ``.emails()`` -> [email.message.Message],
  ``.pushes(endpoint_arn)`` -> [payload]
- ``notify.telegram`` -> FakeTelegram (``.sent``, ``.script`` of statuses to answer)
- ``notify.send(message)`` enqueue; ``notify.drain()`` relays the outbox, then drives the
  consumer like Lambda does
- ``notify.relay()`` feeds the table's stream to the outbox relay, as the event source
  mapping does (the local dispatcher's StreamPoller, on moto's stream)
- ``notify.partial(True/False)`` switches the partial-batch-response setting
- ``notify.redelivery_advances_clock = True``: a failed batch moves the clock on by the
  queue's visibility timeout (as SQS's redelivery would) before it is received again
"""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest

from chalicelib.notify.channels.telegram import HttpResult

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-central-1"


class Outbox:
    """What moto recorded as sent (the same data `make outbox` reads)."""

    def sms(self) -> list[tuple[str, str]]:
        from moto.sns.models import sns_backends

        return list(sns_backends[ACCOUNT][REGION].sms_messages.values())

    def emails(self) -> list[Message]:
        from moto.ses.models import ses_backends

        found = []
        for sent in ses_backends[ACCOUNT][REGION].sent_messages:
            raw = getattr(sent, "raw_data", None)
            if raw is not None:
                found.append(email.message_from_string(raw))
        return found

    def pushes(self, endpoint_arn: str) -> list[dict[str, Any]]:
        from moto.sns.models import sns_backends

        endpoint = sns_backends[ACCOUNT][REGION].platform_endpoints.get(endpoint_arn)
        return [json.loads(m) for m in endpoint.messages.values()] if endpoint else []


@dataclass
class FakeTelegram:
    """The Bot API at the HTTP boundary: answers from ``script`` (then 200 ok), records calls."""

    script: list[int] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def post_json(self, url: str, payload: dict[str, Any], timeout: float) -> HttpResult:
        assert url.startswith("https://") and timeout > 0
        self.urls.append(url)
        status = self.script.pop(0) if self.script else 200
        if status != 200:
            return HttpResult(status, {"ok": False, "error_code": status, "parameters": {"retry_after": 0}})
        self.sent.append(payload)
        return HttpResult(200, {"ok": True, "result": {"message_id": len(self.sent)}})


@dataclass
class NotifyKit:
    outbox: Outbox
    telegram: FakeTelegram
    apns_arn: str
    fcm_arn: str
    monkeypatch: pytest.MonkeyPatch
    clock: Any = None  # the test's FakeClock
    invocations: int = 0
    stream: Any = None  # the StreamPoller, made on first use (it keeps the stream position)
    # ``receive`` shows a message again at once; on SQS a record that failed comes back only
    # after the visibility timeout, past a claim's lease (dispatcher.claim_lease). When set, a
    # failed invocation moves the clock on by that timeout, so the retry sees what SQS's would.
    redelivery_advances_clock: bool = False

    def partial(self, enabled: bool) -> None:
        from tests.support import stack

        self.monkeypatch.setenv("BOOKING_NOTIFY_PARTIAL_BATCH_RESPONSE", "true" if enabled else "false")
        stack.reconfigure()

    def send(self, message: Any) -> None:
        from chalicelib.notify import producer

        producer.enqueue(message)

    def queue_url(self, dlq: bool = False) -> str:
        from chalicelib import resources
        from chalicelib.aws_clients import client
        from chalicelib.settings import get_settings

        stage = get_settings().stage
        name = resources.dlq_name(stage, "notifications") if dlq else resources.queue_name(stage, "notifications")
        return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])

    def receive(self, dlq: bool = False) -> list[dict[str, Any]]:
        """One receive of up to 10, visible again at once (as if the visibility timeout passed)."""
        from chalicelib.aws_clients import client

        answer = client("sqs").receive_message(
            QueueUrl=self.queue_url(dlq),
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        )
        return list(answer.get("Messages", []))

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Lambda SQS event for received messages."""
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:notifications"
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }

    def invoke(self, messages: list[dict[str, Any]]) -> None:
        """What the Lambda event source does with one batch: call the handler, then delete
        what it may delete (everything on success; with partial responses, what did not fail)."""
        from chalicelib import consumers
        from chalicelib.aws_clients import client

        self.invocations += 1
        sqs = client("sqs")
        try:
            response = consumers.handle_notifications(self.event(messages))
        except Exception:
            self._await_redelivery()
            return  # the whole batch stays; SQS shows it again after the visibility timeout
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        if failed:
            self._await_redelivery()
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=self.queue_url(), ReceiptHandle=m["ReceiptHandle"])

    def _await_redelivery(self) -> None:
        if self.redelivery_advances_clock:
            from datetime import timedelta

            from chalicelib import resources

            timeout = resources.queue_spec("notifications").visibility_timeout_seconds
            self.clock.advance(timedelta(seconds=timeout))

    def relay(self) -> Any:
        """One pass over the table's stream into ``consumers.handle_outbox_records``; returns
        the dispatcher's PollResult (records read, records done, the error if the batch failed)."""
        if self.stream is None:
            from chalicelib import consumers, resources
            from chalicelib.aws_clients import client
            from chalicelib.settings import get_settings
            from infra.local.dispatcher import StreamConsumer, StreamPoller

            consumer = StreamConsumer(
                name=resources.OUTBOX_RELAY_FUNCTION,
                table_name=get_settings().resolved_table_name(),
                batch_size=resources.OUTBOX_RELAY_BATCH_SIZE,
                starting_position="TRIM_HORIZON",
                handler=consumers.handle_outbox_records,
            )
            self.stream = StreamPoller(
                consumer, client("dynamodb"), client("dynamodbstreams"), REGION, refresh_seconds=0
            )
        return self.stream.poll_once()

    def drain(self, max_rounds: int = 20) -> int:
        """Relay the outbox, then receive and invoke until the queue is empty; returns the
        number of SQS rounds."""
        self.relay()
        for rounds in range(1, max_rounds + 1):
            batch = self.receive()
            if not batch:
                return rounds - 1
            self.invoke(batch)
        raise AssertionError("the queue did not drain")


@pytest.fixture
def notify(aws: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyKit]:
    from chalicelib.aws_clients import client
    from chalicelib.notify.channels import registry, telegram
    from tests.support import stack

    sns = client("sns")
    apns = sns.create_platform_application(Name="booking-apns", Platform="APNS", Attributes={})
    fcm = sns.create_platform_application(Name="booking-fcm", Platform="GCM", Attributes={})
    monkeypatch.setenv("BOOKING_PUSH_APNS_APPLICATION_ARN", apns["PlatformApplicationArn"])
    monkeypatch.setenv("BOOKING_PUSH_FCM_APPLICATION_ARN", fcm["PlatformApplicationArn"])
    stack.reconfigure()
    fake = FakeTelegram()
    registry.reset(telegram_transport=fake, sleep=fake.slept.append)
    telegram.bot_token.cache_clear()
    kit = NotifyKit(Outbox(), fake, apns["PlatformApplicationArn"], fcm["PlatformApplicationArn"], monkeypatch, clock)
    yield kit
    registry.reset()
