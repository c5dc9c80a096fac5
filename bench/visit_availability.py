"""Multi-service availability CPU: a 3-service visit over 20 specialists x 30 days, against the
single-service computation over the same data (issue #18).

The same scenario as bench/availability.py (20 specialists, 30 days, 2,000 bookings, a DST
change inside the range); the visit is its 45-min cut, then a 30-min colour (buffer 5 after)
and a 20-min finish (buffer 5 before), each part with any of the 20 specialists. Only the
in-process pure functions are timed (``time.process_time``; no DynamoDB): the single-service
``union_free_starts`` and the visit's ``chain_free_starts``, warm and cold caches, and the
ratio of their medians. Run: ``python -m bench visit_availability``.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall

from bench.availability import DAYS, RUNS, SPECIALISTS, scenario
from chalicelib.domain import availability
from chalicelib.domain.catalog import Service

TARGET_MS = 100.0  # a visit's availability page should stay well inside an API request's budget


def _timed(chain: bool, cold: bool) -> tuple[float, int]:
    venue, cut, specialists, busy, first_day = scenario()
    now = datetime.combine(first_day, wall(6), tzinfo=UTC)
    last_day = first_day + timedelta(days=DAYS - 1)
    colour = Service("b", "v", "c", "Colour", 30, 4000, "EUR", buffer_after_minutes=5)
    finish = Service("b", "v", "f", "Finish", 20, 1500, "EUR", buffer_before_minutes=5)
    if cold:
        availability._wall_to_epoch.cache_clear()
        availability._offset_at.cache_clear()
    started = time.process_time()
    if chain:
        parts = [(cut, specialists), (colour, specialists), (finish, specialists)]
        found = len(availability.chain_free_starts(venue, parts, busy, first_day, last_day, now))
    else:
        found = len(availability.union_free_starts(venue, cut, specialists, busy, first_day, last_day, now))
    return (time.process_time() - started) * 1000, found


def main() -> None:
    availability.zone("Europe/Sofia")
    results = {}
    for cold in (True, False):
        for chain in (False, True):
            runs = [_timed(chain, cold) for _ in range(RUNS)]
            results[(chain, cold)] = (statistics.median(ms for ms, _ in runs), min(ms for ms, _ in runs), runs[0][1])
    print(f"visit availability: {SPECIALISTS} specialists x {DAYS} days, 3-service visit vs the single service")
    for cold in (True, False):
        label = "cold caches" if cold else "warm caches"
        single, visit = results[(False, cold)], results[(True, cold)]
        print(
            f"  {label}: single {single[0]:.1f} ms (best {single[1]:.1f}, {single[2]} starts); "
            f"visit {visit[0]:.1f} ms (best {visit[1]:.1f}, {visit[2]} starts); ratio {visit[0] / single[0]:.2f} "
            f"(medians of {RUNS} runs)"
        )
    worst = max(results[(True, cold)][0] for cold in (True, False))
    print(f"  verdict: {'within' if worst < TARGET_MS else 'OVER'} target (< {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
