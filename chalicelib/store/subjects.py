"""Finding and removing one data subject's items across the single table (RIGHT-1, RIGHT-4).

Every item about a user is reachable by key, never by Scan:
- the user's partition ``USER#<u>`` (profile, registration, consents, preferences, favourites...),
- GSI1 ``USER#<u>`` (sessions, staff memberships, privacy requests),
- GSI1 ``CUST#<u>`` (bookings as a customer),
- ``IDEM#<u>`` (booking idempotency records),
- the contact claims ``PHONE#<h>`` / ``EMAIL#<h>`` / ``TG#<h>`` named by the profile.

Items are handled raw (DynamoDB attribute values): the privacy engine treats every entity
alike, guided by the manifest. Each listing is a paginated Query: a fixed number of calls
per page of the subject's own data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings

RawItem = dict[str, Any]

# (index or None, key attribute, key template) for every place a user's items live.
LOCATIONS: tuple[tuple[str | None, str, str], ...] = (
    (None, "pk", "USER#{u}"),
    ("GSI1", "gsi1pk", "USER#{u}"),
    ("GSI1", "gsi1pk", "CUST#{u}"),
    (None, "pk", "IDEM#{u}"),
)


def _table() -> str:
    return get_settings().resolved_table_name()


def _query(index: str | None, key: str, value: str) -> Iterator[RawItem]:
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "#k = :v",
        "ExpressionAttributeNames": {"#k": key},
        "ExpressionAttributeValues": {":v": {"S": value}},
    }
    if index:
        kwargs["IndexName"] = index
    else:
        kwargs["ConsistentRead"] = True
    for page in client("dynamodb").get_paginator("query").paginate(**kwargs):
        yield from page.get("Items", [])


def items_of(user_id: str) -> list[RawItem]:
    """Every item keyed by the user (deduplicated by primary key)."""
    seen: dict[tuple[str, str], RawItem] = {}
    for index, key, template in LOCATIONS:
        for item in _query(index, key, template.format(u=user_id)):
            seen.setdefault((item["pk"]["S"], item["sk"]["S"]), item)
    return list(seen.values())


def get(pk: str, sk: str) -> RawItem | None:
    found: RawItem | None = (
        client("dynamodb")
        .get_item(TableName=_table(), Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
        .get("Item")
    )
    return found


def delete_keys(keys: Iterable[tuple[str, str]]) -> int:
    """BatchWriteItem deletes, 25 per call, retrying unprocessed ones."""
    pending = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in keys]
    for start in range(0, len(pending), 25):
        request: dict[str, Any] = {_table(): pending[start : start + 25]}
        while request:
            request = client("dynamodb").batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(pending)


def remove_attributes(pk: str, sk: str, names: Iterable[str]) -> None:
    """REMOVE the named attributes of an existing item (one UpdateItem; no-op if absent)."""
    from botocore.exceptions import ClientError

    names = sorted(set(names))
    if not names:
        return
    placeholders = {f"#a{i}": name for i, name in enumerate(names)}
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="REMOVE " + ", ".join(placeholders),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=placeholders,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def deactivate_user(pk: str, sk: str, at: datetime, remove: Iterable[str]) -> bool:
    """Close the account: ``active = false`` and drop the named credential/contact attributes.

    One UpdateItem; False when there is no such profile.
    """
    from botocore.exceptions import ClientError

    removals = {f"#r{i}": name for i, name in enumerate(sorted(set(remove)))}
    expression = "SET #active = :false, #updated = :at"
    if removals:
        expression += " REMOVE " + ", ".join(removals)
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#active": "active", "#updated": "updated_at", **removals},
            ExpressionAttributeValues={
                ":false": {"BOOL": False},
                ":at": {"S": at.isoformat(timespec="seconds")},
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
