"""Test wiring: build the tables and queues from chalicelib.resources and point the app at them."""

from __future__ import annotations

import os
from typing import Any

from chalicelib import resources
from chalicelib.aws_clients import client, reset_clients
from chalicelib.notify import queues
from chalicelib.settings import get_settings
from chalicelib.store import table

TEST_ENV = {
    # Dummy credentials: nothing in tests may reach real AWS.
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "BOOKING_STAGE": "test",
    "BOOKING_REGION": "eu-central-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


def reconfigure() -> None:
    """Re-read settings from the environment and rebind everything that cached them."""
    get_settings.cache_clear()
    reset_clients()
    queues.reset()
    table.bind(get_settings())


def create_resources() -> None:
    """Tables and queues (with DLQs and redrive), exactly as chalicelib.resources defines them."""
    settings = get_settings()
    dynamodb = client("dynamodb")
    for kwargs in (
        resources.create_table_kwargs(settings.resolved_table_name()),
        resources.create_idempotency_table_kwargs(settings.resolved_idempotency_table_name()),
    ):
        dynamodb.create_table(**kwargs)
        dynamodb.get_waiter("table_exists").wait(TableName=kwargs["TableName"])
    sqs = client("sqs")
    for spec in resources.QUEUES:
        dlq_url = sqs.create_queue(QueueName=resources.dlq_name(settings.stage, spec.logical_name))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.create_queue(
            QueueName=resources.queue_name(settings.stage, spec.logical_name),
            Attributes=redrive_attributes(spec, dlq_arn),
        )


def redrive_attributes(spec: resources.QueueSpec, dlq_arn: str) -> dict[str, Any]:
    import json

    return {
        "VisibilityTimeout": str(spec.visibility_timeout_seconds),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
    }


def delete_tables() -> None:
    settings = get_settings()
    dynamodb = client("dynamodb")
    for name in (settings.resolved_table_name(), settings.resolved_idempotency_table_name()):
        dynamodb.delete_table(TableName=name)


def apply_test_env() -> None:
    for key, value in TEST_ENV.items():
        os.environ[key] = value
