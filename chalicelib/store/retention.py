"""Retention keys: the sparse ByExpiry index, expiry checks for readers, sweep cursors.

An item with a retention deadline carries
- ``exp_pk`` = ``EXPIRES#<yyyy-mm-dd>`` (the UTC day it is due),
- ``exp_sk`` = ``<instant>#<pk>#<sk>`` (due instant first, so a day reads in due order),
- ``ttl`` (optional): DynamoDB's own TTL as a backstop a few days later, only for items
  the sweep deletes outright (never for items it anonymises or archives).

Only such items are in the index, so a sweep reads what is due and nothing else.
Readers call ``is_expired(item, now)`` and treat an expired item as absent: the sweep
may not have run yet, and DynamoDB Local never runs TTL on tables with a GSI.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem

EXPIRES_PREFIX = "EXPIRES#"
TTL_BACKSTOP = timedelta(days=3)


def instant(at: datetime) -> str:
    """Fixed-width UTC ISO instant: sorts as it should as a string."""
    if at.tzinfo is None:
        raise ValueError("retention instants must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expiry_keys(pk: str, sk: str, at: datetime) -> tuple[str, str]:
    """(exp_pk, exp_sk) for an item with key (pk, sk) due at ``at``."""
    return f"{EXPIRES_PREFIX}{at.astimezone(UTC).date().isoformat()}", f"{instant(at)}#{pk}#{sk}"


def set_expiry(item: TableItem, at: datetime, *, ttl_backstop: bool = True) -> None:
    """Stamp ``item`` (not saved here) as due at ``at``.

    ``ttl_backstop`` also sets DynamoDB TTL a few days later, in case the sweep is down;
    pass False for items the sweep anonymises or archives instead of deleting.
    """
    item.exp_pk, item.exp_sk = expiry_keys(item.pk, item.sk, at)
    item.ttl = (at + TTL_BACKSTOP) if ttl_backstop else None


def clear_expiry(item: TableItem) -> None:
    item.exp_pk = None
    item.exp_sk = None
    item.ttl = None


def due_at(item: Any) -> datetime | None:
    """The instant an item (model or raw dict of plain values) is due, if it has one."""
    exp_sk = item.get("exp_sk") if isinstance(item, dict) else getattr(item, "exp_sk", None)
    if isinstance(exp_sk, dict):  # a raw DynamoDB attribute value
        exp_sk = exp_sk.get("S")
    if exp_sk:
        return datetime.strptime(str(exp_sk).split("#", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    ttl = item.get("ttl") if isinstance(item, dict) else getattr(item, "ttl", None)
    if isinstance(ttl, dict):
        ttl = ttl.get("N")
    if isinstance(ttl, datetime):
        return ttl
    if ttl is not None:
        return datetime.fromtimestamp(int(ttl), UTC)
    return None


def is_expired(item: Any, now: datetime) -> bool:
    """True when the item's retention deadline has passed: readers must treat it as gone."""
    deadline = due_at(item)
    return deadline is not None and deadline <= now


