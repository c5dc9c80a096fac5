"""The local stand-in for Lambda's event source mappings (SQS, DynamoDB Streams) and EventBridge schedules.

`chalice local` serves HTTP only. This dispatcher reads ``app.event_sources`` and, like
AWS would, long-polls each consumer's queue, hands the batch to the same handler as a
Lambda SQS event and deletes only what succeeded (honouring ``batchItemFailures``; an
exception fails the whole batch). Failed messages come back after the visibility
timeout, and SQS's redrive policy moves them to the DLQ after ``maxReceiveCount``.
It also ticks ``rate(...)`` and ``cron(...)`` schedules with EventBridge-shaped events, and
reads table streams for ``@app.on_dynamodb_record`` handlers with a stream mapping's
checkpoint semantics (see StreamPoller).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.app import Chalice, DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

from chalicelib.clock import Clock, SystemClock

log = logging.getLogger("infra.local.dispatcher")

Handler = Callable[[dict[str, Any], Any], Any]
LOCAL_ACCOUNT = "123456789012"
SQS_RECEIVE_LIMIT = 10  # ReceiveMessage returns at most ten messages


@dataclass(frozen=True)
class Consumer:
    name: str
    queue_name: str
    batch_size: int
    handler: Handler


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str
    handler: Handler


@dataclass(frozen=True)
class StreamConsumer:
    name: str
    table_name: str  # from the decorator's stream_arn; the real ARN is read from the table
    batch_size: int
    starting_position: str
    handler: Handler


def consumers(app: Chalice) -> list[Consumer]:
    found = []
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            queue = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
            found.append(Consumer(source.name, queue, source.batch_size, app.handler_map[source.name]))
    return found


def schedules(app: Chalice) -> list[Schedule]:
    found = []
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            found.append(Schedule(source.name, text, app.handler_map[source.name]))
    return found


_STREAM_TABLE = re.compile(r":table/([^/]+)/stream/")


def stream_consumers(app: Chalice) -> list[StreamConsumer]:
    found = []
    for source in app.event_sources:
        if isinstance(source, DynamoDBEventConfig):
            match = _STREAM_TABLE.search(source.stream_arn)
            if match is None:
                raise ValueError(f"{source.name}: no table name in stream ARN {source.stream_arn!r}")
            found.append(
                StreamConsumer(
                    source.name,
                    match.group(1),
                    source.batch_size,
                    source.starting_position,
                    app.handler_map[source.name],
                )
            )
    return found


def lambda_context(function_name: str) -> Any:
    from chalice.local import LambdaContext

    context = LambdaContext(function_name, memory_size=512, max_runtime_ms=900_000)
    context.aws_request_id = str(uuid.uuid4())
    return context


# --- SQS ---------------------------------------------------------------------------


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, from a ReceiveMessage result."""
    attributes = {
        key: value
        for key, value in message.get("Attributes", {}).items()
        if key
        in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
        )
    }
    message_attributes = {}
    for name, value in message.get("MessageAttributes", {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        message_attributes[name] = entry
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def succeeded(records: Sequence[dict[str, Any]], response: Any) -> list[dict[str, Any]]:
    """The records Lambda would delete after the handler returned ``response``.

    With ReportBatchItemFailures, a response naming failed ``itemIdentifier`` s keeps those;
    a malformed failure list (unknown or empty id) fails the whole batch, as in AWS.
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return list(records)
    ids = {record["messageId"] for record in records}
    failed = set()
    for failure in response["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in ids:
            return []
        failed.add(identifier)
    return [record for record in records if record["messageId"] not in failed]


@dataclass
class PollResult:
    """One poll: records handed to the handler, how many of them are done (SQS: deleted;
    streams: checkpointed past), and the handler's exception when it raised."""

    received: int = 0
    deleted: int = 0
    error: str | None = None


class QueuePoller:
    """Feeds one queue to one consumer, batch by batch."""

    def __init__(self, consumer: Consumer, sqs: Any, region: str, wait_seconds: int = 2) -> None:
        self.consumer = consumer
        self._sqs = sqs
        self._region = region
        self._wait_seconds = wait_seconds
        self._queue: tuple[str, str] | None = None  # url, arn

    def _resolve(self) -> tuple[str, str]:
        if self._queue is None:
            url = self._sqs.get_queue_url(QueueName=self.consumer.queue_name)["QueueUrl"]
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._queue = (str(url), str(arn))
        return self._queue

    def poll_once(self) -> PollResult:
        url, arn = self._resolve()
        messages = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(self.consumer.batch_size, SQS_RECEIVE_LIMIT)),
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return PollResult()
        records = [sqs_record(message, arn, self._region) for message in messages]
        try:
            response = self.consumer.handler({"Records": records}, lambda_context(self.consumer.name))
        except Exception as exc:
            # As Lambda: the whole batch fails and comes back after the visibility timeout.
            log.exception("consumer %s failed a batch of %d", self.consumer.name, len(records))
            return PollResult(received=len(records), error=type(exc).__name__)
        done = succeeded(records, response)
        for start in range(0, len(done), SQS_RECEIVE_LIMIT):
            chunk = done[start : start + SQS_RECEIVE_LIMIT]
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )
        if len(done) < len(records):
            log.warning("consumer %s reported %d failed record(s)", self.consumer.name, len(records) - len(done))
        return PollResult(received=len(records), deleted=len(done))


