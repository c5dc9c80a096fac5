"""Delivery records: each notification is delivered once per channel (idempotency).

    DeliveryRecord  PK ``DELIVERY#<notification id>``  SK ``DELIVERY``  (TTL: 15 days)

A conditional "sent" marker of our own rather than Powertools idempotency: one record
tracks every channel of a notification, and the "done" writes of a whole SQS batch go in
one BatchWriteItem, which keeps a delivery at about two DynamoDB calls (bench/notifications.py).

    status    claimed | released | done
    lease     epoch seconds until which a claim is held by one consumer
    channels  channels already delivered (or found undeliverable): never sent again

Life of a record, two writes on the happy path:
1. ``claim``: one conditional UpdateItem. It succeeds for a new id, a released one, or a
   claim whose lease ran out (its consumer crashed); it fails for ``done`` (a duplicate:
   nothing to send) and for a live claim (``Busy``: SQS redelivers later).
2. ``complete_many``: done, with the channels, for a whole batch in BatchWriteItem calls
   (25 per call). After a failure ``release`` keeps the progress, so a retry sends only
   the channels still missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem

PK_PREFIX = "DELIVERY#"
SK = "DELIVERY"
# Long enough to outlive every redelivery: SQS keeps messages and DLQs up to 14 days.
RECORD_LIFETIME = timedelta(days=15)
_BATCH_WRITE_LIMIT = 25


class DeliveryRecord(TableItem, discriminator="DeliveryRecord"):
    """Declared for the privacy manifest and readers; written with conditional low-level calls."""

    status = UnicodeAttribute()
    lease = NumberAttribute(null=True)
    channels = ListAttribute[str](null=True)  # channel names and "push:<device id>"
    attempts = NumberAttribute(null=True)


class Busy(Exception):
    """Another consumer holds a live claim on this notification: retry later."""


@dataclass(frozen=True)
class Claim:
    notification_id: str
    channels_done: frozenset[str]
    attempt: int


def _table() -> str:
    return get_settings().resolved_table_name()


def _key(notification_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": PK_PREFIX + notification_id}, "sk": {"S": SK}}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _channels(item: dict[str, Any]) -> frozenset[str]:
    return frozenset(value["S"] for value in item.get("channels", {}).get("L", []))


def claim(notification_id: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take the notification for delivery; None when it was already delivered."""
    from botocore.exceptions import ClientError

    dynamodb = client("dynamodb")
    key = _key(notification_id)
    try:
        answer = dynamodb.update_item(
            TableName=_table(),
            Key=key,
            UpdateExpression="SET entity = :entity, #st = :claimed, lease = :lease, #ttl = :exp ADD attempts :one",
            ConditionExpression="attribute_not_exists(pk) OR #st = :released OR (#st = :claimed AND lease < :now)",
            ExpressionAttributeNames={"#st": "status", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":entity": {"S": "DeliveryRecord"},
                ":claimed": {"S": "claimed"},
                ":released": {"S": "released"},
                ":lease": {"N": str(_epoch(now + lease))},
                ":now": {"N": str(_epoch(now))},
                ":exp": {"N": str(_epoch(now + RECORD_LIFETIME))},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # The old item comes with the failure; an emulator that omits it costs one read.
        old: dict[str, Any] = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
        if not old:
            old = dynamodb.get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item", {})
        if old.get("status", {}).get("S") == "done":
            return None
        raise Busy(notification_id) from None
    item = answer["Attributes"]
    return Claim(notification_id, _channels(item), int(item["attempts"]["N"]))


def release(notification_id: str, channels_done: Iterable[str], now: datetime) -> None:
    """After a failure: keep the channels already delivered, let the next attempt claim at once."""
    client("dynamodb").update_item(
        TableName=_table(),
        Key=_key(notification_id),
        UpdateExpression="SET #st = :released, channels = :channels, #ttl = :exp REMOVE lease",
        ExpressionAttributeNames={"#st": "status", "#ttl": "ttl"},
        ExpressionAttributeValues={
            ":released": {"S": "released"},
            ":channels": {"L": [{"S": c} for c in sorted(channels_done)]},
            ":exp": {"N": str(_epoch(now + RECORD_LIFETIME))},
        },
    )


def complete_many(done: Sequence[tuple[str, Iterable[str]]], now: datetime) -> None:
    """Mark delivered notifications done: BatchWriteItem, 25 per call, unprocessed retried."""
    expiration = {"N": str(_epoch(now + RECORD_LIFETIME))}
    requests = [
        {
            "PutRequest": {
                "Item": {
                    **_key(notification_id),
                    "entity": {"S": "DeliveryRecord"},
                    "status": {"S": "done"},
                    "channels": {"L": [{"S": c} for c in sorted(channels)]},
                    "ttl": expiration,
                }
            }
        }
        for notification_id, channels in done
    ]
    dynamodb = client("dynamodb")
    table = _table()
    for start in range(0, len(requests), _BATCH_WRITE_LIMIT):
        pending: list[dict[str, Any]] = requests[start : start + _BATCH_WRITE_LIMIT]
        for _ in range(5):
            answer = dynamodb.batch_write_item(RequestItems={table: pending})
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        else:
            raise RuntimeError(f"{len(pending)} delivery records were not written")
