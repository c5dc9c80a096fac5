"""Domain events become notification messages on SQS.

``enqueue`` sends one message (one SendMessage); ``enqueue_many`` sends up to ten per
SendMessageBatch call and raises if SQS refused any entry, so no message is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib import queues
from chalicelib.aws_clients import client
from chalicelib.notify.messages import NotificationMessage

SQS_BATCH_LIMIT = 10


class EnqueueFailed(Exception):
    """SQS refused at least one entry of a batch (the caller may retry: ids are stable)."""


def enqueue(message: NotificationMessage) -> None:
    client("sqs").send_message(
        QueueUrl=queues.queue_url("notifications"),
        MessageBody=message.model_dump_json(),
    )


def enqueue_many(messages: Sequence[NotificationMessage]) -> None:
    sqs = client("sqs")
    url = queues.queue_url("notifications")
    for start in range(0, len(messages), SQS_BATCH_LIMIT):
        chunk = messages[start : start + SQS_BATCH_LIMIT]
        entries = [{"Id": str(i), "MessageBody": m.model_dump_json()} for i, m in enumerate(chunk)]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if answer.get("Failed"):
            raise EnqueueFailed(f"{len(answer['Failed'])} of {len(entries)} notifications were not queued")
