"""Retention deadlines from the manifest's named rules (chalicelib/privacy/manifest/_retention.toml).

Other areas stamp an item with ``chalicelib.store.retention.set_expiry(item, at)`` (or
``stamp_expiry(pk, sk, at)`` on an existing item) using a deadline from ``deadline()``; the
sweep then removes, anonymises or archives it when due (pass ``ttl_backstop=False`` for a
rule whose action is not "delete"). Readers hide expired items with
``chalicelib.store.retention.is_expired(item, now)``.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.privacy.manifest import load


def deadline(rule: str, trigger_at: datetime) -> datetime:
    """When an item under ``rule`` is due, counted from its trigger (creation, deletion...)."""
    return trigger_at + load().rule(rule).window
