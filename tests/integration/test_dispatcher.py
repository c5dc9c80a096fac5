"""The local dispatcher feeds SQS batches and schedules to Chalice handlers as Lambda would."""

import json
import uuid
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


# --- the table stream ----------------------------------------------------------------


class FakeStreamHandler:
    """Records each batch's keys; answers with the scripted responses, then succeeds."""

    def __init__(self, *script) -> None:
        self.batches: list[list[dict]] = []
        self.script = list(script)

    def __call__(self, event: dict, context) -> dict:
        self.batches.append(event["Records"])
        answer = self.script.pop(0) if self.script else {"batchItemFailures": []}
        if isinstance(answer, Exception):
            raise answer
        return answer(event["Records"]) if callable(answer) else answer

    def keys(self, batch: int = -1) -> list[str]:
        return [record["dynamodb"]["Keys"]["pk"]["S"] for record in self.batches[batch]]


def failing(*indexes: int):
    """A handler answer naming the records at ``indexes`` as failed, by SequenceNumber."""
    return lambda records: {
        "batchItemFailures": [{"itemIdentifier": records[i]["dynamodb"]["SequenceNumber"]} for i in indexes]
    }


@pytest.fixture
def stream_table(aws):
    """A plain table with the main table's definition (stream on), on moto or DynamoDB Local."""
    from chalicelib import resources

    name = f"stream-{uuid.uuid4().hex[:8]}"
    dynamodb = client("dynamodb")
    dynamodb.create_table(**resources.create_table_kwargs(name))
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    yield name
    dynamodb.delete_table(TableName=name)


def stream_poller(table: str, handler: FakeStreamHandler, batch_size: int = 10) -> dispatcher.StreamPoller:
    app = Chalice(app_name="stream-test")

    @app.on_dynamodb_record(
        stream_arn=f"arn:aws:dynamodb:region:account:table/{table}/stream/created-at-deploy",
        batch_size=batch_size,
        starting_position="TRIM_HORIZON",
        name="relay",
    )
    def relay(event):
        return handler(event.to_dict(), event.context)

    (consumer,) = dispatcher.stream_consumers(app)
    return dispatcher.StreamPoller(consumer, client("dynamodb"), client("dynamodbstreams"), REGION)


def put(table: str, *names: str) -> None:
    for name in names:
        client("dynamodb").put_item(TableName=table, Item={"pk": {"S": f"OUTBOX#{name}"}, "sk": {"S": "EVENT"}})


@pytest.mark.ddblocal
def test_stream_records_reach_the_handler_in_order_in_lambda_shape_and_once(stream_table):
    handler = FakeStreamHandler()
    poller = stream_poller(stream_table, handler, batch_size=2)
    # Given three items written to a table with a stream
    put(stream_table, "a", "b", "c")
    # When the dispatcher polls the stream
    result = poller.poll_once()
    # Then the handler got them in write order, in batches of batch_size
    assert (result.received, result.deleted, result.error) == (3, 3, None)
    assert [handler.keys(0), handler.keys(1)] == [["OUTBOX#a", "OUTBOX#b"], ["OUTBOX#c"]]
    # And each record is shaped like Lambda's DynamoDB event (JSON, the stream's ARN)
    record = handler.batches[0][0]
    stream_arn = client("dynamodb").describe_table(TableName=stream_table)["Table"]["LatestStreamArn"]
    assert record["eventSourceARN"] == stream_arn
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventName"] == "INSERT"
    assert record["awsRegion"]
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "OUTBOX#a"}, "sk": {"S": "EVENT"}}
    assert record["dynamodb"]["SequenceNumber"]
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    json.dumps(handler.batches)
    # When it polls again, Then nothing is sent again; a later write comes alone
    assert poller.poll_once().received == 0
    put(stream_table, "d")
    assert poller.poll_once().received == 1
    assert handler.keys() == ["OUTBOX#d"]


@pytest.mark.ddblocal
def test_a_raising_handler_gets_the_same_records_again(stream_table):
    handler = FakeStreamHandler(RuntimeError("relay down"))
    poller = stream_poller(stream_table, handler)
    put(stream_table, "a", "b")
    # Given the handler raised on the first batch
    first = poller.poll_once()
    assert (first.received, first.deleted, first.error) == (2, 0, "RuntimeError")
    # When the dispatcher polls again, Then the same records come again, and then no more
    second = poller.poll_once()
    assert (second.received, second.deleted, second.error) == (2, 2, None)
    assert handler.keys(0) == handler.keys(1) == ["OUTBOX#a", "OUTBOX#b"]
    assert poller.poll_once().received == 0


@pytest.mark.ddblocal
def test_batch_item_failures_resume_from_the_first_failed_record(stream_table):
    # Given a handler that reports the second and fourth of four records as failed
    handler = FakeStreamHandler(failing(3, 1))
    poller = stream_poller(stream_table, handler)
    put(stream_table, "a", "b", "c", "d")
    first = poller.poll_once()
    # Then only the record before the first failure is done
    assert (first.received, first.deleted) == (4, 1)
    # When it polls again, Then everything from the first failure on comes again (a stream
    # checkpoint: "c" succeeded but lies after it), and "a" does not
    second = poller.poll_once()
    assert (second.received, second.deleted) == (3, 3)
    assert handler.keys() == ["OUTBOX#b", "OUTBOX#c", "OUTBOX#d"]
    assert poller.poll_once().received == 0


