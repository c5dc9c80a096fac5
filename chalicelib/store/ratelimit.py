"""Fixed-window counters for rate limits.

Key: ``RL#<scope>#<h>`` / ``W#<window start>`` (h: keyed hash of the subject, e.g. a phone or
an IP; the window start in the codec's format). One UpdateItem per hit: ``ADD hits 1`` only
while ``hits < limit``; a refused condition means the limit is reached. TTL removes old windows.

Hot subjects. The per-IP scopes (``signin-ip``, ``register-ip``, ``otp-ip``) count one
counter item for everyone behind a shared address (a carrier's NAT, an office), and a
flood from one address would otherwise write that one item once per request: refused hits
cost a write too (a failed condition consumes a write unit), without bound, towards the
1,000 WCU/s a partition takes. No scope is global or per business, and ``otp-addr`` (one
phone or e-mail) is as hot as one person. So instead of splitting a counter (which would
change what the limit means or make it approximate), a refusal is remembered: a counter
only grows within its window, so once a hit is refused the window stays full until it
ends, and this process refuses further hits on it without a call. An item then takes at
most ``limit`` accepted writes per window plus one refused write per warm function
instance per window, whatever the request rate (docs/capacity.md). The limit means
exactly what docs/accounts.md says: the same hits are refused as before.

The memory belongs to the DynamoDB client it was learnt through (a new client, e.g. tests
pointing at a fresh table, starts with none) and holds at most ``_REMEMBERED`` windows.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute

from chalicelib import errors
from chalicelib.retention_rules import window
from chalicelib.security.lookup import lookup_hash
from chalicelib.store import codec, db
from chalicelib.store.table import TableItem

_REMEMBERED = 10_000  # full windows kept per process (a few hundred KB at most)
# client -> {(pk, sk, limit): window end, epoch seconds} of windows known to be full
_full_windows: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, int], int]] = weakref.WeakKeyDictionary()


class RateCounter(TableItem, discriminator="RateCounter"):
    hits = NumberAttribute(default=0)


def hit(scope: str, subject: str, limit: int, window_seconds: int, at: datetime) -> None:
    """Count one hit; RateLimited(retry after the window ends) when the window is full.
    Calls: one conditional UpdateItem, none when this process already saw the window full."""
    now = int(at.timestamp())
    window_start = now - now % window_seconds
    window_end = window_start + window_seconds
    start = datetime.fromtimestamp(window_start, UTC)
    item = RateCounter(pk=f"RL#{scope}#{lookup_hash('rl:' + scope, subject)}", sk=f"W#{codec.encode(start)}")
    full = _full_windows.setdefault(db.client(), {})
    key = (item.pk, item.sk, limit)  # a changed limit (settings) asks the table again
    known_full_until = full.get(key)
    if known_full_until is not None and known_full_until > now:
        raise errors.RateLimited(window_end - now, "Too many attempts; try again later")
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
        _remember(full, key, window_end, now)
        raise errors.RateLimited(window_end - now, "Too many attempts; try again later") from None


def _remember(full: dict[tuple[str, str, int], int], key: tuple[str, str, int], window_end: int, now: int) -> None:
    if len(full) >= _REMEMBERED:
        for stale in [k for k, end in full.items() if end <= now]:
            del full[stale]
        if len(full) >= _REMEMBERED:
            full.clear()  # forgetting only costs a write per window again
    full[key] = window_end
