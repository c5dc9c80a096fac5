"""The AWS resources the app uses, defined once.

infra/ builds the CloudFormation merge template from these definitions and the local
stack and the tests create their tables and queues from them, so local and cloud
cannot drift. Pure data: no SDK imports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

APP_NAME = "booking"
STAGE_VARIABLE = "BOOKING_STAGE"
DEFAULT_STAGE = "local"


def stage_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The stage this process runs, or is packaged, as (what Settings.stage also reads).

    Consumers need their queue names while app.py is imported (Chalice fixes them at
    packaging); reading the one variable here keeps Settings, and pydantic, off that path.
    """
    return environ.get(STAGE_VARIABLE, DEFAULT_STAGE)


# --- main single table -------------------------------------------------------------
# Generic key names (pk/sk and overloaded GSI keys) keep the table entity-agnostic;
# chalicelib/store/ documents which entity uses which key shape.
TABLE_HASH_KEY = "pk"
TABLE_RANGE_KEY = "sk"
TTL_ATTRIBUTE = "ttl"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    range_key: str


TABLE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("GSI1", "gsi1pk", "gsi1sk"),
    IndexSpec("GSI2", "gsi2pk", "gsi2sk"),
    IndexSpec("GSI3", "gsi3pk", "gsi3sk"),
    # Sparse: only items with a retention deadline carry these keys, so a sweep reads
    # exactly what is due ("EXPIRES#yyyy-mm-dd", then the instant and the item key).
    IndexSpec("ByExpiry", "exp_pk", "exp_sk"),
)

# The table's change stream carries keys only (no attribute values, so no personal data
# sits in the stream for its 24 hours). Its one reader is the outbox relay
# (chalicelib/consumers.py), which acts on items whose partition key starts with
# OUTBOX_KEY_PREFIX: notifications written in the same transaction as the booking change.
TABLE_STREAM_VIEW_TYPE = "KEYS_ONLY"
OUTBOX_KEY_PREFIX = "OUTBOX#"
# AUDIT_KEY_PREFIX / AUDIT_RECORD_PREFIX: new audit records, sealed into their chain by the same consumer.
AUDIT_KEY_PREFIX = "AUDIT#"
AUDIT_RECORD_PREFIX = "REC#"
OUTBOX_RELAY_FUNCTION = "outbox_relay"
OUTBOX_RELAY_BATCH_SIZE = 25


def table_name(stage: str) -> str:
    return f"{APP_NAME}-{stage}-main"


def table_attribute_definitions() -> list[dict[str, str]]:
    names = [TABLE_HASH_KEY, TABLE_RANGE_KEY]
    for index in TABLE_INDEXES:
        names += [index.hash_key, index.range_key]
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def table_key_schema() -> list[dict[str, str]]:
    return [
        {"AttributeName": TABLE_HASH_KEY, "KeyType": "HASH"},
        {"AttributeName": TABLE_RANGE_KEY, "KeyType": "RANGE"},
    ]


def table_global_secondary_indexes() -> list[dict[str, Any]]:
    return [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.hash_key, "KeyType": "HASH"},
                {"AttributeName": index.range_key, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in TABLE_INDEXES
    ]


def create_table_kwargs(name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (boto3), on-demand billing, stream on."""
    return {
        "TableName": name,
        "AttributeDefinitions": table_attribute_definitions(),
        "KeySchema": table_key_schema(),
        "GlobalSecondaryIndexes": table_global_secondary_indexes(),
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": TABLE_STREAM_VIEW_TYPE},
    }


def stream_arn_placeholder(stage: str) -> str:
    """What the relay's decorator names at packaging time, before the table exists.

    A stream's ARN ends in its creation time, so no name can be known in advance: the
    merge template (infra/template.py) replaces this with the table's StreamArn and the
    local dispatcher reads the table's LatestStreamArn.
    """
    return f"arn:aws:dynamodb:region:account:table/{table_name(stage)}/stream/created-at-deploy"


# --- queues ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSpec:
    logical_name: str
    visibility_timeout_seconds: int
    max_receive_count: int  # deliveries before SQS moves a message to the DLQ
    batch_size: int


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("notifications", visibility_timeout_seconds=60, max_receive_count=5, batch_size=10),
    QueueSpec("jobs", visibility_timeout_seconds=300, max_receive_count=3, batch_size=1),
    # business webhooks: one attempt per message (timeouts 3 s + 5 s); retries are new messages
    QueueSpec("webhooks", visibility_timeout_seconds=60, max_receive_count=5, batch_size=1),
)


def dlq_retention_seconds() -> int:
    """How long a dead-letter queue keeps a message: the manifest's "dead_letters" rule."""
    from chalicelib.retention_rules import window

    return int(window("dead_letters").total_seconds())


def queue_spec(logical_name: str) -> QueueSpec:
    for spec in QUEUES:
        if spec.logical_name == logical_name:
            return spec
    raise KeyError(logical_name)


def queue_name(stage: str, logical_name: str) -> str:
    return f"{APP_NAME}-{stage}-{logical_name}"


def dlq_name(stage: str, logical_name: str) -> str:
    return f"{queue_name(stage, logical_name)}-dlq"


# --- buckets -----------------------------------------------------------------------

BUCKETS: tuple[str, ...] = ("documents", "exports", "recordings")


def bucket_name(stage: str, logical_name: str) -> str:
    return f"{APP_NAME}-{stage}-{logical_name}"
