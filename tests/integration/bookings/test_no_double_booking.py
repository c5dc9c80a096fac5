"""THE invariant: no two live bookings of one specialist overlap, buffers included, under any
concurrency (moto and DynamoDB Local)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import time

import pytest

from tests.support.fixtures_bookings import assert_booking_invariants, make_salon, run_concurrently


@pytest.mark.ddblocal
def test_50_concurrent_overlapping_requests_give_one_booking_and_49_conflicts(concurrent_api, salon, customer):
    # Given one specialist and 50 requests whose occupied intervals all contain 10:40 local,
    # with different starts and two services of different lengths (not only identical starts)
    api = concurrent_api
    spec = salon.specialist_ids[0]
    long_starts = ["10:00", "10:15", "10:30", "10:45"]
    short_starts = ["10:15", "10:30"]
    bodies = []
    for i in range(50):
        if i % 3 == 2:
            bodies.append(salon.body(salon.at(2, short_starts[i % 2]), spec, service_id=salon.short_service.service_id))
        else:
            bodies.append(salon.body(salon.at(2, long_starts[i % 4]), spec))
    assert len({(b["start"], b["service_id"]) for b in bodies}) == 6
    # When all 50 are sent at once from 50 threads
    calls = [lambda body=body: api.post("/v1/bookings", body, headers=customer.headers) for body in bodies]
    answers = run_concurrently(calls)
    # Then exactly one booking is made and the other 49 are 409 problems saying why
    statuses = Counter(a.status for a in answers)
    assert statuses == {201: 1, 409: 49}, statuses
    for answer in answers:
        if answer.status == 409:
            assert answer.content_type == "application/problem+json"
            assert answer.json["type"] in ("/problems/slot-taken", "/problems/slot-contended")
            assert answer.json["detail"]
    # And the table holds one live booking and a lock with just its interval
    assert assert_booking_invariants() == {"pending": 1}


def test_overlap_across_utc_midnight_is_caught(concurrent_api, aws, clock, signup):
    # Given a Tokyo venue open 06:00-12:00 local (21:00-03:00 UTC): bookings straddle UTC days
    api = concurrent_api
    tokyo = make_salon(signup(name="Tokyo Owner"), clock.now(), specialists=1, timezone="Asia/Tokyo",
                       hours=(time(6), time(12)))  # fmt: skip
    spec = tokyo.specialist_ids[0]
    person = signup(name="Guest")
    # 08:45 local = 23:45 UTC (occupied 23:35-00:50 UTC, two lock days); 09:15 local overlaps it
    # from the next UTC day only
    first = tokyo.body(tokyo.at(2, "08:45"), spec)
    second = tokyo.body(tokyo.at(2, "09:15"), spec)
    answers = run_concurrently(
        [lambda b=b: api.post("/v1/bookings", b, headers=person.headers) for b in (first, second) * 5]
    )
    # Then one of the ten wins
    assert Counter(a.status for a in answers) == {201: 1, 409: 9}
    assert_booking_invariants()


@pytest.mark.ddblocal
def test_random_concurrent_mix_of_book_cancel_reschedule_keeps_the_invariant(concurrent_api, aws, clock, signup):
    # Given a venue whose bookings straddle UTC midnight (Tokyo, 06:00-12:00 local), two
    # specialists, and eight customers each running a random script of 6 operations
    api = concurrent_api
    salon = make_salon(signup(name="Owner"), clock.now(), specialists=2, timezone="Asia/Tokyo",
                       hours=(time(6), time(12)))  # fmt: skip
    rng = random.Random(20261122)
    starts = [salon.at(day, f"{h:02d}:{m:02d}") for day in (2, 3) for h in range(6, 11) for m in (0, 30)]
    services = [salon.service.service_id, salon.short_service.service_id]
    people = [signup(name=f"Customer {i}") for i in range(8)]
    scripts = [[rng.random() for _ in range(6)] for _ in people]
    seeds = [rng.randrange(1 << 30) for _ in people]

    def run(person, script, seed):
        local_rng = random.Random(seed)
        mine: list[str] = []
        statuses: Counter[str] = Counter()  # per thread: Counter updates are not atomic
        for roll in script:
            if roll < 0.5 or not mine:
                body = salon.body(
                    local_rng.choice(starts),
                    local_rng.choice([*salon.specialist_ids, "any"]),
                    service_id=local_rng.choice(services),
                )
                answer = api.post("/v1/bookings", body, headers=person.headers)
                if answer.status == 201:
                    mine.append(answer.json["id"])
            elif roll < 0.75:
                answer = api.post(f"/v1/bookings/{mine.pop(local_rng.randrange(len(mine)))}/cancel",
                                  headers=person.headers)  # fmt: skip
            else:
                target = local_rng.choice(mine)
                answer = api.post(f"/v1/bookings/{target}/reschedule", {"start": local_rng.choice(starts).isoformat()},
                                  headers=person.headers)  # fmt: skip
            statuses[f"{answer.status}"] += 1
            assert answer.status in (200, 201, 409, 422), answer.body
        return statuses

    # When all eight run at once
    jobs = [lambda p=p, s=s, seed=seed: run(p, s, seed) for p, s, seed in zip(people, scripts, seeds, strict=True)]
    outcomes = sum(run_concurrently(jobs), Counter())
    # Then whatever interleaving happened, no live bookings overlap and the locks agree
    counts = assert_booking_invariants()
    assert outcomes["201"] >= 2 and sum(counts.values()) == outcomes["201"]
