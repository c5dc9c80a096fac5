"""A full rate-limit window is refused without another write: a flood from one shared IP
costs its counter item one write per window per process, not one per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import errors
from chalicelib.store import ratelimit

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_after_the_first_refusal_the_window_is_refused_without_a_call(aws):
    from tests.support.dynamo_calls import counting

    # Given a window with its 3 hits used and one refused hit
    for _ in range(3):
        ratelimit.hit("signin-ip", "203.0.113.9", 3, 900, AT)
    with pytest.raises(errors.RateLimited):
        ratelimit.hit("signin-ip", "203.0.113.9", 3, 900, AT)
    # When 100 more hits come in the same window
    with counting() as calls:
        for n in range(100):
            with pytest.raises(errors.RateLimited) as refused:
                ratelimit.hit("signin-ip", "203.0.113.9", 3, 900, AT + timedelta(seconds=n))
    # Then all are refused with the time left in the window, and none reached DynamoDB
    assert refused.value.retry_after_seconds == 900 - 99
    assert sum(calls.values()) == 0


def test_the_next_window_and_other_subjects_are_counted_as_before(aws):
    # Given a full window for one IP (refused once)
    for _ in range(2):
        ratelimit.hit("signin-ip", "203.0.113.9", 2, 900, AT)
    with pytest.raises(errors.RateLimited):
        ratelimit.hit("signin-ip", "203.0.113.9", 2, 900, AT)
    # Then another IP, another scope and a higher limit still count in the table
    ratelimit.hit("signin-ip", "203.0.113.10", 2, 900, AT)
    ratelimit.hit("otp-ip", "203.0.113.9", 2, 900, AT)
    ratelimit.hit("signin-ip", "203.0.113.9", 3, 900, AT)  # the third hit of a limit of 3
    with pytest.raises(errors.RateLimited):
        ratelimit.hit("signin-ip", "203.0.113.9", 3, 900, AT)
    # And the next window starts empty
    ratelimit.hit("signin-ip", "203.0.113.9", 2, 900, AT + timedelta(seconds=900))
