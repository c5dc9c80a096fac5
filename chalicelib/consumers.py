"""SQS consumers: the notifications queue, processed with Powertools batch processing.

A record that fails is retried by SQS and, after ``max_receive_count`` receives, moves to
the dead-letter queue; the others in its batch are never lost nor delivered twice. That
holds on BOTH deploy paths:

- ``notify_partial_batch_response=true`` (set by infra ONLY where the event source mapping
  has ``FunctionResponseTypes: [ReportBatchItemFailures]``): the handler returns
  ``batchItemFailures`` and Lambda deletes the rest.
- otherwise (Chalice's own event source cannot report item failures): the handler deletes
  the records it delivered itself (DeleteMessageBatch) and then raises, so Lambda returns
  only the failed ones to the queue. If that delete fails too, the delivered ones come back
  and the delivery records (idempotency) make their second pass send nothing.

Returning ``batchItemFailures`` without ReportBatchItemFailures would make Lambda delete
the whole batch, failed records included: that is why the default is to raise.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chalice.app import Chalice, DynamoDBEvent, SQSEvent

from chalicelib import resources

NOTIFICATIONS = "notifications"
WEBHOOKS = "webhooks"


class BatchFailed(Exception):
    """Some records failed and the event source cannot be told which: fail the invocation."""


def register(app: Chalice) -> None:
    spec = resources.queue_spec(NOTIFICATIONS)
    # The queue name is fixed at packaging time: package with BOOKING_STAGE set to the target stage.
    queue = resources.queue_name(resources.stage_from_env(), NOTIFICATIONS)

    @app.on_sqs_message(queue=queue, batch_size=spec.batch_size, name="notifications_consumer")
    def notifications_consumer(event: SQSEvent) -> dict[str, Any]:
        return handle_notifications(event.to_dict(), event.context)

    # TRIM_HORIZON: a relay deployed after writes began still reads the last 24 hours.
    @app.on_dynamodb_record(
        stream_arn=resources.stream_arn_placeholder(resources.stage_from_env()),
        batch_size=resources.OUTBOX_RELAY_BATCH_SIZE,
        starting_position="TRIM_HORIZON",
        name=resources.OUTBOX_RELAY_FUNCTION,
    )
    def outbox_relay(event: DynamoDBEvent) -> dict[str, Any]:
        return handle_outbox_records(event.to_dict(), event.context)

    # business webhooks (issue #18, item 5): one delivery attempt per message
    webhooks_queue = resources.queue_name(resources.stage_from_env(), WEBHOOKS)

    @app.on_sqs_message(
        queue=webhooks_queue, batch_size=resources.queue_spec(WEBHOOKS).batch_size, name="webhooks_consumer"
    )
    def webhooks_consumer(event: SQSEvent) -> None:
        handle_webhooks(event.to_dict())


def handle_notifications(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Deliver a batch of notification messages; returns the partial-batch response."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from pydantic import ValidationError

    from chalicelib import deps
    from chalicelib.notify import dispatcher
    from chalicelib.notify.messages import NotificationMessage
    from chalicelib.observability import logger
    from chalicelib.settings import get_settings

    records: list[dict[str, Any]] = event.get("Records", [])
    batch = dispatcher.BatchContext(now=deps.clock().now())
    user_ids = []
    for raw in records:
        with contextlib.suppress(ValidationError):  # a bad body fails its own record below
            user_ids.append(NotificationMessage.model_validate_json(raw.get("body", "")).user_id or "")
    try:
        batch.preload(user_ids)
    except Exception:  # each record loads its own profile instead
        logger.exception("could not preload notification profiles")

    def deliver(record: SQSRecord) -> None:
        dispatcher.deliver(NotificationMessage.model_validate_json(record.body), batch)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    try:
        with processor(records=records, handler=deliver, lambda_context=context):
            processor.process()
    finally:
        try:
            batch.flush()
        except Exception:  # claims stay open until their lease ends; SQS already has the outcome
            logger.exception("could not close delivery records")
    response: dict[str, Any] = dict(processor.response())
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    logger.info("notification batch", extra={"count": len(records), "status": f"{len(failed)} failed"})
    if failed and not get_settings().notify_partial_batch_response:
        _delete_delivered([r for r in records if r["messageId"] not in failed])
        raise BatchFailed(f"{len(failed)} of {len(records)} notifications failed; they will be retried")
    return response


def _delete_delivered(records: list[dict[str, Any]]) -> None:
    """Remove what was delivered, so failing the invocation returns only the failures."""
    if not records:
        return
    from chalicelib import queues
    from chalicelib.aws_clients import client
    from chalicelib.observability import logger

    entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(records)]
    try:
        sqs = client("sqs")
        url = queues.queue_url(NOTIFICATIONS)
        for start in range(0, len(entries), 10):
            sqs.delete_message_batch(QueueUrl=url, Entries=entries[start : start + 10])
    except Exception:  # they come back and are recognised as delivered
        logger.exception("could not delete delivered notifications")


def handle_outbox_records(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Relay the outbox items a batch of table-stream records points at, and seal the audit
    chain of every new audit record (SEC-6, chalicelib/privacy/audit.py).

    The audit sealer rides on this consumer rather than a second one: a DynamoDB stream
    shard serves at most two concurrent readers before they throttle each other, and the
    sealer needs exactly the relay's semantics (keys only, partial batch responses,
    bisection, bounded retries). Sealing is idempotent: a retried record finds its chain
    already sealed and writes nothing.

    The stream carries keys only; records for other items are skipped (in AWS the event
    source's filter already drops them). Each outbox key is relayed on its own (read the
    item, publish, delete it), so a failure affects only its record. The failure is
    reported like the SQS consumer's: ``batchItemFailures`` where the event source takes
    them, otherwise the invocation fails and Lambda retries the batch; items relayed in
    the first pass are gone and are skipped in the second.
    """
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from chalicelib import deps
    from chalicelib.observability import logger
    from chalicelib.privacy import audit
    from chalicelib.services import events
    from chalicelib.services.subscribers import SUBSCRIPTIONS
    from chalicelib.settings import get_settings

    records: list[dict[str, Any]] = event.get("Records", [])

    def relay_record(record: DynamoDBRecord) -> None:
        if record.event_name is None or record.event_name.name not in ("INSERT", "MODIFY"):
            return
        keys = (record.raw_event.get("dynamodb") or {}).get("Keys") or {}
        partition = (keys.get(resources.TABLE_HASH_KEY) or {}).get("S", "")
        if partition.startswith(resources.OUTBOX_KEY_PREFIX):
            events.relay(partition, SUBSCRIPTIONS)
        elif partition.startswith(resources.AUDIT_KEY_PREFIX) and record.event_name.name == "INSERT":
            sort_key = (keys.get(resources.TABLE_RANGE_KEY) or {}).get("S", "")
            audit.seal_key(partition, sort_key, deps.clock().now())

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=relay_record, lambda_context=context):
        processor.process()
    response: dict[str, Any] = dict(processor.response())
    failed = len(response["batchItemFailures"])
    logger.info("outbox batch", extra={"count": len(records), "status": f"{failed} failed"})
    if failed and not get_settings().notify_partial_batch_response:
        raise BatchFailed(f"{failed} of {len(records)} outbox events failed; the batch will be retried")
    return response


def handle_webhooks(event: dict[str, Any]) -> None:
    """One delivery attempt per record (batch size 1: a slow receiver delays no other). The
    retry schedule is new messages (services/webhooks.py), so a failed attempt is not an
    error here; an exception (DynamoDB or SQS unavailable) makes SQS redeliver the message,
    and after ``max_receive_count`` receives it moves to the dead-letter queue."""
    import json

    from chalicelib import deps
    from chalicelib.services import webhooks

    for record in event.get("Records", []):
        webhooks.deliver(json.loads(record["body"]), deps.clock().now())