@pytest.mark.ddblocal
def test_an_unknown_failure_id_fails_the_whole_stream_batch(stream_table):
    # Given a handler whose first answer names a record that is not in the batch
    handler = FakeStreamHandler({"batchItemFailures": [{"itemIdentifier": "no-such-sequence-number"}]})
    poller = stream_poller(stream_table, handler)
    put(stream_table, "a", "b")
    # When the dispatcher polls twice, Then the whole batch came twice
    assert poller.poll_once().deleted == 0
    assert poller.poll_once().deleted == 2
    assert handler.keys(0) == handler.keys(1) == ["OUTBOX#a", "OUTBOX#b"]


@pytest.mark.parametrize(
    ("response", "first"),
    [
        (None, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": "9"}]}, 0),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
    ],
)
def test_stream_partial_batch_response_semantics(response, first):
    # Given a stream batch of three records and the handler's response
    records = [{"dynamodb": {"SequenceNumber": n}} for n in ("1", "2", "3")]
    # When the dispatcher decides where to resume, Then it is the first failed record (0: all)
    assert dispatcher.first_failure(records, response) == first


class FakeStreams:
    """DynamoDB Streams with hand-made shards (moto has one shard that never closes):
    ``shards`` maps id -> (parent id, keys, closed); DescribeStream pages one shard at a time."""

    class exceptions:  # shaped like a boto3 client's
        class ResourceNotFoundException(Exception):
            pass

        class ExpiredIteratorException(Exception):
            pass

        class TrimmedDataAccessException(Exception):
            pass

    def __init__(self, shards: dict[str, tuple[str | None, list[str], bool]]) -> None:
        self.shards = shards
        self.expire_next = False
        self.pages: list[str | None] = []

    def describe_table(self, TableName):
        return {"Table": {"LatestStreamArn": "arn:stream", "StreamSpecification": {"StreamEnabled": True}}}

    def describe_stream(self, StreamArn, ExclusiveStartShardId=None):
        self.pages.append(ExclusiveStartShardId)
        ids = list(self.shards)
        start = ids.index(ExclusiveStartShardId) + 1 if ExclusiveStartShardId else 0
        shard_id = ids[start]
        parent = self.shards[shard_id][0]
        description: dict = {"Shards": [{"ShardId": shard_id, **({"ParentShardId": parent} if parent else {})}]}
        if start + 1 < len(ids):
            description["LastEvaluatedShardId"] = shard_id
        return {"StreamDescription": description}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):
        position = 0 if ShardIteratorType == "TRIM_HORIZON" else int(SequenceNumber.split("-")[1]) + 1
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator, Limit):
        if self.expire_next:
            self.expire_next = False
            raise self.exceptions.ExpiredIteratorException
        shard_id, position = ShardIterator.split("|")
        _, keys, closed = self.shards[shard_id]
        records = [
            {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": key}}, "SequenceNumber": f"{shard_id}-{i}"}}
            for i, key in enumerate(keys)
        ][int(position) : int(position) + Limit]
        end = int(position) + len(records)
        following = {} if closed and end == len(keys) else {"NextShardIterator": f"{shard_id}|{end}"}
        return {"Records": records, **following}


def test_a_child_shard_is_read_after_its_closed_parent_and_an_expired_iterator_is_renewed():
    # Given a closed parent shard and its open child, listed child first over two pages
    fake = FakeStreams({"child": ("parent", ["c"], False), "parent": (None, ["a", "b"], True)})
    handler = FakeStreamHandler()
    consumer = dispatcher.StreamConsumer("relay", "table", 10, "TRIM_HORIZON", handler)
    poller = dispatcher.StreamPoller(consumer, fake, fake, REGION)
    # When the dispatcher polls, Then the parent comes first and the child waits for it
    assert poller.poll_once().received == 2
    assert fake.pages == [None, "child"]
    assert poller.poll_once().received == 1
    assert [handler.keys(0), handler.keys(1)] == [["a", "b"], ["c"]]
    assert handler.batches[0][0]["eventSourceARN"] == "arn:stream"
    assert handler.batches[0][0]["awsRegion"] == REGION
    # When the child gets a record and the held iterator has expired (15 minutes in AWS)
    fake.shards["child"][1].append("d")
    fake.expire_next = True
    # Then the poller reads on from its checkpoint: the new record only, once
    assert poller.poll_once().received == 1
    assert handler.keys() == ["d"]
    assert poller.poll_once().received == 0


def test_dispatcher_reads_a_table_stream_only_when_given_the_stream_clients():
    # Given an app with a stream consumer named by the packaging-time placeholder ARN
    app = make_app([])

    @app.on_dynamodb_record(
        stream_arn="arn:aws:dynamodb:region:account:table/booking-local/stream/created-at-deploy",
        batch_size=25,
        starting_position="TRIM_HORIZON",
        name="outbox_relay",
    )
    def outbox_relay(event):
        return {"batchItemFailures": []}

    # When the dispatcher is built with and without DynamoDB and DynamoDB Streams clients
    with_streams = dispatcher.Dispatcher(app, sqs=None, region=REGION, dynamodb=object(), streams=object())
    without = dispatcher.Dispatcher(app, sqs=None, region=REGION)
    # Then the table's name comes from the ARN and only the first reads its stream
    (consumer,) = dispatcher.stream_consumers(app)
    assert (consumer.table_name, consumer.batch_size, consumer.starting_position) == (
        "booking-local",
        25,
        "TRIM_HORIZON",
    )
    assert "stream booking-local -> outbox_relay" in with_streams.describe()
    assert not any(line.startswith("stream ") for line in without.describe())
