"""The transactional outbox: notifications written in the same transaction as the change.

    OutboxEvent  PK ``OUTBOX#<event id>``  SK ``EVENT``
                 GSI1 ``OUTBOX#<shard 0-7>`` / ``<recorded_at>#<event id>`` (pending items only)

A booking change adds ``put_operation(...)`` to its TransactWriteItems, so the event exists
exactly when the change committed. The table's stream (keys only) hands the key to the
relay (chalicelib/notify/relay.py), which reads the item, publishes it and deletes it. The
GSI1 entry lets the stranded-event schedule find items the stream did not deliver with one
Query per shard; eight shards spread the index writes of busy hours over partitions.
The event id is deterministic, so writing the same event twice leaves one item.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib import resources
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem

SORT_KEY = "EVENT"
INDEX_SHARDS = 8
# Backstop only: a relayed item is deleted at once; one nobody relayed is moot after this.
TTL = timedelta(days=14)


class OutboxEvent(TableItem, discriminator="OutboxEvent"):
    kind = UnicodeAttribute()
    payload = UnicodeAttribute()  # JSON object
    recorded_at = UnicodeAttribute()


@dataclass(frozen=True)
class PendingEvent:
    partition_key: str
    kind: str
    payload: dict[str, Any]
    recorded_at: datetime


def _table() -> str:
    return get_settings().resolved_table_name()


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def partition_key(event_id: str) -> str:
    return f"{resources.OUTBOX_KEY_PREFIX}{event_id}"


def _index_partition(shard: int) -> str:
    return f"{resources.OUTBOX_KEY_PREFIX}{shard}"


def put_operation(event_id: str, kind: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One TransactWriteItems entry: the event, unconditionally (same id, same event)."""
    recorded = _iso(now)
    shard = zlib.crc32(event_id.encode()) % INDEX_SHARDS
    return {
        "Put": {
            "TableName": _table(),
            "Item": {
                "pk": {"S": partition_key(event_id)},
                "sk": {"S": SORT_KEY},
                "entity": {"S": "OutboxEvent"},
                "kind": {"S": kind},
                "payload": {"S": json.dumps(payload, separators=(",", ":"), sort_keys=True)},
                "recorded_at": {"S": recorded},
                "gsi1pk": {"S": _index_partition(shard)},
                "gsi1sk": {"S": f"{recorded}#{event_id}"},
                "ttl": {"N": str(int((now + TTL).timestamp()))},
            },
        }
    }


def get(pk: str) -> PendingEvent | None:
    """One consistent GetItem: None once the event was relayed."""
    answer = client("dynamodb").get_item(
        TableName=_table(),
        Key={"pk": {"S": pk}, "sk": {"S": SORT_KEY}},
        ConsistentRead=True,
    )
    item = answer.get("Item")
    if item is None:
        return None
    return PendingEvent(
        partition_key=pk,
        kind=item["kind"]["S"],
        payload=json.loads(item["payload"]["S"]),
        recorded_at=datetime.fromisoformat(item["recorded_at"]["S"]),
    )


def delete(event: PendingEvent) -> bool:
    """DeleteItem, only if the item is still the one relayed. False when it was rewritten
    meanwhile (same id, later write): that write's own stream record relays it."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").delete_item(
            TableName=_table(),
            Key={"pk": {"S": event.partition_key}, "sk": {"S": SORT_KEY}},
            ConditionExpression="recorded_at = :read",
            ExpressionAttributeValues={":read": {"S": _iso(event.recorded_at)}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def recorded_before(cutoff: datetime) -> Iterator[str]:
    """Partition keys of events recorded before ``cutoff``: one Query on GSI1 per shard
    (more only when a shard holds over 1 MB of them)."""
    dynamodb = client("dynamodb")
    for shard in range(INDEX_SHARDS):
        kwargs: dict[str, Any] = {
            "TableName": _table(),
            "IndexName": "GSI1",
            "KeyConditionExpression": "gsi1pk = :shard AND gsi1sk < :cutoff",
            "ExpressionAttributeValues": {":shard": {"S": _index_partition(shard)}, ":cutoff": {"S": _iso(cutoff)}},
            "ProjectionExpression": "pk",
        }
        while True:
            page = dynamodb.query(**kwargs)
            for item in page.get("Items", []):
                yield item["pk"]["S"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
