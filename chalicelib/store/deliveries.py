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

from chalicelib.retention_rules import window
from chalicelib.store import codec, db
from chalicelib.store.table import TableItem

PK_PREFIX = "DELIVERY#"
SK = "DELIVERY"
# Long enough to outlive every redelivery: SQS keeps messages and DLQs up to 14 days.
RECORD_LIFETIME = window("delivery_record")


class DeliveryRecord(TableItem, discriminator="DeliveryRecord"):
    """One notification's delivery progress; written with conditional updates and batch puts."""

    status = UnicodeAttribute()
    lease = NumberAttribute(null=True)  # codec.epoch seconds: compared with "now" in the claim condition
    channels = ListAttribute[str](null=True)  # channel names and "push:<device id>"
    attempts = NumberAttribute(null=True)


class Busy(Exception):
    """Another consumer holds a live claim on this notification: retry later."""


@dataclass(frozen=True)
class Claim:
    notification_id: str
    channels_done: frozenset[str]
    attempt: int


def _record(notification_id: str, **values: Any) -> DeliveryRecord:
    return DeliveryRecord(PK_PREFIX + notification_id, SK, **values)


def claim(notification_id: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take the notification for delivery; None when it was already delivered."""
    record = DeliveryRecord
    actions = [
        record.entity.set(DeliveryRecord),
        record.status.set("claimed"),
        record.lease.set(codec.epoch(now + lease)),
        record.ttl.set(now + RECORD_LIFETIME),
        record.attempts.add(1),
    ]
    condition = (
        record.pk.does_not_exist()
        | (record.status == "released")
        | ((record.status == "claimed") & (record.lease < codec.epoch(now)))
    )
    decode = db.decoder(DeliveryRecord)
    pk = PK_PREFIX + notification_id
    try:
        item = db.update_raw(pk, SK, actions, condition=condition, return_values="ALL_NEW", old_on_failure=True)
    except db.ConditionFailed as failed:
        # The old item comes with the failure; an emulator that omits it costs one read.
        old = failed.item or db.get_raw(pk, SK) or {}
        if decode(old)["status"] == "done":
            return None
        raise Busy(notification_id) from None
    values = decode(item or {})
    return Claim(notification_id, frozenset(values["channels"] or ()), int(values["attempts"]))


def release(notification_id: str, channels_done: Iterable[str], now: datetime) -> None:
    """After a failure: keep the channels already delivered, let the next attempt claim at once."""
    db.update(
        _record(notification_id),
        [
            DeliveryRecord.status.set("released"),
            DeliveryRecord.channels.set(sorted(channels_done)),
            DeliveryRecord.ttl.set(now + RECORD_LIFETIME),
            DeliveryRecord.lease.remove(),
        ],
    )


def complete_many(done: Sequence[tuple[str, Iterable[str]]], now: datetime) -> None:
    """Mark delivered notifications done: BatchWriteItem, 25 per call, unprocessed retried."""
    records = [
        _record(notification_id, status="done", channels=sorted(channels), ttl=now + RECORD_LIFETIME)
        for notification_id, channels in done
    ]
    db.batch_write(puts=records)
