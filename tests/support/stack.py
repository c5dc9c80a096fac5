"""Test wiring: build the resources (infra.local.bootstrap, from chalicelib.resources) and point the app at them."""

from __future__ import annotations

import os
import tempfile

from chalicelib import queues
from chalicelib.aws_clients import client, reset_clients
from chalicelib.settings import get_settings
from chalicelib.store import table
from infra.local import bootstrap

TEST_ENV = {
    # Dummy credentials: nothing in tests may reach real AWS.
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    # botocore sends DynamoDB Streams calls to <account>.streams-ddb..., which moto's
    # in-process mock does not route; the regional endpoint it does.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "BOOKING_STAGE": "test",
    "BOOKING_REGION": "eu-central-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
    # QR tickets: the local signer's key file, outside the checkout (one per test process).
    "BOOKING_TICKET_SIGNING_KEY_FILE": os.path.join(
        tempfile.gettempdir(), f"booking-test-ticket-key-{os.getpid()}.pem"
    ),
}


def reconfigure() -> None:
    """Re-read settings from the environment and rebind everything that cached them."""
    get_settings.cache_clear()
    reset_clients()
    queues.reset()
    table.bind(get_settings())


def create_resources() -> None:
    """Tables, queues (with DLQs and redrive), buckets and the SES sender, exactly as `make run` does."""
    bootstrap.create_resources()


def delete_tables() -> None:
    settings = get_settings()
    dynamodb = client("dynamodb")
    dynamodb.delete_table(TableName=settings.resolved_table_name())


def apply_test_env() -> None:
    for key, value in TEST_ENV.items():
        os.environ[key] = value
