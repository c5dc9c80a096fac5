"""Process-wide dependencies that tests replace: the clock.

Services take a ``Clock`` argument; handlers pass ``deps.clock()``. Tests call
``deps.set_clock(FakeClock(...))`` to travel in time.
"""

from __future__ import annotations

from chalicelib.clock import Clock, SystemClock

_clock: Clock = SystemClock()


def clock() -> Clock:
    return _clock


def set_clock(new_clock: Clock) -> None:
    global _clock
    _clock = new_clock
