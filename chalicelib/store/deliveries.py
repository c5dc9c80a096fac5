"""Delivery records: each notification is delivered once per channel (idempotency).

Kept in the Powertools idempotency table (key ``id``, TTL ``expiration``) under ids
``notify#<notification id>``, beside (never colliding with) Powertools' own records.

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

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings

ID_PREFIX = "notify#"
# Long enough to outlive every redelivery: SQS keeps messages and DLQs up to 14 days.
RECORD_LIFETIME = timedelta(days=15)
_BATCH_WRITE_LIMIT = 25


class Busy(Exception):
    """Another consumer holds a live claim on this notification: retry later."""


@dataclass(frozen=True)
class Claim:
    notification_id: str
    channels_done: frozenset[str]
    attempt: int


def _table() -> str:
    return get_settings().resolved_idempotency_table_name()


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _channels(item: dict[str, Any]) -> frozenset[str]:
    return frozenset(value["S"] for value in item.get("channels", {}).get("L", []))


def claim(notification_id: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take the notification for delivery; None when it was already delivered."""
    from botocore.exceptions import ClientError

    dynamodb = client("dynamodb")
    key = {"id": {"S": ID_PREFIX + notification_id}}
    try:
        answer = dynamodb.update_item(
            TableName=_table(),
            Key=key,
            UpdateExpression="SET #st = :claimed, lease = :lease, expiration = :exp ADD attempts :one",
            ConditionExpression="attribute_not_exists(id) OR #st = :released OR (#st = :claimed AND lease < :now)",
            ExpressionAttributeNames={"#st": "status"},
            ExpressionAttributeValues={
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
        Key={"id": {"S": ID_PREFIX + notification_id}},
        UpdateExpression="SET #st = :released, channels = :channels, expiration = :exp REMOVE lease",
        ExpressionAttributeNames={"#st": "status"},
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
                    "id": {"S": ID_PREFIX + notification_id},
                    "status": {"S": "done"},
                    "channels": {"L": [{"S": c} for c in sorted(channels)]},
                    "expiration": expiration,
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
