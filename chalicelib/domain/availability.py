"""Free start times: working plans minus breaks, time off and live bookings, on the venue's grid.

Pure: no AWS, no clock (``now`` is passed in). Local wall-clock rules are evaluated in the
venue's IANA zone, loaded from the pinned ``tzdata`` package (never the host's database).
Internally everything is integer UTC epoch seconds: the hot loop stays cheap (see
bench/availability.py).

Daylight-saving choices (deliberate, see docs/catalog.md):
- A wall-clock interval [start, end) on a local date covers the instants from the FIRST
  occurrence of ``start`` to the LAST occurrence of ``end``. On a fall-back night, hours
  spanning the repeated hour therefore include both passes of it (the specialist really is
  there that long).
- A boundary that does not exist (inside a spring-forward gap) moves to the gap's end: the
  first instant that exists. Hours lying wholly inside the gap vanish.
- Working time is a set of absolute (UTC) intervals built from those wall-clock bounds; it
  is never split where the UTC offset changes. A booking lasts elapsed time, so it may
  cross an offset change (a 60-min service at 02:30+02:00 on a spring-forward night ends
  at 04:30+03:00).
- The slot grid is aligned to local wall-clock minutes (09:00, 09:15, ...): a start takes
  the offset in force at that instant, so starts after a change stay on round local times.
- The buffered interval [start - buffer_before, start + duration + buffer_after) must lie
  inside working time (minus breaks and time off) and avoid every busy interval.
- The starts of a local date do not depend on the dates asked for together with it (the
  neighbouring dates' hours are read too), so one day's answer, which is what the booking
  rule checks, agrees with a range's: a service may run past midnight into the next
  day's adjoining hours.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from chalicelib.domain.catalog import Service, Specialist, TimeRange, Venue

Interval = tuple[datetime, datetime]
_EpochInterval = tuple[int, int]

_DAY = 86400


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone from the pinned tzdata package (raises KeyError for an unknown name)."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise KeyError(name)
    try:
        source = resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
        with source.open("rb") as handle:
            return ZoneInfo.from_file(handle, key=name)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError) as exc:
        raise KeyError(name) from exc


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    except KeyError:
        return False
    return True


def occupied_interval(service: Service, start: datetime) -> Interval:
    """The interval a booking at ``start`` occupies its specialist, buffers included."""
    return (
        start - timedelta(minutes=service.buffer_before_minutes),
        start + timedelta(minutes=service.duration_minutes + service.buffer_after_minutes),
    )


def _epoch(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return int(instant.timestamp())


@lru_cache(maxsize=65536)
def _offset_at(zone_name: str, epoch: int) -> int:
    """UTC offset in seconds at an instant."""
    offset = datetime.fromtimestamp(epoch, zone(zone_name)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


@lru_cache(maxsize=65536)
def _wall_to_epoch(zone_name: str, day: date, wall: time, last: bool) -> int:
    """The instant a local wall-clock reading happens: its first occurrence, or its ``last``
    on a fall-back night; inside a spring-forward gap, the gap's end."""
    tz = zone(zone_name)
    if wall == time(0) and last:  # an end of 00:00 means the midnight that closes the day
        day, last = day + timedelta(days=1), False
    naive = datetime.combine(day, wall)
    first = int(naive.replace(tzinfo=tz, fold=0).timestamp())
    second = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    if first == second:
        return first
    if first < second:  # repeated hour: fold=0 is the earlier pass
        return second if last else first
    # Gap: fold=1 lands before the transition and fold=0 after it; the gap ends at the transition.
    return _transition_after(zone_name, second, first)


