"""Retention edge cases: readers honour a passed deadline before any sweep, erasure leaves
nothing of the user without a deadline, and a sweep told a future time cannot make later
runs skip days."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.aws_clients import client
from chalicelib.privacy import sweeps
from chalicelib.settings import get_settings
from chalicelib.store import db, items
from chalicelib.store import retention as retention_store
from tests.support.fixtures_bookings import relogin
from tests.support.fixtures_privacy import put_due_item


def test_a_sweep_run_with_a_future_clock_does_not_make_later_runs_skip_days(aws, clock):
    # proves: RET-1
    # Given a sweep run told a time ten days ahead of the real clock
    sweeps.run(clock.now() + timedelta(days=10))
    assert (retention_store.get_cursor(sweeps.SWEEP_NAME) or clock.now().date()) < clock.now().date()
    # And an item that falls due two days from now (stamped after that run)
    put_due_item("TEST#later", clock.now() + timedelta(days=2))
    # When the real clock reaches three days later and the sweep runs normally
    clock.advance(timedelta(days=3))
    report = sweeps.run(clock.now())
    # Then the days in between are swept and the item is gone
    assert report.removed == 1
    assert items.get("TEST#later", "X") is None


def test_a_cursor_beyond_the_real_clock_is_not_trusted(aws, clock):
    # Given a cursor already saved ahead of the real clock (by a run before this fix)
    pk, sk = "SWEEP", f"CURSOR#{sweeps.SWEEP_NAME}"
    ahead = clock.now().date() + timedelta(days=9)
    db.put(
        retention_store.SweepCursor(
            pk=pk, sk=sk, sweep=sweeps.SWEEP_NAME, last_complete_day=ahead, updated_at=clock.now()
        )
    )
    put_due_item("TEST#soon", clock.now() + timedelta(days=1))
    # When the real clock passes the item's deadline and the sweep runs
    clock.advance(timedelta(days=2))
    sweeps.run(clock.now())
    # Then the item is removed all the same, and the cursor is back behind the real clock
    assert items.get("TEST#soon", "X") is None
    assert retention_store.get_cursor(sweeps.SWEEP_NAME) == clock.now().date() - timedelta(days=1)


def test_after_erasure_the_business_sees_no_identifying_data_of_a_past_booking_before_any_sweep(
    api, salon, signup, clock, buckets, drain_jobs
):
    # proves: RET-2
    # proves: RIGHT-4
    # Given a customer's booking with notes that has ended, then the customer deletes the account
    ada = signup(name="Ada Lovelace")
    booked = api.post(
        "/v1/bookings",
        salon.body(salon.at(1, "10:00"), notes="Ada, call 0123, allergic to latex"),
        headers=ada.headers,
    )
    assert booked.status == 201, booked.body
    booking_id = booked.json["id"]
    clock.advance(timedelta(days=2))
    relogin(ada), relogin(salon.owner)
    assert api.delete("/v1/me", headers=ada.headers).status == 202
    assert drain_jobs() >= 1  # the erasure's background job
    # When the business reads its calendar of that day and the booking, before any sweep ran
    day = (salon.today + timedelta(days=1)).isoformat()
    base = f"/v1/businesses/{salon.business_id}/bookings"
    calendar = api.get(f"{base}?venue_id={salon.venue_id}&day={day}", headers=salon.owner.headers)
    single = api.get(f"{base}/{booking_id}", headers=salon.owner.headers)
    # Then neither shows the notes or the customer's id (the booking itself is still there)
    assert calendar.status == 200 and single.status == 200
    [listed] = calendar.json["items"]
    for shown in (listed, single.json):
        assert shown["id"] == booking_id
        assert shown["notes"] is None
        assert shown["customer_user_id"] != ada.user_id
    assert ada.user_id.encode() not in calendar.body + single.body
    assert b"latex" not in calendar.body + single.body
    # And what they show is what the sweep will leave
    sweeps.run(clock.now())
    after = api.get(f"{base}/{booking_id}", headers=salon.owner.headers)
    assert after.json == single.json


def test_readers_and_the_sweep_strip_the_same_attributes():
    # The store reads the manifest's files itself (it may not import chalicelib.privacy)
    from chalicelib.privacy.manifest import load

    manifest = load()
    for name, entity in manifest.entities.items():
        assert retention_store.identifying_attributes(name) == tuple(entity.anonymise_attributes), name


def _items_of_kind(entity: str) -> list[dict]:
    table = get_settings().resolved_table_name()
    found: list[dict] = []
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=table):
        found += [item for item in page["Items"] if item.get("entity", {}).get("S") == entity]
    return found


def test_erasure_leaves_no_reminder_and_no_pending_change_code(api, salon, signup, notify, buckets, drain_jobs):
    # proves: RIGHT-4
    # Given a customer with an upcoming booking (its reminders scheduled) and an e-mail change
    # waiting for its code
    ada = signup(name="Ada Lovelace")
    booked = api.post("/v1/bookings", salon.body(salon.at(3, "10:00")), headers=ada.headers)
    assert booked.status == 201, booked.body
    notify.drain()
    assert any(r["customer_user_id"]["S"] == ada.user_id for r in _items_of_kind("ReminderItem"))
    assert api.patch("/v1/me", {"email": "ada.new@example.org"}, headers=ada.headers).status == 200
    assert any(ada.user_id in c["purpose"]["S"] for c in _items_of_kind("OtpChallenge"))
    # When the account is deleted
    assert api.delete("/v1/me", headers=ada.headers).status == 202
    # Then no code for the pending change remains at once (deleted as the account closed)
    assert not [c for c in _items_of_kind("OtpChallenge") if ada.user_id in c["purpose"]["S"]]
    # And once the erasure's background job ran, none of the customer's reminders remain either
    assert drain_jobs() >= 1
    assert not [r for r in _items_of_kind("ReminderItem") if r["customer_user_id"]["S"] == ada.user_id]
    assert not [c for c in _items_of_kind("OtpChallenge") if ada.user_id in c["purpose"]["S"]]


def test_the_idempotency_record_carries_the_retention_index_key_and_due_at_reads_it(api, salon, signup, clock):
    # proves: RET-1
    # Given a booking made with an Idempotency-Key
    from chalicelib.retention_rules import window
    from chalicelib.store import bookings as booking_store

    ada = signup(name="Ada Lovelace")
    headers = {**ada.headers, "Idempotency-Key": "retry-me-0001"}
    assert api.post("/v1/bookings", salon.body(salon.at(2, "10:00")), headers=headers).status == 201
    # When its idempotency record is read as stored
    stored = items.get(*booking_store.idempotency_keys(ada.user_id, "retry-me-0001"))
    assert stored is not None
    # Then it is in the ByExpiry index under store/retention's keys, due 24 h after creation
    due = clock.now() + window("idempotency")
    assert (stored.values["exp_pk"], stored.values["exp_sk"]) == retention_store.expiry_keys(stored.pk, stored.sk, due)
    assert retention_store.due_at(stored) == due
    assert window("idempotency") == timedelta(hours=24)
