"""SQS access by logical queue name (chalicelib.resources.QUEUES)."""

from __future__ import annotations

from functools import cache

from chalicelib import errors, resources
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings


@cache
def queue_url(logical_name: str) -> str:
    name = resources.queue_name(get_settings().stage, logical_name)
    try:
        return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
    except Exception as exc:  # botocore errors: the queue or the endpoint is missing
        raise errors.DependencyUnavailable(f"Queue {logical_name} is not reachable") from exc


def check_queue(logical_name: str) -> str:
    """``ok`` when the queue answers; one GetQueueAttributes call."""
    try:
        client("sqs").get_queue_attributes(QueueUrl=queue_url(logical_name), AttributeNames=["QueueArn"])
    except errors.DependencyUnavailable:
        raise
    except Exception as exc:
        raise errors.DependencyUnavailable(f"Queue {logical_name} is not reachable") from exc
    return "ok"


def reset() -> None:
    queue_url.cache_clear()