def _transition_after(zone_name: str, lo: int, hi: int) -> int:
    """The first instant in (lo, hi] whose offset differs from the offset at ``lo``."""
    base = _offset_at(zone_name, lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(zone_name, mid) == base:
            lo = mid
        else:
            hi = mid
    return hi


def _local_ranges(zone_name: str, day: date, ranges: Iterable[TimeRange]) -> list[_EpochInterval]:
    out = []
    for rng in ranges:
        start = _wall_to_epoch(zone_name, day, rng.start, False)
        end = _wall_to_epoch(zone_name, day, rng.end, True)
        if end > start:
            out.append((start, end))
    return out


def _subtract(base: list[_EpochInterval], holes: Sequence[_EpochInterval]) -> list[_EpochInterval]:
    """``base`` minus ``holes``; both sorted by start, ``base`` disjoint."""
    if not holes:
        return base
    result: list[_EpochInterval] = []
    starts = [h[0] for h in holes]
    for start, end in base:
        # Holes that may overlap [start, end): any whose start < end; skip those ending before start.
        i = max(0, bisect.bisect_right(starts, start) - 1)
        cursor = start
        while i < len(holes) and holes[i][0] < end:
            h_start, h_end = holes[i]
            if h_end > cursor:
                if h_start > cursor:
                    result.append((cursor, h_start))
                cursor = max(cursor, h_end)
                if cursor >= end:
                    break
            i += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _merge(intervals: Iterable[_EpochInterval]) -> list[_EpochInterval]:
    merged: list[_EpochInterval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def working_intervals(venue: Venue, specialist: Specialist, day_from: date, day_to: date) -> list[_EpochInterval]:
    """Working time (UTC epoch seconds) for each local date in [day_from, day_to], minus
    breaks and time off. Sorted and disjoint."""
    exceptions = {exc.day: exc for exc in specialist.exceptions}
    plan = specialist.plan
    pieces: list[_EpochInterval] = []
    day = day_from
    while day <= day_to:
        exception = exceptions.get(day)
        if exception is not None:
            hours = _local_ranges(venue.timezone, day, exception.hours)
            breaks: list[_EpochInterval] = []
        else:
            weekday = day.weekday()
            hours = _local_ranges(venue.timezone, day, plan.hours.get(weekday, ()))
            breaks = _local_ranges(venue.timezone, day, plan.breaks.get(weekday, ()))
        if hours:
            pieces += _subtract(_merge(hours), _merge(breaks))
        day += timedelta(days=1)
    off = _merge((_epoch(t.start), _epoch(t.end)) for t in specialist.time_off)
    return _subtract(_merge(pieces), off)


def free_starts(
    venue: Venue,
    service: Service,
    specialist: Specialist,
    busy: Sequence[Interval],
    day_from: date,
    day_to: date,
    now: datetime,
) -> list[datetime]:
    """Free start instants (UTC, ascending) for ``service`` with ``specialist`` on the local
    dates [day_from, day_to] of the venue's zone.

    ``busy`` holds the specialist's live bookings as UTC intervals, buffers included.
    """
    fromtimestamp = datetime.fromtimestamp
    return [fromtimestamp(s, UTC) for s in _free_epochs(venue, service, specialist, busy, day_from, day_to, now)]


def _free_epochs(
    venue: Venue,
    service: Service,
    specialist: Specialist,
    busy: Sequence[Interval],
    day_from: date,
    day_to: date,
    now: datetime,
) -> list[int]:
    if service.specialist_ids and specialist.specialist_id not in service.specialist_ids:
        return []
    step = venue.slot_interval_minutes * 60
    if step <= 0 or service.duration_minutes <= 0:
        return []
    before = service.buffer_before_minutes * 60
    after = (service.duration_minutes + service.buffer_after_minutes) * 60
    earliest = _epoch(now) + venue.min_notice_minutes * 60
    latest = _epoch(now) + venue.horizon_days * _DAY  # last allowed start (inclusive)

    zone_name = venue.timezone
    # The asked-for local dates as one UTC window; working time is read one date wider on
    # each side so that hours adjoining at midnight are one interval, whatever is asked.
    window_start = _wall_to_epoch(zone_name, day_from, time(0), False)
    window_end = _wall_to_epoch(zone_name, day_to, time(0), True)  # the midnight closing day_to
    first_day = day_from - timedelta(days=1) if day_from > date.min else day_from
    last_day = day_to + timedelta(days=1) if day_to < date.max else day_to
    free = _subtract(
        working_intervals(venue, specialist, first_day, last_day),
        _merge((_epoch(s), _epoch(e)) for s, e in busy),
    )
    starts: list[int] = []
    for start, end in free:
        # Elapsed time: the buffered service must fit in [start, end), offset changes or not.
        first = max(start + before, earliest, window_start)
        last = min(end - after, latest, window_end - 1)
        if last >= first:
            starts += _local_grid(zone_name, first, last, step)
    return starts


def _local_grid(zone_name: str, first: int, last: int, step: int) -> list[int]:
    """Instants in [first, last] whose local wall-clock reading is a multiple of ``step``,
    each read with the offset in force at that instant."""
    starts: list[int] = []
    piece_start = first
    while piece_start <= last:
        offset = _offset_at(zone_name, piece_start)
        piece_end = _next_offset_change(zone_name, piece_start, last + 1)
        aligned = -((-(piece_start + offset)) // step) * step - offset
        starts.extend(range(aligned, piece_end, step))
        piece_start = piece_end
    return starts


def _next_offset_change(zone_name: str, start: int, end: int) -> int:
    """The first instant in (start, end) with another offset than ``start``'s, else ``end``.

    Probes every 12 hours, so two changes closer than that which restore the offset would be
    missed (no zone has them)."""
    base = _offset_at(zone_name, start)
    lo = start
    while lo < end - 1:
        hi = min(lo + _DAY // 2, end - 1)
        if _offset_at(zone_name, hi) != base:
            return _transition_after(zone_name, lo, hi)
        lo = hi
    return end


def day_bounds(venue: Venue, day_from: date, day_to: date) -> Interval:
    """UTC instants of local midnight starting ``day_from`` and ending ``day_to``."""
    tz = zone(venue.timezone)
    start = datetime.combine(day_from, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day_to + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_date(venue: Venue, instant: datetime) -> date:
    return instant.astimezone(zone(venue.timezone)).date()


def union_free_starts(
    venue: Venue,
    service: Service,
    specialists: Sequence[Specialist],
    busy: Mapping[str, Sequence[Interval]],
    day_from: date,
    day_to: date,
    now: datetime,
) -> list[tuple[datetime, tuple[str, ...]]]:
    """ "Any specialist": every free start of any of ``specialists``, ascending, with who is free then."""
    # Unite on integer epochs: only the distinct starts become datetimes (the hot path).
    free_by_start: dict[int, list[str]] = {}
    for person in specialists:
        person_busy = busy.get(person.specialist_id, ())
        for start in _free_epochs(venue, service, person, person_busy, day_from, day_to, now):
            who = free_by_start.get(start)
            if who is None:
                free_by_start[start] = [person.specialist_id]
            else:
                who.append(person.specialist_id)
    fromtimestamp = datetime.fromtimestamp
    return [(fromtimestamp(start, UTC), tuple(free_by_start[start])) for start in sorted(free_by_start)]


# --- multi-service visits (issue #18, item 2) ---------------------------------------------------
#
# A visit is a chain of services, back to back: part i+1 starts when part i's service and
# its buffer after end, plus part i+1's buffer before, so the parts' occupied intervals abut
# (half-open: the same specialist may do two consecutive parts). Only the first part's start
# is on the slot grid and bound by notice and horizon; every part must lie in its
# specialist's working time and avoid their busy intervals.

MAX_VISIT_PARTS = 5  # bounded so one visit fits one TransactWriteItems (docs/bookings.md)

ChainPart = tuple[Service, Sequence[Specialist]]  # a part's service and its candidate specialists
ChainSlot = tuple[datetime, tuple[tuple[datetime, tuple[str, ...]], ...]]  # start, per part (start, who is free)


def chain_offsets(services: Sequence[Service]) -> list[int]:
    """Seconds from the visit's start to each part's start (the first is 0)."""
    offsets = [0]
    for current, following in itertools.pairwise(services):
        gap = current.duration_minutes + current.buffer_after_minutes + following.buffer_before_minutes
        offsets.append(offsets[-1] + gap * 60)
    return offsets


def chain_intervals(services: Sequence[Service], start: datetime) -> list[Interval]:
    """Each part's occupied interval (buffers included) for a visit starting at ``start``."""
    return [
        occupied_interval(service, start + timedelta(seconds=offset))
        for service, offset in zip(services, chain_offsets(services), strict=True)
    ]


def _fits(free: Sequence[_EpochInterval], starts: Sequence[int], lo: int, hi: int) -> bool:
    """Whether [lo, hi) lies inside one of the sorted, disjoint ``free`` intervals."""
    index = bisect.bisect_right(starts, lo) - 1
    return index >= 0 and free[index][1] >= hi


def chain_free_starts(
    venue: Venue,
    parts: Sequence[ChainPart],
    busy: Mapping[str, Sequence[Interval]],
    day_from: date,
    day_to: date,
    now: datetime,
) -> list[ChainSlot]:
    """Starts (UTC, ascending) where the whole visit fits, each with who is free for every
    part at its start. The first part's starts are ``union_free_starts``'s; each later part
    needs one of its candidates free (working time minus busy) for its occupied interval."""
    if not parts:
        return []
    first_service, first_candidates = parts[0]
    first = union_free_starts(venue, first_service, first_candidates, busy, day_from, day_to, now)
    if len(parts) == 1:
        return [(start, ((start, who),)) for start, who in first]
    services = [service for service, _ in parts]
    offsets = chain_offsets(services)
    # Free time of every later candidate, once: read a day wider than the asked dates, as the
    # first part's starts may run past midnight (and the chain further).
    span_days = offsets[-1] // _DAY + 2
    free_of: dict[str, tuple[list[_EpochInterval], list[int]]] = {}
    for _, candidates in parts[1:]:
        for person in candidates:
            if person.specialist_id in free_of:
                continue
            working = working_intervals(venue, person, day_from - timedelta(days=1), day_to + timedelta(days=span_days))
            free = _subtract(working, _merge((_epoch(s), _epoch(e)) for s, e in busy.get(person.specialist_id, ())))
            free_of[person.specialist_id] = (free, [lo for lo, _ in free])
    later = [
        (offset, service.buffer_before_minutes * 60, (service.duration_minutes + service.buffer_after_minutes) * 60, [
            p.specialist_id for p in candidates
            if not service.specialist_ids or p.specialist_id in service.specialist_ids
        ])
        for (service, candidates), offset in zip(parts[1:], offsets[1:], strict=True)
    ]  # fmt: skip
    slots: list[ChainSlot] = []
    fromtimestamp = datetime.fromtimestamp
    for start, who in first:
        base = _epoch(start)
        per_part: list[tuple[datetime, tuple[str, ...]]] = [(start, who)]
        for offset, before, after, ids in later:
            at = base + offset
            free_now = tuple(spec for spec in ids if _fits(free_of[spec][0], free_of[spec][1], at - before, at + after))
            if not free_now:
                break
            per_part.append((fromtimestamp(at, UTC), free_now))
        else:
            slots.append((start, tuple(per_part)))
    return slots


def fits_working_time(venue: Venue, specialist: Specialist, interval: Interval) -> bool:
    """Whether ``interval`` (a later part of a visit, buffers included) lies inside the
    specialist's working time (hours minus breaks and time off) around its local dates."""
    lo, hi = _epoch(interval[0]), _epoch(interval[1])
    first = local_date(venue, interval[0]) - timedelta(days=1)
    last = local_date(venue, interval[1]) + timedelta(days=1)
    free = working_intervals(venue, specialist, first, last)
    return _fits(free, [start for start, _ in free], lo, hi)