def stamp_expiry(pk: str, sk: str, at: datetime, *, ttl_backstop: bool = True) -> bool:
    """Set the deadline of an existing item (one UpdateItem); False if the item is gone.

    An earlier deadline already on the item is kept (never extend retention by accident).
    """
    from botocore.exceptions import ClientError

    exp_pk, exp_sk = expiry_keys(pk, sk, at)
    names = {"#ep": "exp_pk", "#es": "exp_sk"}
    values: dict[str, Any] = {":ep": {"S": exp_pk}, ":es": {"S": exp_sk}}
    update = "SET #ep = :ep, #es = :es"
    if ttl_backstop:
        names["#ttl"] = "ttl"
        values[":ttl"] = {"N": str(int((at + TTL_BACKSTOP).timestamp()))}
        update += ", #ttl = :ttl"
    try:
        client("dynamodb").update_item(
            TableName=get_settings().resolved_table_name(),
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression=update,
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(#es) OR #es > :es)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- sweeps ------------------------------------------------------------------------


def due_on(day: date, until: datetime, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """Raw items due on ``day`` at or before ``until``, in due order (Query on ByExpiry)."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().resolved_table_name(),
        IndexName="ByExpiry",
        KeyConditionExpression="exp_pk = :day AND exp_sk <= :until",
        ExpressionAttributeValues={
            ":day": {"S": f"{EXPIRES_PREFIX}{day.isoformat()}"},
            ":until": {"S": f"{instant(until)}#\uffff"},
        },
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        yield from page.get("Items", [])


class SweepCursor(TableItem, discriminator="SweepCursor"):
    """The last day a sweep finished completely: the next run resumes after it."""

    sweep = UnicodeAttribute()
    last_complete_day = UnicodeAttribute()
    removed_total = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()


def get_cursor(sweep: str) -> date | None:
    try:
        cursor = SweepCursor.get("SWEEP", f"CURSOR#{sweep}", consistent_read=True)
    except SweepCursor.DoesNotExist:
        return None
    return date.fromisoformat(cursor.last_complete_day)


def save_cursor(sweep: str, day: date, removed: int, now: datetime) -> None:
    """Advance the cursor (never backwards: a slower concurrent run cannot rewind it)."""
    from pynamodb.exceptions import PutError

    cursor = SweepCursor(
        pk="SWEEP",
        sk=f"CURSOR#{sweep}",
        sweep=sweep,
        last_complete_day=day.isoformat(),
        removed_total=removed,
        updated_at=instant(now),
    )
    try:
        cursor.save(condition=SweepCursor.pk.does_not_exist() | (SweepCursor.last_complete_day <= day.isoformat()))
    except PutError as exc:
        if not exc.cause_response_code == "ConditionalCheckFailedException":
            raise


# --- what a sweep does to one due item (each call conditional on the deadline it read) ---


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def _still_due(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The item must still carry the deadline the sweep read: if its owner moved or
    # cleared the deadline in the meantime, the sweep leaves it alone.
    return "#es = :es", {":es": item["exp_sk"]}


def delete_due(item: dict[str, Any]) -> bool:
    """DeleteItem on condition the deadline is unchanged; False if it changed or is gone."""
    from botocore.exceptions import ClientError

    condition, values = _still_due(item)
    try:
        client("dynamodb").delete_item(
            TableName=get_settings().resolved_table_name(),
            Key=_key(item),
            ConditionExpression=condition,
            ExpressionAttributeNames={"#es": "exp_sk"},
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def anonymise_due(item: dict[str, Any], remove: list[str], blank: dict[str, dict[str, Any]]) -> bool:
    """Remove (or blank, for required attributes) the named attributes and the deadline,
    in one UpdateItem on condition the deadline is unchanged. The item leaves the index."""
    from botocore.exceptions import ClientError

    condition, values = _still_due(item)
    names = {"#es": "exp_sk", "#ep": "exp_pk", "#ttl": "ttl"}
    removals = ["#ep", "#es", "#ttl"]
    for index, name in enumerate(sorted(set(remove) - set(blank))):
        names[f"#r{index}"] = name
        removals.append(f"#r{index}")
    sets = []
    for index, (name, value) in enumerate(sorted(blank.items())):
        names[f"#b{index}"] = name
        values[f":b{index}"] = value
        sets.append(f"#b{index} = :b{index}")
    expression = (f"SET {', '.join(sets)} " if sets else "") + f"REMOVE {', '.join(removals)}"
    try:
        client("dynamodb").update_item(
            TableName=get_settings().resolved_table_name(),
            Key=_key(item),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def archive_due(item: dict[str, Any], bucket: str, object_key: str) -> bool:
    """Copy the item to passive storage (S3), then delete it from the table."""
    import json

    client("s3").put_object(
        Bucket=bucket,
        Key=object_key,
        Body=json.dumps(item, sort_keys=True).encode(),
        ServerSideEncryption="aws:kms",
    )
    return delete_due(item)
