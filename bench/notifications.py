"""Notification delivery cost: DynamoDB calls and in-process time per delivered message.

A batch of 10 booking confirmations for 10 different users (each reachable by SMS and
e-mail, default preferences) goes through the real consumer handler (Powertools batch
processing, delivery records, profile batch read, contact reads, SNS and SES in moto).
DynamoDB calls are counted with a botocore event hook on every client the app uses.
Then the same 10 messages are delivered again (an SQS redelivery): nothing is sent and
the calls per duplicate are reported too.

Target: at most 3 DynamoDB calls per delivered message, idempotency included.
Run: ``python -m bench.notifications`` (moto, in process; ``--rounds N`` to average).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

TARGET_CALLS = 3.0
BATCH = 10


def _event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:notifications",
                "awsRegion": "eu-central-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


class _SdkTimer:
    """Time spent inside AWS SDK calls (moto here, the network in AWS), to report our own share."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _SdkTimer:
        from botocore import client as botocore_client

        self._cls: Any = botocore_client.BaseClient
        self._original = getattr(self._cls, "_make_api_call")  # noqa: B009 (private SDK hook)
        timer = self

        def timed(client: Any, operation: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return timer._original(client, operation, params)
            finally:
                timer.seconds += time.perf_counter() - started

        setattr(self._cls, "_make_api_call", timed)  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self._cls, "_make_api_call", self._original)  # noqa: B010


def _round(users: list[str], round_no: int) -> tuple[dict[str, int], float, dict[str, int], float, int, float]:
    from chalicelib import consumers
    from chalicelib.notify.messages import Category, NotificationMessage
    from tests.support.dynamo_calls import counting

    bodies = [
        NotificationMessage(
            notification_id=f"bench-{round_no}-{n:03d}:confirmed",
            kind="booking.confirmed",
            category=Category.BOOKING_UPDATES,
            user_id=user_id,
            partner_id="biz-bench",
            params={
                "booking_id": f"bench-{n}",
                "venue_name": "Studio Lotus",
                "service_name": "Haircut",
                "specialist_name": "Mila",
                "start": "2026-12-01T09:00:00+00:00",
                "timezone": "Europe/Sofia",
            },
        ).model_dump_json()
        for n, user_id in enumerate(users)
    ]
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    def sends() -> int:
        account, region = "123456789012", "eu-central-1"
        return len(sns_backends[account][region].sms_messages) + len(ses_backends[account][region].sent_messages)

    before = sends()
    with counting() as first, _SdkTimer() as sdk:
        started = time.perf_counter()
        response = consumers.handle_notifications(_event(bodies))
        first_seconds = time.perf_counter() - started
    assert response == {"batchItemFailures": []}, response
    sent = sends() - before
    with counting() as again:
        started = time.perf_counter()
        consumers.handle_notifications(_event(bodies))
        again_seconds = time.perf_counter() - started
    assert sends() - before == sent, "a redelivered message was sent twice"
    return dict(first), first_seconds, dict(again), again_seconds, sent, first_seconds - sdk.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from tests.support.stack import apply_test_env

    apply_test_env()
    from moto import mock_aws

    from tests.support import stack

    with mock_aws():
        stack.reconfigure()
        stack.create_resources()
        from tests.support.fixtures_accounts import make_signup

        users = [make_signup(email=f"bench{n}@example.com").user_id for n in range(BATCH)]
        # Warm-up: imports, clients, Powertools; not measured.
        _round(users, 0)
        results = [_round(users, r) for r in range(1, args.rounds + 1)]

    first_calls = [sum(r[0].values()) / BATCH for r in results]
    again_calls = [sum(r[2].values()) / BATCH for r in results]
    first_ms = [r[1] * 1000 / BATCH for r in results]
    again_ms = [r[3] * 1000 / BATCH for r in results]
    own_ms = [r[5] * 1000 / BATCH for r in results]
    breakdown = results[-1][0]
    print(f"batch of {BATCH} booking confirmations, {results[-1][4]} provider sends (SMS + e-mail) per batch")
    print(
        f"delivered:   {statistics.mean(first_calls):.2f} DynamoDB calls/message "
        f"(target <= {TARGET_CALLS:.0f}), {statistics.median(first_ms):.1f} ms/message in process, "
        f"of which {statistics.median(own_ms):.1f} ms outside SDK calls (the rest is moto)"
    )
    print("             per batch: " + ", ".join(f"{op} {n}" for op, n in sorted(breakdown.items())))
    print(
        f"redelivered: {statistics.mean(again_calls):.2f} DynamoDB calls/message, "
        f"{statistics.median(again_ms):.1f} ms/message, 0 sends"
    )
    print("             per batch: " + ", ".join(f"{op} {n}" for op, n in sorted(results[-1][2].items())))
    verdict = "meets" if statistics.mean(first_calls) <= TARGET_CALLS else "MISSES"
    print(f"{verdict} the target (moto in process: time excludes network latency to AWS)")


if __name__ == "__main__":
    main()