# --- DynamoDB Streams ------------------------------------------------------------------

GET_RECORDS_LIMIT = 1000  # GetRecords returns at most 1000 records


class StreamNotEnabled(Exception):
    """The consumer's table has no stream (yet): the poller retries."""


def stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda DynamoDB event, from a GetRecords result."""
    shaped: dict[str, Any] = _as_event_json(record)
    shaped["eventSourceARN"] = stream_arn
    shaped.setdefault("awsRegion", region)
    return shaped


def _as_event_json(value: Any) -> Any:
    """boto3 parses GetRecords into datetimes and bytes; Lambda's event has epoch seconds and base64."""
    if isinstance(value, dict):
        return {key: _as_event_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_event_json(item) for item in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def first_failure(records: Sequence[dict[str, Any]], response: Any) -> int | None:
    """Where a stream mapping resumes after the handler returned ``response``.

    None when every record is done; otherwise the index of the first failed record: a
    stream is read in order, so everything before it is done and everything from it on
    comes again (checkpoint semantics). A malformed failure list (unknown or empty id)
    fails the whole batch (index 0), as in AWS.
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return None
    positions = {record["dynamodb"]["SequenceNumber"]: index for index, record in enumerate(records)}
    first = len(records)
    for failure in response["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in positions:
            return 0
        first = min(first, positions[identifier])
    return first


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    checkpoint: str | None = None  # sequence number of the last record done; None: none yet
    iterator: str | None = None  # where the next GetRecords reads; None: get one from the checkpoint


class StreamPoller:
    """Feeds one table's stream to one consumer, as a DynamoDB event source mapping does.

    Keeps one position per shard: a checkpoint (the last record done) and the iterator to
    read on from. A shard first seen starts at TRIM_HORIZON whatever the decorator's
    starting position: the dispatcher restarts with the stack, and DynamoDB Local keeps
    the table (and its stream) across restarts, so this replays rather than loses what was
    written while it was down (the consumer must be idempotent, as with Lambda's
    at-least-once delivery). A child shard waits until its parent is read to the end, so
    each item's changes arrive in order.
    """

    def __init__(
        self, consumer: StreamConsumer, dynamodb: Any, streams: Any, region: str, *, refresh_seconds: float = 10.0
    ) -> None:
        self.consumer = consumer
        self._dynamodb = dynamodb
        self._streams = streams
        self._region = region
        self._refresh_seconds = refresh_seconds
        self._stream_arn: str | None = None
        self._shards: dict[str, _Shard] = {}
        self._finished: set[str] = set()  # closed shards read to the end; DescribeStream lists them for 24 h
        self._refreshed_at: float | None = None

    def _resolve(self) -> str:
        if self._stream_arn is None:
            table = self._dynamodb.describe_table(TableName=self.consumer.table_name)["Table"]
            arn = table.get("LatestStreamArn")
            if not arn or not table.get("StreamSpecification", {}).get("StreamEnabled"):
                raise StreamNotEnabled(f"table {self.consumer.table_name} has no stream")
            self._stream_arn = str(arn)
        return self._stream_arn

    def _refresh_shards(self, arn: str) -> None:
        listed: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            listed += description.get("Shards", [])
            if not description.get("LastEvaluatedShardId"):
                break
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]
        for shard in listed:
            shard_id = shard["ShardId"]
            if shard_id not in self._shards and shard_id not in self._finished:
                self._shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"))
        self._finished &= {shard["ShardId"] for shard in listed}  # trimmed away: no need to remember
        self._refreshed_at = time.monotonic()

    def poll_once(self) -> PollResult:
        try:
            return self._poll()
        except self._streams.exceptions.ResourceNotFoundException:
            # The stream is gone (table recreated, stream re-enabled): next time, the table's current one.
            log.warning("stream of %s not found; looking it up again", self.consumer.table_name)
            self._stream_arn, self._shards, self._finished, self._refreshed_at = None, {}, set(), None
            raise

    def _poll(self) -> PollResult:
        arn = self._resolve()
        if self._refreshed_at is None or time.monotonic() - self._refreshed_at >= self._refresh_seconds:
            self._refresh_shards(arn)
        result = PollResult()
        for shard in list(self._shards.values()):
            if shard.parent_id not in self._shards:
                self._read(arn, shard, result)
        return result

    def _read(self, arn: str, shard: _Shard, result: PollResult) -> None:
        response = self._get_records(arn, shard)
        records = [stream_record(record, arn, self._region) for record in response.get("Records", [])]
        size = max(1, self.consumer.batch_size)
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            result.received += len(chunk)
            try:
                answer = self.consumer.handler({"Records": chunk}, lambda_context(self.consumer.name))
            except Exception as exc:
                # As Lambda: the position stays, the same records come again.
                log.exception("consumer %s failed a batch of %d", self.consumer.name, len(chunk))
                result.error = type(exc).__name__
                shard.iterator = None
                return
            failed_at = first_failure(chunk, answer)
            done = chunk if failed_at is None else chunk[:failed_at]
            if done:
                shard.checkpoint = str(done[-1]["dynamodb"]["SequenceNumber"])
            result.deleted += len(done)
            if failed_at is not None:
                log.warning("consumer %s reported %d failed record(s)", self.consumer.name, len(chunk) - len(done))
                shard.iterator = None
                return
        if response.get("NextShardIterator"):
            shard.iterator = str(response["NextShardIterator"])
        else:
            # A closed shard read to the end; its children appear in the next DescribeStream.
            del self._shards[shard.shard_id]
            self._finished.add(shard.shard_id)
            self._refreshed_at = None

    def _get_records(self, arn: str, shard: _Shard) -> dict[str, Any]:
        if shard.iterator is None:
            shard.iterator = self._iterator(arn, shard)
        try:
            return dict(self._streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT))
        except self._streams.exceptions.ExpiredIteratorException:
            # Iterators live 15 minutes (a sleeping laptop): read on from the checkpoint.
            shard.iterator = self._iterator(arn, shard)
            return dict(self._streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT))

    def _iterator(self, arn: str, shard: _Shard) -> str:
        kwargs: dict[str, Any] = {"StreamArn": arn, "ShardId": shard.shard_id, "ShardIteratorType": "TRIM_HORIZON"}
        if shard.checkpoint is not None:
            kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.checkpoint}
        try:
            return str(self._streams.get_shard_iterator(**kwargs)["ShardIterator"])
        except self._streams.exceptions.TrimmedDataAccessException:
            # The checkpoint is older than the stream keeps (24 h): read what is left.
            log.warning(
                "stream records after %s were trimmed; reading %s from its start", shard.checkpoint, shard.shard_id
            )
            shard.checkpoint = None
            return self._iterator(arn, shard)


# --- schedules ---------------------------------------------------------------------

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_WEEKDAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}  # AWS: 1 = Sunday


def parse_rate(expression: str) -> timedelta | None:
    match = _RATE.match(expression.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2).rstrip("s")
    return {"minute": timedelta(minutes=amount), "hour": timedelta(hours=amount), "day": timedelta(days=amount)}[unit]


def _field_values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """Values a cron field allows; None means any (``*`` or ``?``)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = _cron_number(first, names)
            end = _cron_number(last, names) if last else (high if step_text else start)
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ValueError(f"cron field {text!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _cron_number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"unsupported cron token {text!r} (the local dispatcher knows *, ?, lists, ranges, steps)")
    return int(text)


@dataclass(frozen=True)
class Cron:
    """AWS cron: minutes hours day-of-month month day-of-week year, matched per minute (UTC)."""

    minutes: set[int] | None
    hours: set[int] | None
    days: set[int] | None
    months: set[int] | None
    weekdays: set[int] | None
    years: set[int] | None

    @classmethod
    def parse(cls, expression: str) -> Cron | None:
        match = _CRON.match(expression.strip())
        if not match:
            return None
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ValueError(f"{expression!r}: AWS cron has six fields")
        return cls(
            _field_values(fields[0], 0, 59),
            _field_values(fields[1], 0, 23),
            _field_values(fields[2], 1, 31),
            _field_values(fields[3], 1, 12, _MONTHS),
            _field_values(fields[4], 1, 7, _WEEKDAYS),
            _field_values(fields[5], 1970, 2199),
        )

    def matches(self, instant: datetime) -> bool:
        at = instant.astimezone(UTC)
        weekday = at.isoweekday() % 7 + 1  # Monday=1..Sunday=7 -> Sunday=1..Saturday=7
        checks = (
            (self.minutes, at.minute),
            (self.hours, at.hour),
            (self.days, at.day),
            (self.months, at.month),
            (self.weekdays, weekday),
            (self.years, at.year),
        )
        return all(allowed is None or value in allowed for allowed, value in checks)


def scheduled_event(schedule: Schedule, at: datetime, region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{LOCAL_ACCOUNT}:rule/{schedule.name}"],
        "detail": {},
    }


@dataclass
class _Timer:
    schedule: Schedule
    period: timedelta | None
    cron: Cron | None
    next_due: datetime | None = None
    last_minute: datetime | None = None


@dataclass
class ScheduleTicker:
    """Decides which schedules are due at ``now``; ``tick`` invokes them."""

    schedules: Iterable[Schedule]
    started_at: datetime
    region: str = "eu-central-1"
    _timers: list[_Timer] = field(init=False)

    def __post_init__(self) -> None:
        self._timers = []
        start_minute = self.started_at.replace(second=0, microsecond=0)
        for schedule in self.schedules:
            period = parse_rate(schedule.expression)
            cron = None if period else Cron.parse(schedule.expression)
            if period is None and cron is None:
                raise ValueError(f"schedule {schedule.name}: unsupported expression {schedule.expression!r}")
            # A rate fires one period after start (as a new EventBridge rule does); a cron
            # fires in each matching minute after the start minute.
            due = self.started_at + period if period else None
            self._timers.append(_Timer(schedule, period, cron, next_due=due, last_minute=start_minute))

    def all(self) -> list[Schedule]:
        return [timer.schedule for timer in self._timers]

    def due(self, now: datetime) -> list[Schedule]:
        fired = []
        minute = now.replace(second=0, microsecond=0)
        for timer in self._timers:
            if timer.period is not None and timer.next_due is not None:
                if now >= timer.next_due:
                    fired.append(timer.schedule)
                    while timer.next_due <= now:  # a sleeping laptop fires once, not a backlog
                        timer.next_due += timer.period
            elif timer.cron is not None and timer.last_minute is not None and minute > timer.last_minute:
                candidate = timer.last_minute + timedelta(minutes=1)
                while candidate <= minute:
                    if timer.cron.matches(candidate):
                        fired.append(timer.schedule)
                        break
                    candidate += timedelta(minutes=1)
                timer.last_minute = minute
        return fired

    def tick(self, now: datetime) -> list[str]:
        """Invoke every due schedule; returns their names. A failing handler is logged, not fatal."""
        names = []
        for schedule in self.due(now):
            names.append(schedule.name)
            try:
                schedule.handler(scheduled_event(schedule, now, self.region), lambda_context(schedule.name))
            except Exception:
                log.exception("schedule %s failed", schedule.name)
        return names


# --- the running dispatcher ----------------------------------------------------------


class Dispatcher:
    """Background threads: one long-poller per queue consumer, one reader per table-stream
    consumer (when given DynamoDB and DynamoDB Streams clients) and one schedule ticker."""

    def __init__(
        self,
        app: Chalice,
        sqs: Any,
        region: str,
        *,
        dynamodb: Any = None,
        streams: Any = None,
        clock: Clock | None = None,
        wait_seconds: int = 2,
        tick_seconds: float = 1.0,
        idle_seconds: float = 0.5,
    ) -> None:
        self._clock = clock or SystemClock()
        self.pollers = [QueuePoller(c, sqs, region, wait_seconds) for c in consumers(app)]
        self.stream_pollers = (
            [StreamPoller(c, dynamodb, streams, region) for c in stream_consumers(app)]
            if dynamodb is not None and streams is not None
            else []
        )
        self.ticker = ScheduleTicker(schedules(app), self._clock.now(), region)
        self._tick_seconds = tick_seconds
        self._idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for poller in self.pollers:
            thread = threading.Thread(target=self._poll_loop, args=(poller,), name=f"sqs:{poller.consumer.name}")
            self._threads.append(thread)
        for reader in self.stream_pollers:
            thread = threading.Thread(target=self._stream_loop, args=(reader,), name=f"stream:{reader.consumer.name}")
            self._threads.append(thread)
        self._threads.append(threading.Thread(target=self._tick_loop, name="schedules"))
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _poll_loop(self, poller: QueuePoller) -> None:
        while not self._stop.is_set():
            try:
                poller.poll_once()
            except Exception as exc:  # queue or endpoint not (yet) reachable: retry, don't die
                log.warning("polling %s failed (%s); retrying", poller.consumer.queue_name, type(exc).__name__)
                self._stop.wait(2)

    def _stream_loop(self, reader: StreamPoller) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                result = reader.poll_once()
            except Exception as exc:  # table, stream or endpoint not (yet) there: retry, don't die
                log.warning("reading the stream of %s failed (%s); retrying", reader.consumer.table_name, repr(exc))
                self._stop.wait(2)
                continue
            # GetRecords does not wait for data: pause when idle. A failing record comes
            # again at once in AWS; here after a growing pause, so the log stays readable.
            failures = failures + 1 if result.deleted < result.received else 0
            if failures:
                self._stop.wait(min(30.0, self._idle_seconds * 2**failures))
            elif result.received == 0:
                self._stop.wait(self._idle_seconds)

    def _tick_loop(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            self.ticker.tick(self._clock.now())

    def describe(self) -> list[str]:
        lines = [f"sqs {p.consumer.queue_name} -> {p.consumer.name}" for p in self.pollers]
        lines += [f"stream {p.consumer.table_name} -> {p.consumer.name}" for p in self.stream_pollers]
        lines += [f"{s.expression} -> {s.name}" for s in self.ticker.all()]
        return lines
