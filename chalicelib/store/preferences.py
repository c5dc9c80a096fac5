"""A user's notification profile: channel choices, push devices, SMS opt-out.

    NotificationProfile  PK ``USER#<u>``  SK ``NOTIFY``

One item per user, so the consumer loads the profiles of a whole SQS batch with one
BatchGetItem. ``choices`` maps ``<category>.<channel>`` to on/off and holds only what the
user changed (defaults live in chalicelib/notify/preferences.py). ``devices`` maps a device
id to its SNS endpoint; the raw push token is never stored (SNS keeps it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from chalicelib.store.table import TableItem

SK = "NOTIFY"
MAX_DEVICES = 10
_BATCH_GET_LIMIT = 100


def _key(user_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": SK}}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class NotificationProfile(TableItem, discriminator="NotificationProfile"):
    user_id = UnicodeAttribute()
    choices = MapAttribute[str, bool](default=dict)
    devices = MapAttribute[str, Any](default=dict)
    sms_opted_out_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Device:
    device_id: str
    platform: str
    endpoint_arn: str
    registered_at: str


@dataclass(frozen=True)
class Profile:
    user_id: str
    choices: dict[str, bool] = field(default_factory=dict)
    devices: tuple[Device, ...] = ()
    sms_opted_out_at: str | None = None


def _to_profile(item: NotificationProfile) -> Profile:
    devices = tuple(
        Device(
            device_id=str(device_id),
            platform=str(value["platform"]),
            endpoint_arn=str(value["endpoint_arn"]),
            registered_at=str(value.get("registered_at", "")),
        )
        for device_id, value in sorted(item.devices.as_dict().items())
    )
    return Profile(
        user_id=item.user_id,
        choices={str(k): bool(v) for k, v in item.choices.as_dict().items()},
        devices=devices,
        sms_opted_out_at=item.sms_opted_out_at,
    )


def load(user_id: str) -> Profile:
    """One GetItem; a user who never changed anything has the defaults."""
    try:
        return _to_profile(NotificationProfile.get(f"USER#{user_id}", SK))
    except NotificationProfile.DoesNotExist:
        return Profile(user_id=user_id)


def load_many(user_ids: Iterable[str]) -> dict[str, Profile]:
    """Profiles of many users: one BatchGetItem per 100 users (PynamoDB retries unprocessed keys)."""
    wanted = sorted(set(user_ids))
    found = {user_id: Profile(user_id=user_id) for user_id in wanted}
    for start in range(0, len(wanted), _BATCH_GET_LIMIT):
        keys = [(f"USER#{u}", SK) for u in wanted[start : start + _BATCH_GET_LIMIT]]
        for item in NotificationProfile.batch_get(keys):
            found[item.user_id] = _to_profile(item)
    return found


def _update(user_id: str, expression: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    if values:
        extra["ExpressionAttributeValues"] = values
    answer: dict[str, Any] = client("dynamodb").update_item(
        TableName=get_settings().resolved_table_name(), Key=_key(user_id), UpdateExpression=expression, **extra
    )
    return answer


def _base_values(user_id: str, at: datetime) -> dict[str, Any]:
    return {":entity": {"S": "NotificationProfile"}, ":user": {"S": user_id}, ":at": {"S": _iso(at)}}


_BASE_SET = "entity = :entity, user_id = :user, updated_at = :at"


def replace_choices(user_id: str, choices: Mapping[str, bool], at: datetime) -> None:
    """PUT semantics: the given choices replace the stored ones (one UpdateItem)."""
    values = _base_values(user_id, at)
    values[":choices"] = {"M": {key: {"BOOL": bool(on)} for key, on in choices.items()}}
    _update(user_id, f"SET {_BASE_SET}, choices = :choices", values)


def add_device(user_id: str, device: Device, at: datetime) -> None:
    """Add or refresh a device (Conflict when the user already has MAX_DEVICES others).

    The limit is a condition on the write, not a read before it. The first device creates
    the map (a nested SET needs the map to exist), racing writers retry the other form."""
    from botocore.exceptions import ClientError

    entry = {
        "M": {
            "platform": {"S": device.platform},
            "endpoint_arn": {"S": device.endpoint_arn},
            "registered_at": {"S": device.registered_at},
        }
    }
    values = _base_values(user_id, at)
    for _ in range(3):
        try:
            _update(
                user_id,
                f"SET {_BASE_SET}, devices.#d = :device",
                {**values, ":device": entry, ":max": {"N": str(MAX_DEVICES)}},
                ExpressionAttributeNames={"#d": device.device_id},
                ConditionExpression=(
                    "attribute_exists(devices) AND (size(devices) < :max OR attribute_exists(devices.#d))"
                ),
            )
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        try:
            _update(
                user_id,
                f"SET {_BASE_SET}, devices = :devices",
                {**values, ":devices": {"M": {device.device_id: entry}}},
                ConditionExpression="attribute_not_exists(devices)",
            )
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # The map exists: either the limit is reached or another writer created it.
            if len(load(user_id).devices) >= MAX_DEVICES:
                raise errors.Conflict(f"At most {MAX_DEVICES} devices per account; remove one first") from None
    raise errors.Conflict("The device list changed meanwhile; try again")


def remove_device(user_id: str, device_id: str) -> Device | None:
    """Remove a device (one UpdateItem); returns what was removed, None if it was not there."""
    from botocore.exceptions import ClientError

    try:
        answer = _update(
            user_id,
            "REMOVE devices.#d",
            {},
            ExpressionAttributeNames={"#d": device_id},
            ConditionExpression="attribute_exists(devices.#d)",
            ReturnValues="UPDATED_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    old = answer.get("Attributes", {}).get("devices", {}).get("M", {}).get(device_id, {}).get("M", {})
    return Device(
        device_id=device_id,
        platform=old.get("platform", {}).get("S", ""),
        endpoint_arn=old.get("endpoint_arn", {}).get("S", ""),
        registered_at=old.get("registered_at", {}).get("S", ""),
    )


def record_sms_opt_out(user_id: str, at: datetime) -> None:
    """SNS said the user's number replied STOP: remember when (shown in preferences)."""
    _update(user_id, f"SET {_BASE_SET}, sms_opted_out_at = :at", _base_values(user_id, at))


def set_choice(user_id: str, key: str, enabled: bool, at: datetime) -> None:
    """Change one choice, keeping the others (unsubscribe link). Conditional writes, no read."""
    from botocore.exceptions import ClientError

    values = {**_base_values(user_id, at), ":on": {"BOOL": enabled}}
    for _ in range(3):
        try:
            _update(
                user_id,
                f"SET {_BASE_SET}, choices.#k = :on",
                values,
                ExpressionAttributeNames={"#k": key},
                ConditionExpression="attribute_exists(choices)",
            )
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        try:
            _update(
                user_id,
                f"SET {_BASE_SET}, choices = :choices",
                {**_base_values(user_id, at), ":choices": {"M": {key: {"BOOL": enabled}}}},
                ConditionExpression="attribute_not_exists(choices)",
            )
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    raise errors.Conflict("The preferences changed meanwhile; try again")
