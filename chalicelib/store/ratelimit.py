"""Fixed-window counters for rate limits.

Key: ``RL#<scope>#<h>`` / ``W#<window start>`` (h: keyed hash of the subject, e.g. a phone or
an IP; the window start in the codec's format). One UpdateItem per hit: ``ADD hits 1`` only
while ``hits < limit``; a refused condition means the limit is reached. TTL removes old windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute

from chalicelib import errors
from chalicelib.retention_rules import window
from chalicelib.security.lookup import lookup_hash
from chalicelib.store import codec, db
from chalicelib.store.table import TableItem


class RateCounter(TableItem, discriminator="RateCounter"):
    hits = NumberAttribute(default=0)


def hit(scope: str, subject: str, limit: int, window_seconds: int, at: datetime) -> None:
    """Count one hit; RateLimited(retry after the window ends) when the window is full."""
    now = int(at.timestamp())
    window_start = now - now % window_seconds
    window_end = window_start + window_seconds
    start = datetime.fromtimestamp(window_start, UTC)
    item = RateCounter(pk=f"RL#{scope}#{lookup_hash('rl:' + scope, subject)}", sk=f"W#{codec.encode(start)}")
    try:
        db.update(
            item,
            [
                RateCounter.hits.add(1),
                RateCounter.entity.set(RateCounter),  # a first hit creates the item: tag its type
                RateCounter.ttl.set(start + timedelta(seconds=window_seconds) + window("rate_counter")),
            ],
            condition=RateCounter.hits.does_not_exist() | (RateCounter.hits < limit),
        )
    except db.ConditionFailed:
        raise errors.RateLimited(window_end - now, "Too many attempts; try again later") from None
