"""Availability CPU time: 20 specialists x 30 days with 2,000 existing bookings (target < 50 ms).

Measures only the in-process computation (working plans, breaks, time off, busy intervals,
grid, union across specialists) with ``time.process_time``; the DynamoDB reads are not
included. Run: ``python -m bench.availability``.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall

from chalicelib.domain import availability
from chalicelib.domain.catalog import DateException, Service, Specialist, TimeOff, TimeRange, Venue, WorkingPlan

SPECIALISTS = 20
DAYS = 30
BOOKINGS = 2000
RUNS = 15
TARGET_MS = 50.0


def scenario(seed: int = 7) -> tuple[Venue, Service, list[Specialist], dict[str, list[availability.Interval]], date]:
    rng = random.Random(seed)
    venue = Venue(
        business_id="b",
        venue_id="v",
        name="Bench salon",
        address="1 Main St",
        city="Sofia",
        timezone="Europe/Sofia",  # a DST zone; the range below crosses the October change
        slot_interval_minutes=15,
        min_notice_minutes=60,
        horizon_days=90,
    )
    service = Service("b", "v", "s", "Cut", 45, 3000, "EUR", buffer_before_minutes=5, buffer_after_minutes=10)
    first_day = date(2026, 10, 10)
    day_hours = (TimeRange(wall(9), wall(19)),)
    breaks = (TimeRange(wall(13), wall(14)),)
    specialists = []
    for n in range(SPECIALISTS):
        off_day = first_day + timedelta(days=rng.randrange(DAYS))
        vacation = datetime.combine(first_day + timedelta(days=rng.randrange(DAYS)), wall(8), tzinfo=UTC)
        specialists.append(
            Specialist(
                business_id="b",
                venue_id="v",
                specialist_id=f"p{n:02d}",
                name=f"Specialist {n}",
                plan=WorkingPlan(hours=dict.fromkeys(range(6), day_hours), breaks=dict.fromkeys(range(6), breaks)),
                exceptions=(DateException(off_day, ()),),
                time_off=(TimeOff(vacation, vacation + timedelta(hours=4)),),
            )
        )
    busy: dict[str, list[availability.Interval]] = {s.specialist_id: [] for s in specialists}
    for _ in range(BOOKINGS):
        who = specialists[rng.randrange(SPECIALISTS)].specialist_id
        day = first_day + timedelta(days=rng.randrange(DAYS))
        start = datetime.combine(day, wall(7 + rng.randrange(10), rng.choice((0, 15, 30, 45))), tzinfo=UTC)
        busy[who].append(availability.occupied_interval(service, start))
    return venue, service, specialists, busy, first_day


def run_once(cold: bool) -> tuple[float, int]:
    venue, service, specialists, busy, first_day = scenario()
    now = datetime.combine(first_day, wall(6), tzinfo=UTC)
    if cold:  # as in a fresh Lambda container: no converted wall times cached yet
        availability._wall_to_epoch.cache_clear()
        availability._offset_at.cache_clear()
    started = time.process_time()
    slots = availability.union_free_starts(
        venue, service, specialists, busy, first_day, first_day + timedelta(days=DAYS - 1), now
    )
    elapsed_ms = (time.process_time() - started) * 1000
    return elapsed_ms, len(slots)


def main() -> None:
    availability.zone("Europe/Sofia")  # loading the zone file is import-time work, not per request
    cold = [run_once(cold=True) for _ in range(RUNS)]
    warm = [run_once(cold=False) for _ in range(RUNS)]
    slots = cold[0][1]
    print(f"availability: {SPECIALISTS} specialists x {DAYS} days, {BOOKINGS} bookings -> {slots} distinct starts")
    for label, runs in (("cold caches", cold), ("warm caches", warm)):
        times = sorted(ms for ms, _ in runs)
        print(
            f"  {label}: median {statistics.median(times):.1f} ms CPU, best {times[0]:.1f} ms, "
            f"worst {times[-1]:.1f} ms (target < {TARGET_MS:.0f} ms) over {RUNS} runs"
        )
    worst_median = max(statistics.median(ms for ms, _ in runs) for runs in (cold, warm))
    print(f"  verdict: {'within' if worst_median < TARGET_MS else 'OVER'} target")


if __name__ == "__main__":
    main()
