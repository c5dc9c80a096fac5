"""Domain events become notification messages on SQS (one SendMessage each)."""

from __future__ import annotations

from chalicelib.aws_clients import client
from chalicelib.notify import queues
from chalicelib.notify.messages import NotificationMessage


def enqueue(message: NotificationMessage) -> None:
    client("sqs").send_message(
        QueueUrl=queues.queue_url("notifications"),
        MessageBody=message.model_dump_json(),
    )
