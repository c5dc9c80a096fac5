"""Fixed-window counters for rate limits.

Key: ``RL#<scope>#<h>`` / ``W#<window start>`` (h: keyed hash of the subject, e.g. a phone or
an IP). One UpdateItem per hit: ``ADD hits 1`` only while ``hits < limit``; a refused
condition means the limit is reached. TTL removes old windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError

from chalicelib import errors
from chalicelib.security.lookup import lookup_hash
from chalicelib.store.table import TableItem


class RateCounter(TableItem, discriminator="RateCounter"):
    hits = NumberAttribute(default=0)


def hit(scope: str, subject: str, limit: int, window_seconds: int, at: datetime) -> None:
    """Count one hit; RateLimited(retry after the window ends) when the window is full."""
    now = int(at.timestamp())
    window_start = now - now % window_seconds
    window_end = window_start + window_seconds
    item = RateCounter(pk=f"RL#{scope}#{lookup_hash('rl:' + scope, subject)}", sk=f"W#{window_start}")
    try:
        item.update(
            actions=[
                RateCounter.hits.add(1),
                RateCounter.entity.set(RateCounter),  # a first hit creates the item: tag its type
                RateCounter.ttl.set(datetime.fromtimestamp(window_end, UTC) + timedelta(hours=1)),
            ],
            condition=RateCounter.hits.does_not_exist() | (RateCounter.hits < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise errors.RateLimited(window_end - now, "Too many attempts; try again later") from None
        raise errors.DependencyUnavailable("Could not check the rate limit") from exc
