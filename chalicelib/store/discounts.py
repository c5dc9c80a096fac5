"""Discount codes: PK ``BIZ#<b>``, SK ``DISCOUNT#<CODE>`` (one business's codes in one partition).

``uses`` is only ever changed inside a booking transaction (conditional increment
``uses < max_uses``) or when a booking is cancelled (decrement), see store/bookings.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.aws_clients import client
from chalicelib.domain.bookings import DiscountCode, DiscountKind
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem


class DiscountCodeRecord(TableItem, discriminator="DiscountCodeRecord"):
    business_id = UnicodeAttribute()
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    value = NumberAttribute()
    currency = UnicodeAttribute(null=True)
    valid_from = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    max_uses = NumberAttribute(null=True)  # absent = unlimited
    uses = NumberAttribute(default=0)
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()


def _table() -> str:
    return get_settings().resolved_table_name()


def discount_key(business_id: str, code: str) -> dict[str, Any]:
    return {"pk": {"S": f"BIZ#{business_id}"}, "sk": {"S": f"DISCOUNT#{code}"}}


def _item(code: DiscountCode) -> dict[str, Any]:
    from chalicelib.store.bookings import iso

    return DiscountCodeRecord(
        pk=f"BIZ#{code.business_id}",
        sk=f"DISCOUNT#{code.code}",
        business_id=code.business_id,
        code=code.code,
        kind=code.kind.value,
        value=code.value,
        currency=code.currency,
        valid_from=iso(code.valid_from),
        valid_until=iso(code.valid_until),
        max_uses=code.max_uses,
        uses=code.uses,
        active=code.active,
        created_at=iso(code.created_at),
    ).serialize()


def discount_from_item(item: Mapping[str, Any]) -> DiscountCode:
    from chalicelib.store.bookings import parse_iso

    max_uses = item.get("max_uses")
    currency = item.get("currency")
    return DiscountCode(
        business_id=item["business_id"]["S"],
        code=item["code"]["S"],
        kind=DiscountKind(item["kind"]["S"]),
        value=int(item["value"]["N"]),
        currency=currency["S"] if currency and "S" in currency else None,
        valid_from=parse_iso(item["valid_from"]["S"]),
        valid_until=parse_iso(item["valid_until"]["S"]),
        max_uses=int(max_uses["N"]) if max_uses and "N" in max_uses else None,
        uses=int(item.get("uses", {}).get("N", "0")),
        active=bool(item.get("active", {}).get("BOOL", True)),
        created_at=parse_iso(item["created_at"]["S"]),
    )


def create(code: DiscountCode) -> None:
    """One conditional PutItem: a code is unique within its business."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=_table(), Item=_item(code), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.Conflict(f"The code {code.code} already exists") from None
        raise


def get(business_id: str, code: str) -> DiscountCode | None:
    answer = client("dynamodb").get_item(TableName=_table(), Key=discount_key(business_id, code), ConsistentRead=True)
    item = answer.get("Item")
    return discount_from_item(item) if item else None


def update(
    business_id: str,
    code: str,
    *,
    active: bool | None = None,
    valid_until: datetime | None = None,
    max_uses: int | None = None,
    clear_max_uses: bool = False,
) -> DiscountCode:
    """One conditional UpdateItem (ALL_NEW); NotFound when the code does not exist.

    Lowering ``max_uses`` below the uses already counted is allowed: no further use succeeds."""
    from botocore.exceptions import ClientError

    from chalicelib.store.bookings import iso

    sets: list[str] = []
    removes: list[str] = []
    values: dict[str, Any] = {}
    if active is not None:
        sets.append("active = :active")
        values[":active"] = {"BOOL": active}
    if valid_until is not None:
        sets.append("valid_until = :until")
        values[":until"] = {"S": iso(valid_until)}
    if max_uses is not None:
        sets.append("max_uses = :max")
        values[":max"] = {"N": str(max_uses)}
    elif clear_max_uses:
        removes.append("max_uses")
    expression = " ".join(
        part
        for part in (("SET " + ", ".join(sets)) if sets else "", ("REMOVE " + ", ".join(removes)) if removes else "")
        if part
    )
    if not expression:
        found = get(business_id, code)
        if found is None:
            raise errors.NotFound("No such discount code")
        return found
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "Key": discount_key(business_id, code),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(pk)",
        "ReturnValues": "ALL_NEW",
    }
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        answer = client("dynamodb").update_item(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.NotFound("No such discount code") from None
        raise
    return discount_from_item(answer["Attributes"])


def list_codes(
    business_id: str, *, limit: int, start_key: dict[str, Any] | None = None
) -> tuple[list[DiscountCode], dict[str, Any] | None]:
    """One Query on the business partition, codes in alphabetical order."""
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"BIZ#{business_id}"}, ":prefix": {"S": "DISCOUNT#"}},
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**kwargs)
    return [discount_from_item(item) for item in answer.get("Items", [])], answer.get("LastEvaluatedKey")
