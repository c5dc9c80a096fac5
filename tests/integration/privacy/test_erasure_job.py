"""Erasure as a background job: DELETE /v1/me is bounded, the job works in batches, records
its progress, survives a crash, and a schedule catches erasures that stall (RET-1)."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import queues
from chalicelib.aws_clients import client
from chalicelib.domain.bookings import Booking, BookingStatus
from chalicelib.privacy import erasure, jobs, requests
from chalicelib.privacy.manifest import load
from chalicelib.store import bookings as booking_store
from chalicelib.store import codec, db, users
from chalicelib.store import subjects as subject_store
from chalicelib.store.items import StoredItem
from tests.support.dynamo_calls import counting
from tests.support.fixtures_bookings import relogin
from tests.support.fixtures_privacy import relay_events, run_jobs

# Entities the manifest keeps past the account's deletion (each with a deadline).
KEPT = {"User", "RegistrationRecord", "PrivacyRequest", "BookingRecord"}


def _seed_bookings(user_id: str, count: int, now: datetime) -> None:
    """``count`` bookings of the customer straight into the table (BatchWriteItem, 25 a
    call): every third one still to come, the rest in the past."""
    records = []
    for n in range(count):
        start = now + timedelta(days=1 + n % 30) if n % 3 == 0 else now - timedelta(days=1 + n % 300)
        booking = Booking(
            booking_id=f"{user_id[:8]}-{n:05d}-{uuid.uuid4().hex[:6]}",
            business_id="biz-seed",
            venue_id="venue-seed",
            specialist_id="spec-seed",
            service_id="svc-seed",
            customer_user_id=user_id,
            status=BookingStatus.CONFIRMED if n % 3 == 0 else BookingStatus.COMPLETED,
            start=start,
            end=start + timedelta(hours=1),
            occupied_start=start,
            occupied_end=start + timedelta(hours=1),
            timezone="Europe/Berlin",
            created_at=now - timedelta(days=400),
            updated_at=now - timedelta(days=400),
            notes=f"seeded {n}",
        )
        records.append(booking_store.booking_record(booking))
    db.batch_write(puts=records)


def _erasure(user_id: str, now: datetime) -> requests.RequestView:
    [view] = [r for r in requests.mine(user_id, now) if r.kind == "erasure"]
    return view


def _left(user_id: str) -> list[StoredItem]:
    return subject_store.items_of(user_id)


def _shape(user_id: str, items: list[StoredItem]) -> Counter[tuple[Any, ...]]:
    """What is left of a user, independent of its ids: entity, deadline, attribute names."""
    shape: Counter[tuple[Any, ...]] = Counter()
    for item in items:
        due = str(item.values.get("exp_sk", "")).split("#", 1)[0]
        text = json.dumps(sorted(item.values), default=str).replace(user_id, "<u>")
        shape[(item.entity, due, text, item.values.get("status"), item.values.get("active"))] += 1
    return shape


def _delete(api, headers: dict[str, str]):
    return api.delete("/v1/me", headers=headers)


@pytest.mark.ddblocal
@pytest.mark.timeout(600)  # ~40 s idle; 5,000 bookings seeded and erased on a shared 2-core machine
def test_deleting_an_account_with_5000_bookings_is_bounded_and_the_job_removes_it_in_batches(
    api, signup, clock, buckets, aws
):
    # proves: RIGHT-4
    # proves: RET-1
    # proves: RET-2
    if aws != "ddblocal":
        pytest.skip("5,000 bookings: DynamoDB Local only (moto adds nothing here but minutes)")
    now = clock.now()
    # Given a customer with 10 bookings and one with 5,000, each with consents
    small, big = signup(name="Small Booker"), signup(name="Big Booker")
    _seed_bookings(small.user_id, 10, now)
    seeded = time.perf_counter()
    _seed_bookings(big.user_id, 5000, now)
    seed_seconds = time.perf_counter() - seeded
    for person in (small, big):
        assert api.put("/v1/me/consents", {"location": True}, headers=person.headers).status == 200

    # When each deletes the account, counting the DynamoDB calls of the request
    with counting() as small_calls:
        small_response = _delete(api, small.headers)
    started = time.perf_counter()
    with counting() as big_calls:
        big_response = _delete(api, big.headers)
    wall = time.perf_counter() - started
    print(f"\nDELETE /v1/me, 5,000 bookings: {wall * 1000:.0f} ms, {dict(big_calls)}; seeded in {seed_seconds:.1f} s")

    # Then both are accepted at once with the request started, in the same number of calls
    for response in (small_response, big_response):
        assert response.status == 202, response.body
        assert response.json["status"] == "in_progress"
    assert big_calls == small_calls
    assert sum(big_calls.values()) <= 12
    assert _erasure(big.user_id, now).request_id == big_response.json["request_id"]

    # When the jobs worker runs, one message after another
    seen: list[tuple[str, int]] = []

    def progress() -> None:
        view = _erasure(big.user_id, clock.now())
        if view.progress is not None:
            seen.append((view.status, view.progress.items_processed))

    steps = run_jobs(after_each=progress)

    # Then it went through the items in batches of at most 100, its progress visible between steps
    assert steps >= 5000 // erasure.BATCH_SIZE
    in_progress = [processed for status, processed in seen if status == requests.IN_PROGRESS]
    assert len(in_progress) >= 50 and in_progress == sorted(in_progress)
    assert all(b - a <= erasure.BATCH_SIZE for a, b in itertools.pairwise(in_progress))
    assert 0 < in_progress[len(in_progress) // 2] < in_progress[-1]
    done = _erasure(big.user_id, clock.now())
    assert done.status == "completed" and done.completed_at == now
    assert done.progress is not None and done.progress.items_processed >= 5000

    # And nothing of either customer is left but what the manifest keeps, each with a deadline
    window = load().rule("account_after_deletion").window
    for person, bookings in ((small, 10), (big, 5000)):
        left = _left(person.user_id)
        assert {item.entity for item in left} <= KEPT, person.name
        assert all(item.values.get("exp_sk") for item in left), person.name
        kept = [item for item in left if item.entity == "BookingRecord"]
        assert len(kept) == bookings
        for item in kept:
            due = str(item.values["exp_sk"]).split("#", 1)[0]
            active = item.values["end_at"] > now
            assert due == (codec.encode(now + window) if active else codec.encode(now))
        # the profile's name and phone only while an active booking needs them (RET-1)
        profile = subject_store.get(users.user_pk(person.user_id), users.PROFILE)
        assert profile is not None and profile.values["active"] is False
        assert str(profile.values["exp_sk"]).startswith(codec.encode(now + window))


@pytest.mark.ddblocal
def test_a_crash_after_a_batch_resumes_from_the_progress_and_ends_as_an_uninterrupted_run(
    api, signup, clock, buckets, monkeypatch
):
    # proves: RIGHT-4
    # Given two customers with the same data: 250 bookings (three batches) and consents
    now = clock.now()
    calm, crashing = signup(name="Calm Customer"), signup(name="Crash Customer")
    for person in (calm, crashing):
        _seed_bookings(person.user_id, 250, now)
        assert api.put("/v1/me/consents", {"location": True}, headers=person.headers).status == 200
    # When the first deletes the account and its job runs uninterrupted
    assert _delete(api, calm.headers).status == 202
    calm_steps = run_jobs()
    # And the second does, but the worker dies twice: once after batch 1's progress was
    # recorded (before the next step was queued), once after batch 2's writes (before its progress)
    assert _delete(api, crashing.headers).status == 202
    real_enqueue, real_progress = jobs.enqueue, requests.record_progress
    crashes = {"enqueue": 1, "progress": 2}
    progress_calls: list[int] = []

    def enqueue(message: dict[str, str]) -> None:
        if message.get("type") == "erasure" and crashes["enqueue"]:
            crashes["enqueue"] -= 1
            raise RuntimeError("worker died before queueing the next step")
        real_enqueue(message)

    def record_progress(request_id: str, step: int, *args: Any) -> bool:
        progress_calls.append(step)
        if step == 1 and crashes["progress"] == 2:
            crashes["progress"] = 0
            raise RuntimeError("worker died after the batch's writes")
        return real_progress(request_id, step, *args)

    assert relay_events() == 1  # the job's first message queued before the faults are armed
    monkeypatch.setattr(jobs, "enqueue", enqueue)
    monkeypatch.setattr(requests, "record_progress", record_progress)
    failures: list[BaseException] = []
    crash_steps = run_jobs(failures=failures)

    # Then both crashes happened, and SQS's retries resumed from the recorded progress
    assert [str(f) for f in failures] == [
        "worker died before queueing the next step",
        "worker died after the batch's writes",
    ]
    assert progress_calls.count(1) == 2  # batch 2 was replayed once, its progress recorded once
    # (two failed attempts more; the first retry did the step the next message did in the calm run)
    assert crash_steps == calm_steps + len(failures) - 1
    # And the result equals the uninterrupted run's: same items left, same deadlines, same progress
    calm_view, crash_view = _erasure(calm.user_id, clock.now()), _erasure(crashing.user_id, clock.now())
    assert calm_view.status == crash_view.status == "completed"
    assert calm_view.progress is not None and crash_view.progress is not None
    # (the count is of what recorded batches saw: the replayed batch no longer found the
    # sessions its first attempt had deleted)
    assert 0 < calm_view.progress.items_processed - crash_view.progress.items_processed <= erasure.BATCH_SIZE
    assert crash_view.progress.step == calm_view.progress.step
    assert _shape(crashing.user_id, _left(crashing.user_id)) == _shape(calm.user_id, _left(calm.user_id))
    assert {item.entity for item in _left(crashing.user_id)} <= KEPT


def test_a_retried_delete_starts_no_second_erasure(api, signup, clock, buckets, monkeypatch):
    # proves: RIGHT-4
    # Given a DELETE whose sign-out failed after the account was closed and the job recorded
    me = signup(name="Retry Customer")
    from chalicelib.privacy import subjects

    real_revoke = subjects.revoke_all_sessions
    monkeypatch.setattr(subjects, "revoke_all_sessions", lambda *a: (_ for _ in ()).throw(RuntimeError("lost")))
    assert _delete(api, me.headers).status == 500
    monkeypatch.setattr(subjects, "revoke_all_sessions", real_revoke)
    # When the client retries with the session that still works
    clock.advance(timedelta(minutes=1))
    retried = _delete(api, me.headers)
    # Then it answers with the same request, started once, and signs out
    assert retried.status == 202, retried.body
    [view] = [r for r in requests.mine(me.user_id, clock.now()) if r.kind == "erasure"]
    assert retried.json["request_id"] == view.request_id
    assert retried.json["deactivated_at"] == view.received_at.isoformat(timespec="seconds")  # the first's
    assert relay_events() == 1  # one domain event, so one job
    sqs = client("sqs")
    received = sqs.receive_message(QueueUrl=queues.queue_url(jobs.JOBS), MaxNumberOfMessages=10)
    assert [json.loads(m["Body"]) for m in received.get("Messages", [])] == [erasure.job_message(view.request_id)]
    assert _delete(api, me.headers).status == 401


def test_sessions_and_sign_in_stop_working_at_once(api, signup, clock, buckets):
    # proves: RIGHT-4
    # Given a customer with a password, signed in
    me = signup(name="Session Customer", email="session@example.org", password="correct horse battery")
    assert api.get("/v1/me", headers=me.headers).status == 200
    # When the account is deleted (its job not run yet)
    assert _delete(api, me.headers).status == 202
    # Then the access token and the refresh token from before are refused right after
    assert api.get("/v1/me", headers=me.headers).status == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": me.refresh_token}).status == 401
    # And no new sign-in works
    assert api.post("/v1/auth/login", {"login": me.phone, "password": "correct horse battery"}).status == 401
    assert (
        api.post("/v1/auth/login", {"login": "session@example.org", "password": "correct horse battery"}).status == 401
    )


def test_the_stale_erasure_schedule_requeues_and_emits_the_metric(api, signup, clock, buckets, monkeypatch):
    # proves: RET-1
    from chalicelib import observability, schedules

    # Given an erasure whose job never ran (its message lost), and a younger one
    stalled, young = signup(name="Stalled Customer"), signup(name="Young Customer")
    assert _delete(api, stalled.headers).status == 202
    stalled_id = _erasure(stalled.user_id, clock.now()).request_id
    clock.advance(timedelta(hours=23))
    relogin(young)
    assert _delete(api, young.headers).status == 202
    relay_events()
    client("sqs").purge_queue(QueueUrl=queues.queue_url(jobs.JOBS))
    emitted: list[tuple[str, float]] = []
    real_add = observability.metrics.add_metric

    def add_metric(name: str, unit: Any, value: float, **kwargs: Any) -> None:
        emitted.append((name, value))
        real_add(name=name, unit=unit, value=value, **kwargs)

    monkeypatch.setattr(observability.metrics, "add_metric", add_metric)
    # When the schedule runs 25 hours after the first DELETE
    clock.advance(timedelta(hours=2))
    result = schedules.run_stale_erasures()
    # Then only the stalled erasure is re-enqueued, and the metric counts it
    assert result == {"requeued": 1}
    assert emitted == [(schedules.STALE_ERASURES_METRIC, 1)]
    received = client("sqs").receive_message(
        QueueUrl=queues.queue_url(jobs.JOBS), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    assert [json.loads(m["Body"]) for m in received.get("Messages", [])] == [erasure.job_message(stalled_id)]
    # And once its job ran, the next run finds none
    run_jobs()
    assert _erasure(stalled.user_id, clock.now()).status == "completed"
    assert schedules.run_stale_erasures() == {"requeued": 0}
    assert emitted[-1] == (schedules.STALE_ERASURES_METRIC, 0)


def test_operators_see_a_running_erasure_and_its_progress(api, signup, operator, clock, buckets):
    # proves: RIGHT-6
    # Given a customer who deleted the account, its job not run yet
    me = signup(name="Progress Customer")
    request_id = _delete(api, me.headers).json["request_id"]
    # When an operator lists the erasures in progress
    listed = api.get("/v1/operator/privacy-requests?status=in_progress", headers=operator.headers)
    # Then it is there, with its progress and its due date
    assert listed.status == 200, listed.body
    [shown] = [r for r in listed.json["items"] if r["request_id"] == request_id]
    assert shown["status"] == "in_progress" and shown["kind"] == "erasure" and shown["user_id"] == me.user_id
    assert shown["progress"] == {"phase": "items:0", "items_processed": 0, "updated_at": shown["received_at"]}
    # And it cannot be closed by hand while the job runs
    closing = api.patch(
        f"/v1/operator/privacy-requests/{request_id}", {"status": "completed"}, headers=operator.headers
    )
    assert closing.status == 409
    # When the job has run, it is completed, with what it processed
    run_jobs()
    done = api.get("/v1/operator/privacy-requests?status=completed", headers=operator.headers)
    [finished] = [r for r in done.json["items"] if r["request_id"] == request_id]
    assert finished["completed_at"] is not None
    assert finished["progress"]["phase"] == "done" and finished["progress"]["items_processed"] > 0
