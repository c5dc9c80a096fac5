"""A user's notification profile: channel choices, push devices, SMS opt-out.

    NotificationProfile  PK ``USER#<u>``  SK ``NOTIFY``

One item per user, so the consumer loads the profiles of a whole SQS batch with one
BatchGetItem. ``choices`` maps ``<category>.<channel>`` to on/off and holds only what the
user changed (defaults live in chalicelib/notify/preferences.py). ``devices`` maps a device
id to its SNS endpoint and registration instant (codec text); the raw push token is never
stored (SNS keeps it). Every write is one conditional UpdateItem through store/db.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path

from chalicelib import errors
from chalicelib.store import codec, db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

SK = "NOTIFY"
MAX_DEVICES = 10


class NotificationProfile(TableItem, discriminator="NotificationProfile"):
    user_id = UnicodeAttribute()
    choices = MapAttribute[str, bool](default=dict)
    devices = MapAttribute[str, Any](default=dict)  # device id -> {platform, endpoint_arn, registered_at}
    sms_opted_out_at = InstantAttribute(null=True)
    updated_at = InstantAttribute(null=True)


@dataclass(frozen=True)
class Device:
    device_id: str
    platform: str
    endpoint_arn: str
    registered_at: datetime | None


@dataclass(frozen=True)
class Profile:
    user_id: str
    choices: dict[str, bool] = field(default_factory=dict)
    devices: tuple[Device, ...] = ()
    sms_opted_out_at: datetime | None = None


def _pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _device(device_id: str, value: Mapping[str, Any]) -> Device:
    registered = value.get("registered_at")
    return Device(
        device_id=str(device_id),
        platform=str(value.get("platform", "")),
        endpoint_arn=str(value.get("endpoint_arn", "")),
        registered_at=codec.decode(str(registered)) if registered else None,
    )


def _to_profile(item: NotificationProfile) -> Profile:
    devices = tuple(_device(device_id, value) for device_id, value in sorted(_plain(item.devices).items()))
    return Profile(
        user_id=item.user_id,
        choices={str(k): bool(v) for k, v in _plain(item.choices).items()},
        devices=devices,
        sms_opted_out_at=item.sms_opted_out_at,
    )


def _plain(value: Any) -> dict[str, Any]:
    return dict(value.as_dict() if isinstance(value, MapAttribute) else value or {})


def load(user_id: str) -> Profile:
    """One GetItem; a user who never changed anything has the defaults."""
    item = db.get(NotificationProfile, _pk(user_id), SK, consistent=False)
    return _to_profile(item) if item is not None else Profile(user_id=user_id)


def load_many(user_ids: Iterable[str]) -> dict[str, Profile]:
    """Profiles of many users: one BatchGetItem per 100 users (unprocessed keys followed)."""
    wanted = sorted(set(user_ids))
    found = {user_id: Profile(user_id=user_id) for user_id in wanted}
    decode = db.decoder(NotificationProfile)
    raw = db.batch_get_raw([(_pk(u), SK) for u in wanted], consistent=False)
    for item in raw.values():
        values = decode(item)
        devices = tuple(_device(d, v) for d, v in sorted((values["devices"] or {}).items()))
        found[values["user_id"]] = Profile(
            user_id=values["user_id"],
            choices={str(k): bool(v) for k, v in (values["choices"] or {}).items()},
            devices=devices,
            sms_opted_out_at=values["sms_opted_out_at"],
        )
    return found


def _update(user_id: str, actions: list[Any], condition: Any = None, **options: Any) -> dict[str, Any] | None:
    """One UpdateItem that also (re)writes the profile's identity and ``updated_at``."""
    return db.update_raw(_pk(user_id), SK, actions, condition=condition, **options)


def _base(user_id: str, at: datetime) -> list[Any]:
    return [
        NotificationProfile.entity.set(NotificationProfile),
        NotificationProfile.user_id.set(user_id),
        NotificationProfile.updated_at.set(at),
    ]


def replace_choices(user_id: str, choices: Mapping[str, bool], at: datetime) -> None:
    """PUT semantics: the given choices replace the stored ones (one UpdateItem)."""
    stored = {key: bool(on) for key, on in choices.items()}
    _update(user_id, [*_base(user_id, at), NotificationProfile.choices.set(stored)])


def add_device(user_id: str, device: Device, at: datetime) -> None:
    """Add or refresh a device (Conflict when the user already has MAX_DEVICES others).

    The limit is a condition on the write, not a read before it. The first device creates
    the map (a nested SET needs the map to exist), racing writers retry the other form."""
    entry = {
        "platform": device.platform,
        "endpoint_arn": device.endpoint_arn,
        "registered_at": codec.encode(device.registered_at or at),
    }
    devices = NotificationProfile.devices
    for _ in range(3):
        try:
            _update(
                user_id,
                [*_base(user_id, at), devices[device.device_id].set(entry)],
                devices.exists() & ((size(devices) < MAX_DEVICES) | devices[device.device_id].exists()),
            )
            return
        except db.ConditionFailed:
            pass
        try:
            _update(user_id, [*_base(user_id, at), devices.set({device.device_id: entry})], devices.does_not_exist())
            return
        except db.ConditionFailed:
            # The map exists: either the limit is reached or another writer created it.
            if len(load(user_id).devices) >= MAX_DEVICES:
                raise errors.Conflict(f"At most {MAX_DEVICES} devices per account; remove one first") from None
    raise errors.Conflict("The device list changed meanwhile; try again")


def remove_device(user_id: str, device_id: str) -> Device | None:
    """Remove a device (one UpdateItem); returns what was removed, None if it was not there."""
    devices = NotificationProfile.devices
    try:
        old = _update(user_id, [devices[device_id].remove()], devices[device_id].exists(), return_values="UPDATED_OLD")
    except db.ConditionFailed:
        return None
    removed = (db.decoder(NotificationProfile)(old or {})["devices"] or {}).get(device_id, {})
    return _device(device_id, removed)


def record_sms_opt_out(user_id: str, at: datetime) -> None:
    """SNS said the user's number replied STOP: remember when (shown in preferences)."""
    _update(user_id, [*_base(user_id, at), NotificationProfile.sms_opted_out_at.set(at)])


def set_choice(user_id: str, key: str, enabled: bool, at: datetime) -> None:
    """Change one choice, keeping the others (unsubscribe link). Conditional writes, no read."""
    choices = NotificationProfile.choices
    for _ in range(3):
        try:
            _update(user_id, [*_base(user_id, at), Path(choices)[key].set(enabled)], choices.exists())
            return
        except db.ConditionFailed:
            pass
        try:
            _update(user_id, [*_base(user_id, at), choices.set({key: enabled})], choices.does_not_exist())
            return
        except db.ConditionFailed:
            pass
    raise errors.Conflict("The preferences changed meanwhile; try again")
