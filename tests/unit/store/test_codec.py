"""The one time codec (chalicelib/store/codec.py): fixed width, zero-padded, ordered,
lossless over every instant a datetime can hold."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from chalicelib.store import codec

EXTREMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(837, 7, 7, 5, 44, 10, tzinfo=UTC),  # the value strftime %Y could not store
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1000, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("instant", EXTREMES)
def test_round_trip_at_the_extremes(instant):
    text = codec.encode(instant)
    assert len(text) == codec.WIDTH
    assert text.endswith("Z")
    assert codec.decode(text) == instant
    assert codec.decode(text).utcoffset() == timedelta(0)


def test_round_trip_and_order_over_the_whole_range():
    rng = random.Random(7)
    span = (EXTREMES[-1] - EXTREMES[0]) // timedelta(microseconds=1)
    instants = [EXTREMES[0] + timedelta(microseconds=rng.randrange(span)) for _ in range(2000)]
    texts = [codec.encode(i) for i in instants]
    assert all(len(t) == codec.WIDTH for t in texts)
    assert [codec.decode(t) for t in texts] == instants
    # Lexical order is time order: sort keys and BETWEEN bounds rely on it.
    assert sorted(texts) == [codec.encode(i) for i in sorted(instants)]


def test_other_offsets_are_stored_in_utc_and_naive_is_refused():
    sofia = timezone(timedelta(hours=3))
    assert codec.encode(datetime(2027, 10, 31, 3, 15, tzinfo=sofia)) == "2027-10-31T00:15:00.000000Z"
    with pytest.raises(ValueError):
        codec.encode(datetime(2027, 1, 1))  # naive: the point of the test


def test_days_are_zero_padded():
    assert codec.day(date(837, 7, 7)) == "0837-07-07"
    assert codec.parse_day("0837-07-07") == date(837, 7, 7)
    assert codec.epoch(datetime(1970, 1, 2, tzinfo=UTC)) == 86400
