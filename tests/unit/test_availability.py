"""Availability rules on real zones: working plans, breaks, time off, exceptions, buffers,
notice, horizon, the slot grid, and daylight-saving changes (domain only, no AWS)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib.domain.availability import free_starts, is_known_zone, occupied_interval, zone
from chalicelib.domain.catalog import (
    DateException,
    Service,
    Specialist,
    TimeOff,
    TimeRange,
    Venue,
    WorkingPlan,
)

EVERY_DAY = range(7)


def venue(tz: str, **overrides: object) -> Venue:
    fields: dict[str, object] = {
        "business_id": "b",
        "venue_id": "v",
        "name": "Salon",
        "address": "Main 1",
        "city": "City",
        "timezone": tz,
        "slot_interval_minutes": 30,
        "min_notice_minutes": 0,
        "horizon_days": 365,
    }
    fields.update(overrides)
    return Venue(**fields)  # type: ignore[arg-type]


def service(minutes: int = 60, before: int = 0, after: int = 0, specialists: tuple[str, ...] = ()) -> Service:
    return Service(
        business_id="b",
        venue_id="v",
        service_id="s",
        name="Cut",
        duration_minutes=minutes,
        price_minor=1000,
        currency="EUR",
        buffer_before_minutes=before,
        buffer_after_minutes=after,
        specialist_ids=specialists,
    )


def hours(*ranges: tuple[str, str]) -> tuple[TimeRange, ...]:
    return tuple(TimeRange(time.fromisoformat(a), time.fromisoformat(b)) for a, b in ranges)


def specialist(
    day_hours: tuple[TimeRange, ...],
    breaks: tuple[TimeRange, ...] = (),
    exceptions: tuple[DateException, ...] = (),
    time_off: tuple[TimeOff, ...] = (),
) -> Specialist:
    return Specialist(
        business_id="b",
        venue_id="v",
        specialist_id="p1",
        name="Aysel",
        plan=WorkingPlan(hours=dict.fromkeys(EVERY_DAY, day_hours), breaks=dict.fromkeys(EVERY_DAY, breaks)),
        exceptions=exceptions,
        time_off=time_off,
    )


def local(tz: str, starts: list[datetime]) -> list[str]:
    """Starts as local wall-clock readings with their offset, e.g. '14:00+03:00'."""
    return [s.astimezone(zone(tz)).strftime("%H:%M%z") for s in starts]


LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)  # every test day lies within the 365-day horizon


def test_zone_without_dst_with_a_break():
    # Given a Baku venue (UTC+4 all year), hours 09:00-13:00 with a break 11:00-12:00, 60-min service
    tz = "Asia/Baku"
    worker = specialist(hours(("09:00", "13:00")), breaks=hours(("11:00", "12:00")))
    # When free starts for one day are computed
    starts = free_starts(venue(tz), service(60), worker, [], date(2026, 7, 6), date(2026, 7, 6), LONG_AGO)
    # Then they lie on the 30-min grid, end before the break or start after it
    assert local(tz, starts) == ["09:00+0400", "09:30+0400", "10:00+0400", "12:00+0400"]
    assert starts[0] == datetime(2026, 7, 6, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "change_day", "utc_before", "utc_on"),
    [
        # Spring forward: the afternoon on the change day is one hour earlier in UTC.
        ("Europe/Sofia", date(2026, 3, 29), 12, 11),
        ("America/New_York", date(2026, 3, 8), 19, 18),
        # Fall back: one hour later in UTC.
        ("Europe/Sofia", date(2026, 10, 25), 11, 12),
        ("America/New_York", date(2026, 11, 1), 18, 19),
    ],
)
def test_afternoon_hours_follow_the_local_clock_across_a_dst_change(tz, change_day, utc_before, utc_on):
    # Given afternoon hours 14:00-16:00 every day
    worker = specialist(hours(("14:00", "16:00")))
    day_before = change_day - timedelta(days=1)
    # When the day before the change and the change day are computed together
    starts = free_starts(venue(tz), service(60), worker, [], day_before, change_day, LONG_AGO)
    # Then both days start at 14:00 local, which is a different UTC hour on each side of the change
    assert [s.strftime("%H:%M") for s in local_starts(tz, starts)] == ["14:00", "14:30", "15:00"] * 2
    assert starts[0] == datetime.combine(day_before, time(utc_before), tzinfo=UTC)
    assert starts[3] == datetime.combine(change_day, time(utc_on), tzinfo=UTC)


def local_starts(tz: str, starts: list[datetime]) -> list[datetime]:
    return [s.astimezone(zone(tz)) for s in starts]


def test_spring_forward_night_hours_skip_the_missing_hour():
    # Given Sofia hours 02:00-05:00 on the night the clocks jump 03:00 -> 04:00
    tz = "Europe/Sofia"
    worker = specialist(hours(("02:00", "05:00")))
    day = date(2026, 3, 29)
    # When a 30-min service is computed on a 30-min grid
    starts = free_starts(venue(tz), service(30), worker, [], day, day, LONG_AGO)
    # Then only the two real hours are offered, on round local times with their offsets
    assert local(tz, starts) == ["02:00+0200", "02:30+0200", "04:00+0300", "04:30+0300"]


def test_hours_starting_inside_the_gap_start_at_its_end():
    # Given hours 03:30-05:00 on the spring-forward night (03:30 does not exist in Sofia)
    tz = "Europe/Sofia"
    worker = specialist(hours(("03:30", "05:00")))
    day = date(2026, 3, 29)
    # When computed
    starts = free_starts(venue(tz), service(30), worker, [], day, day, LONG_AGO)
    # Then the day starts when the clock reads 04:00 (the gap's end)
    assert local(tz, starts) == ["04:00+0300", "04:30+0300"]


def test_fall_back_night_hours_include_both_passes_of_the_repeated_hour():
    # Given Sofia hours 02:00-05:00 on the night the clocks go 04:00 -> 03:00
    tz = "Europe/Sofia"
    worker = specialist(hours(("02:00", "05:00")))
    day = date(2026, 10, 25)
    # When computed
    starts = free_starts(venue(tz), service(30), worker, [], day, day, LONG_AGO)
    # Then 03:00 and 03:30 are offered twice, told apart by their offsets (4 real hours)
    assert local(tz, starts) == [
        "02:00+0300",
        "02:30+0300",
        "03:00+0300",
        "03:30+0300",
        "03:00+0200",
        "03:30+0200",
        "04:00+0200",
        "04:30+0200",
    ]
    assert len(set(starts)) == 8


def test_buffers_must_avoid_busy_intervals_and_fit_in_working_hours():
    # Given 09:00-13:00 (Baku), a busy interval 10:00-11:00 local, a 60-min service with 15-min buffers
    tz = "Asia/Baku"
    worker = specialist(hours(("09:00", "13:00")))
    busy = [(datetime(2026, 7, 6, 6, 0, tzinfo=UTC), datetime(2026, 7, 6, 7, 0, tzinfo=UTC))]
    day = date(2026, 7, 6)
    # When computed on a 15-min grid
    starts = free_starts(
        venue(tz, slot_interval_minutes=15), service(60, before=15, after=15), worker, busy, day, day, LONG_AGO
    )
    # Then no buffered interval touches the busy one or leaves working hours
    assert local(tz, starts) == ["11:15+0400", "11:30+0400", "11:45+0400"]
    for start in starts:
        begin, end = occupied_interval(service(60, before=15, after=15), start)
        assert end <= busy[0][0] or begin >= busy[0][1]


def test_min_notice_and_horizon():
    # Given 09:00-18:00 in New York, now = 09:10 local on 2026-07-06, notice 2 h, horizon 1 day
    tz = "America/New_York"
    worker = specialist(hours(("09:00", "18:00")))
    now = datetime(2026, 7, 6, 13, 10, tzinfo=UTC)  # 09:10 EDT
    place = venue(tz, min_notice_minutes=120, horizon_days=1)
    # When three days are asked for
    starts = free_starts(place, service(60), worker, [], date(2026, 7, 6), date(2026, 7, 8), now)
    # Then the first start is the first grid time after now + 2 h, and none lies beyond now + 1 day
    assert starts[0] == datetime(2026, 7, 6, 15, 30, tzinfo=UTC)  # 11:30 local
    assert max(starts) <= now + timedelta(days=1)
    assert {s.astimezone(zone(tz)).date() for s in starts} == {date(2026, 7, 6), date(2026, 7, 7)}
    assert starts[-1] == datetime(2026, 7, 7, 13, 0, tzinfo=UTC)  # 09:00 local next day, <= now + 24 h


def test_time_off_removes_slots():
    # Given 09:00-12:00 Baku and time off 10:00-11:00 local
    tz = "Asia/Baku"
    off = TimeOff(datetime(2026, 7, 6, 6, 0, tzinfo=UTC), datetime(2026, 7, 6, 7, 0, tzinfo=UTC))
    worker = specialist(hours(("09:00", "12:00")), time_off=(off,))
    day = date(2026, 7, 6)
    # When computed
    starts = free_starts(venue(tz), service(60), worker, [], day, day, LONG_AGO)
    # Then only the hours around the time off remain
    assert local(tz, starts) == ["09:00+0400", "11:00+0400"]


def test_date_exception_replaces_the_weekly_plan():
    # Given 09:00-12:00 with a break 10:00-11:00, a day off on the 6th and special hours on the 7th
    tz = "Europe/Sofia"
    exceptions = (
        DateException(day=date(2026, 7, 6), hours=()),
        DateException(day=date(2026, 7, 7), hours=hours(("15:00", "17:00"))),
    )
    worker = specialist(hours(("09:00", "12:00")), breaks=hours(("10:00", "11:00")), exceptions=exceptions)
    # When three days are computed
    starts = free_starts(venue(tz), service(60), worker, [], date(2026, 7, 6), date(2026, 7, 8), LONG_AGO)
    by_day: dict[date, list[str]] = {}
    for s in local_starts(tz, starts):
        by_day.setdefault(s.date(), []).append(s.strftime("%H:%M"))
    # Then the day off has nothing, the special day has its own hours (no weekly break), the 8th the plan
    assert by_day == {
        date(2026, 7, 7): ["15:00", "15:30", "16:00"],
        date(2026, 7, 8): ["09:00", "11:00"],
    }


def test_a_specialist_who_does_not_perform_the_service_has_no_slots():
    # Given a service performed only by p2
    worker = specialist(hours(("09:00", "18:00")))
    # When p1's slots are asked for
    starts = free_starts(
        venue("Asia/Baku"), service(specialists=("p2",)), worker, [], date(2026, 7, 6), date(2026, 7, 6), LONG_AGO
    )
    # Then there are none
    assert starts == []


def test_occupied_interval_includes_buffers():
    start = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)
    assert occupied_interval(service(45, before=10, after=5), start) == (
        datetime(2026, 7, 6, 9, 50, tzinfo=UTC),
        datetime(2026, 7, 6, 10, 50, tzinfo=UTC),
    )


def test_zones_come_from_the_pinned_tzdata_package():
    # Given names that are real, unknown, or try to escape the package
    # Then only real IANA names resolve
    assert is_known_zone("Asia/Baku") and is_known_zone("America/New_York")
    assert not is_known_zone("Mars/Olympus_Mons")
    assert not is_known_zone("../../etc/passwd")
    assert not is_known_zone("")


def test_any_specialist_is_the_union_naming_who_is_free():
    # Given two specialists in Baku: p1 09:00-11:00, p2 10:00-12:00
    from dataclasses import replace

    from chalicelib.domain.availability import union_free_starts

    tz = "Asia/Baku"
    first = specialist(hours(("09:00", "11:00")))
    second = replace(specialist(hours(("10:00", "12:00"))), specialist_id="p2")
    day = date(2026, 7, 6)
    # When "any" is computed for a 60-min service
    slots = union_free_starts(venue(tz), service(60), [first, second], {}, day, day, LONG_AGO)
    # Then every start of either appears once, with who is free then
    assert [(local(tz, [s])[0], ids) for s, ids in slots] == [
        ("09:00+0400", ("p1",)),
        ("09:30+0400", ("p1",)),
        ("10:00+0400", ("p1", "p2")),
        ("10:30+0400", ("p2",)),
        ("11:00+0400", ("p2",)),
    ]


def near(day: date) -> datetime:
    """A ``now`` a month before ``day``, so the day lies inside notice and horizon."""
    return datetime.combine(day - timedelta(days=30), time(0), tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "day_hours", "expected"),
    [
        # Spring forward 03:00+02:00 -> 04:00+03:00: 02:15-02:45 run through the change.
        (
            "Europe/Sofia",
            date(2027, 3, 28),
            ("02:00", "06:00"),
            [
                "02:00+0200",
                "02:15+0200",
                "02:30+0200",
                "02:45+0200",
                "04:00+0300",
                "04:15+0300",
                "04:30+0300",
                "04:45+0300",
                "05:00+0300",
            ],
        ),
        # Fall back 04:00+03:00 -> 03:00+02:00: 03:15-03:45 (+03:00) run through the change.
        (
            "Europe/Sofia",
            date(2027, 10, 31),
            ("02:00", "06:00"),
            [
                "02:00+0300",
                "02:15+0300",
                "02:30+0300",
                "02:45+0300",
                "03:00+0300",
                "03:15+0300",
                "03:30+0300",
                "03:45+0300",
                "03:00+0200",
                "03:15+0200",
                "03:30+0200",
                "03:45+0200",
                "04:00+0200",
                "04:15+0200",
                "04:30+0200",
                "04:45+0200",
                "05:00+0200",
            ],
        ),
        # Kazakhstan's one-off move from +06:00 to +05:00 at midnight: 23:00-24:00 happens twice.
        (
            "Asia/Almaty",
            date(2024, 2, 29),
            ("20:00", "00:00"),
            [f"{h}:{m}+0600" for h in ("20", "21", "22", "23") for m in ("00", "15", "30", "45")] + ["23:00+0500"],
        ),
    ],
)
def test_a_service_may_run_through_an_offset_change(tz, day, day_hours, expected):
    # Given hours that contain a UTC-offset change, a 15-min grid and a 60-min service
    worker = specialist(hours(day_hours))
    # When the day is computed
    starts = free_starts(venue(tz, slot_interval_minutes=15), service(60), worker, [], day, day, near(day))
    # Then every start whose 60 elapsed minutes fit in working time is offered, on the local grid
    assert local(tz, starts) == expected
    # And the booking rule accepts each of them (no 422 for a start availability offered)
    from chalicelib.services.bookings import _is_free_start

    assert all(
        _is_free_start(venue(tz, slot_interval_minutes=15), service(60), worker, [], s, near(day)) for s in starts
    )


# Zones with DST, 30-min DST (Lord Howe), changes at midnight (Santiago, Havana, Beirut),
# a one-off change (Almaty), odd offsets (Kathmandu, Chatham) and the southern hemisphere.
PROPERTY_ZONES = (
    "Europe/Sofia",
    "America/New_York",
    "Asia/Almaty",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Africa/Casablanca",
    "Pacific/Chatham",
    "Asia/Tehran",
    "Asia/Kathmandu",
    "Asia/Baku",
)
PROPERTY_HOURS = (
    (("00:00", "00:00"),),  # round the clock: adjoining days meet at midnight
    (("01:00", "05:00"),),
    (("20:00", "00:00"),),
    (("02:30", "03:30"), ("03:45", "06:00")),
)


def offset_change_days(tz: str, limit: int = 3) -> list[date]:
    """Local dates of the first ``limit`` offset changes from 2024 (a plain day if none)."""
    found: list[date] = []
    instant = datetime(2024, 1, 1, tzinfo=UTC)
    before = instant.astimezone(zone(tz)).utcoffset()
    while instant < datetime(2028, 1, 1, tzinfo=UTC) and len(found) < limit:
        instant += timedelta(hours=1)
        after = instant.astimezone(zone(tz)).utcoffset()
        if after != before:
            found.append(instant.astimezone(zone(tz)).date())
            before = after
    return found or [date(2026, 7, 6)]


def local_readings(tz: str, first_day: date, last_day: date) -> list[tuple[int, datetime]]:
    """(UTC epoch minute, naive local reading) of every minute from a day before ``first_day``
    to a day after ``last_day``."""
    lo = int(datetime.combine(first_day - timedelta(days=1), time(0), tzinfo=UTC).timestamp()) // 60
    hi = int(datetime.combine(last_day + timedelta(days=2), time(0), tzinfo=UTC).timestamp()) // 60
    tz_info = zone(tz)
    return [(m, datetime.fromtimestamp(m * 60, tz_info).replace(tzinfo=None)) for m in range(lo, hi)]


def oracle_working_minutes(
    readings: list[tuple[int, datetime]], days: list[date], day_hours: tuple[TimeRange, ...]
) -> set[int]:
    """Working minutes (UTC epoch minutes) by brute force, independent of the domain's maths:
    a range runs from the first minute whose local reading is at or after its start to the
    last minute whose reading is before its end (an end of 00:00 closes the day)."""
    working: set[int] = set()
    for day in days:
        for rng in day_hours:
            begin = datetime.combine(day, rng.start)
            end = datetime.combine(day + timedelta(days=1) if rng.end == time(0) else day, rng.end)
            first = next(m for m, wall in readings if wall >= begin)
            last = max(m for m, wall in readings if wall < end)
            working.update(range(first, last + 1))
    return working


@pytest.mark.parametrize("tz", PROPERTY_ZONES)
def test_offered_starts_and_the_booking_rule_agree_with_elapsed_time(tz):
    # (bounded: 12 zones x up to 3 offset changes x 4 sets of hours, three days around each change)
    from chalicelib.services.bookings import _is_free_start

    place = venue(tz, slot_interval_minutes=15)
    kind = service(60, before=15, after=0)
    for change_day in offset_change_days(tz):
        days = [change_day - timedelta(days=1), change_day, change_day + timedelta(days=1)]
        read_days = [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=1)]
        readings = local_readings(tz, read_days[0], read_days[-1])
        now = near(change_day)
        for ranges in PROPERTY_HOURS:
            day_hours = hours(*ranges)
            worker = specialist(day_hours)
            # Given working minutes computed by brute force over the three days and their neighbours
            working = oracle_working_minutes(readings, read_days, day_hours)
            # When availability is asked for the three days together
            offered = free_starts(place, kind, worker, [], days[0], days[-1], now)
            # Then the booking rule accepts every offered start
            assert all(_is_free_start(place, kind, worker, [], s, now) for s in offered), (tz, change_day, ranges)
            # And the offered starts are exactly the local-grid instants of those days whose
            # buffered service (15 + 60 elapsed minutes) lies in working time
            expected = [
                datetime.fromtimestamp(minute * 60, UTC)
                for minute, wall in readings
                if wall.date() in days
                and (wall.hour * 60 + wall.minute) % 15 == 0
                and all(m in working for m in range(minute - 15, minute + 60))
            ]
            assert offered == expected, (tz, change_day, ranges)
