"""Retention deadlines from the manifest's named rules (chalicelib/privacy/manifest/_retention.toml).

Other areas stamp an item with ``stamp(item, rule, trigger_at)`` before saving it (or call
``store.retention.set_expiry(item, at)`` with a deadline from ``deadline()``); the sweep
then removes, anonymises or archives it when due. Readers hide expired items with
``chalicelib.store.retention.is_expired(item, now)``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.privacy.manifest import load
from chalicelib.store import retention as store
from chalicelib.store.table import TableItem


def deadline(rule: str, trigger_at: datetime) -> datetime:
    """When an item under ``rule`` is due, counted from its trigger (creation, deletion...)."""
    return trigger_at + load().rule(rule).window


def stamp(item: TableItem, rule: str, trigger_at: datetime) -> datetime:
    """Set the item's deadline under ``rule`` (not saved here); returns the deadline.

    Only items the sweep deletes get the DynamoDB TTL backstop: TTL must never delete an
    item that is meant to be anonymised or archived instead.
    """
    due = deadline(rule, trigger_at)
    store.set_expiry(item, due, ttl_backstop=load().rule(rule).action == "delete")
    return due


def stamp_existing(pk: str, sk: str, rule: str, trigger_at: datetime) -> bool:
    """Set the deadline of an item already in the table (one UpdateItem)."""
    due = deadline(rule, trigger_at)
    return store.stamp_expiry(pk, sk, due, ttl_backstop=load().rule(rule).action == "delete")
