"""The local dispatcher feeds SQS batches and schedules to Chalice handlers as Lambda would."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from chalice.app import Chalice, Rate

from chalicelib.aws_clients import client
from infra.local import dispatcher

REGION = "eu-central-1"


def make_app(seen: list[dict]) -> Chalice:
    app = Chalice(app_name="dispatcher-test")

    @app.on_sqs_message(queue="work", batch_size=10)
    def consume(event):
        failures = []
        for record in event:
            raw = record.to_dict()
            seen.append(raw)
            if record.body == "boom":
                raise RuntimeError("the whole batch fails")
            if record.body == "fail":
                failures.append({"itemIdentifier": raw["messageId"]})
        return {"batchItemFailures": failures}

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def every_five_minutes(event):
        seen.append(event.to_dict())

    @app.schedule("cron(30 9 ? * MON-FRI *)")
    def weekday_morning(event):
        seen.append(event.to_dict())

    return app


@pytest.fixture
def work_queue(aws):
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "0",  # a failed message is visible again at once
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    return sqs, url, dlq_url


def poller_for(app: Chalice) -> dispatcher.QueuePoller:
    (consumer,) = dispatcher.consumers(app)
    return dispatcher.QueuePoller(consumer, client("sqs"), REGION, wait_seconds=0)


def bodies(sqs, url) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def test_reported_failure_is_retried_then_dead_lettered_and_successes_are_deleted(work_queue):
    sqs, url, dlq_url = work_queue
    seen: list[dict] = []
    poller = poller_for(make_app(seen))
    # Given three messages, one of which the consumer reports as failed
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "t"}}
        )
    # When the dispatcher polls once
    first = poller.poll_once()
    # Then the handler got a Lambda-shaped batch and only the successes were deleted
    assert (first.received, first.deleted) == (3, 2)
    record = seen[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":work")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "t"
    assert {"messageId", "receiptHandle", "body", "md5OfBody", "awsRegion"} <= record.keys()
    # When it polls again, the failed message is delivered a second time and fails again
    second = poller.poll_once()
    assert (second.received, second.deleted) == (1, 0)
    assert seen[-1]["body"] == "fail"
    assert seen[-1]["attributes"]["ApproximateReceiveCount"] == "2"
    # Then after maxReceiveCount the redrive policy moves it to the DLQ, not to the handler
    third = poller.poll_once()
    assert third.received == 0
    assert bodies(sqs, dlq_url) == ["fail"]


def test_an_exception_fails_the_whole_batch(work_queue):
    sqs, url, _ = work_queue
    seen: list[dict] = []
    poller = poller_for(make_app(seen))
    # Given a batch in which one record makes the handler raise
    for body in ("ok", "boom"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    # When the dispatcher polls
    result = poller.poll_once()
    # Then nothing was deleted: both messages are back on the queue
    assert result.received == 2
    assert result.deleted == 0
    assert result.error == "RuntimeError"
    assert bodies(sqs, url) == ["boom", "ok"]


@pytest.mark.parametrize(
    ("response", "kept"),
    [
        (None, []),
        ({"batchItemFailures": []}, []),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["b"]),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, ["a", "b"]),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, ["a", "b"]),
    ],
)
def test_partial_batch_response_semantics(response, kept):
    # Given a batch of two records and the handler's response
    records = [{"messageId": "a"}, {"messageId": "b"}]
    # When the dispatcher decides what to delete
    deleted = {r["messageId"] for r in dispatcher.succeeded(records, response)}
    # Then it keeps exactly what Lambda would keep (a malformed failure list fails all)
    assert deleted == {"a", "b"} - set(kept)


def test_schedules_fire_on_rate_and_cron_with_eventbridge_events():
    seen: list[dict] = []
    app = make_app(seen)
    # Given the dispatcher started on a Monday at 09:00 UTC
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ticker = dispatcher.ScheduleTicker(dispatcher.schedules(app), monday_9, REGION)
    # When time passes, Then the rate fires once per period and the cron in its minute
    assert ticker.tick(monday_9 + timedelta(minutes=4, seconds=59)) == []
    assert ticker.tick(monday_9 + timedelta(minutes=5)) == ["every_five_minutes"]
    assert ticker.tick(monday_9 + timedelta(minutes=5, seconds=30)) == []
    assert ticker.tick(monday_9 + timedelta(minutes=29, seconds=59)) == ["every_five_minutes"]
    assert ticker.tick(monday_9 + timedelta(minutes=30, seconds=1)) == ["every_five_minutes", "weekday_morning"]
    assert ticker.tick(monday_9 + timedelta(minutes=30, seconds=40)) == []
    event = seen[-1]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"][0].endswith(":rule/weekday_morning")
    assert event["time"] == "2026-11-23T09:30:01Z"


def test_cron_matcher_follows_aws_fields():
    cron = dispatcher.Cron.parse("cron(0/15 8-10 ? JAN,NOV MON-FRI *)")
    assert cron is not None
    # Given AWS day-of-week numbering (1 = Sunday) and month names
    assert cron.matches(datetime(2026, 11, 23, 8, 45, tzinfo=UTC))  # Monday
    assert not cron.matches(datetime(2026, 11, 22, 8, 45, tzinfo=UTC))  # Sunday
    assert not cron.matches(datetime(2026, 11, 23, 8, 50, tzinfo=UTC))  # not on a quarter
    assert not cron.matches(datetime(2026, 12, 1, 8, 45, tzinfo=UTC))  # December
    sunday_only = dispatcher.Cron.parse("cron(0 12 ? * 1 *)")
    assert sunday_only is not None and sunday_only.matches(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="unsupported cron token"):
        dispatcher.Cron.parse("cron(0 12 L * ? *)")
    assert dispatcher.parse_rate("rate(1 hour)") == timedelta(hours=1)


def test_dispatcher_discovers_consumers_and_schedules_from_the_app():
    # Given an app with one consumer and two schedules
    app = make_app([])
    # When the dispatcher reads its event sources
    found = dispatcher.Dispatcher(app, sqs=None, region=REGION).describe()
    # Then all three are wired
    assert found == [
        "sqs work -> consume",
        "rate(5 minutes) -> every_five_minutes",
        "cron(30 9 ? * MON-FRI *) -> weekday_morning",
    ]
