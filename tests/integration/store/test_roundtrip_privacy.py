"""Round trips of the privacy and notification stores' entities: values -> store write ->
read back -> equal, every field, at each field's extremes (instants at year 1, 837 and
9999, empty and long strings, zero and large numbers), on moto and on DynamoDB Local.

Entities: SweepCursor and retention keys (store/retention.py), ExportJob (store/exports.py),
PrivacyRequest (store/privacy_requests.py), NotificationProfile (store/preferences.py),
DeliveryRecord (store/deliveries.py), and the generic StoredItem view (store/items.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.store import codec, db, deliveries, exports, items, preferences, privacy_requests, retention
from chalicelib.store.deliveries import Claim, DeliveryRecord
from chalicelib.store.exports import ExportJob, ExportView
from chalicelib.store.items import StoredItem
from chalicelib.store.preferences import Device, Profile
from chalicelib.store.privacy_requests import PrivacyRequest, RequestView
from chalicelib.store.retention import SweepCursor
from chalicelib.store.table import TableItem

# The entities these round trips write and read back (test_every_stored_entity_has_a_round_trip_test).
COVERS = (
    "SweepCursor",
    "ExportJob",
    "PrivacyRequest",
    "NotificationProfile",
    "DeliveryRecord",
)

# The extremes every instant must survive; the last leaves room for the few days the
# stores add (export retention 7 days, delivery record lifetime 15 days, TTL backstop 3).
INSTANTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(837, 7, 7, 5, 44, 10, tzinfo=UTC),
    datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC),
    datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    datetime(9999, 12, 1, 23, 59, 59, 999999, tzinfo=UTC),
]
LONG = "x" * 10_000
BIG = 2**53


@pytest.mark.ddblocal
def test_sweep_cursor_round_trip(aws):
    # A cursor only records a day that has ended by ``now`` (the real clock), so each case's
    # ``now`` is on a later day than its cursor day.
    cases = [
        (date(1, 1, 1), 0, datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC), "s"),
        (date(837, 7, 7), 1, datetime(837, 7, 8, 5, 44, 10, 123456, tzinfo=UTC), ""),
        (date(2026, 11, 21), 12_345, datetime(2026, 11, 22, 9, tzinfo=UTC), "expiry"),
        (date(9999, 12, 30), BIG, datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "x" * 1000),
    ]
    for index, (day, removed, now, sweep) in enumerate(cases):
        name = f"{index}{sweep}"
        retention.save_cursor(name, day, removed, now)
        assert retention.get_cursor(name) == day
        stored = db.get(SweepCursor, "SWEEP", f"CURSOR#{name}")
        assert stored is not None
        assert (stored.sweep, stored.last_complete_day, stored.removed_total, stored.updated_at) == (
            name,
            day,
            removed,
            now,
        )
        # Never backwards: an older day leaves the cursor as it was.
        if day > date(1, 1, 1):
            retention.save_cursor(name, day - timedelta(days=1), 0, now)
            assert retention.get_cursor(name) == day
    assert retention.get_cursor("never-run") is None


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: str(at.year))
def test_expiry_keys_round_trip(aws, at):
    # Given an item stamped with a deadline at an extreme instant
    pk, sk = f"TEST#{at.year}", "X"
    db.batch_write(puts=[SweepCursor(pk, sk, sweep="t", last_complete_day=date(2000, 1, 1), updated_at=at)])
    assert retention.stamp_expiry(pk, sk, at, ttl_backstop=at.year < 9999)
    # Then the keys are the codec's, the deadline reads back, and the day's sweep query finds it
    exp_pk, exp_sk = retention.expiry_keys(pk, sk, at)
    assert exp_pk == f"EXPIRES#{codec.day(at.date())}#{retention.shard_of(pk):02d}"
    assert exp_sk == f"{codec.encode(at)}#{pk}#{sk}"
    assert len(exp_sk.split("#", 1)[0]) == codec.WIDTH
    assert retention.instant(at) == codec.encode(at)
    stored = items.get(pk, sk)
    assert stored is not None
    assert retention.due_at(stored) == at
    assert (stored.values["exp_pk"], stored.values["exp_sk"]) == (exp_pk, exp_sk)
    assert [i.key for i in retention.due_on(at.date(), at)] == [(pk, sk)]
    if at.year > 1:
        assert list(retention.due_on(at.date(), at - timedelta(microseconds=1))) == []
    # And a later deadline never replaces an earlier one
    assert not retention.stamp_expiry(pk, sk, at + timedelta(days=1), ttl_backstop=False)
    assert not retention.stamp_expiry("TEST#absent", "X", at, ttl_backstop=False)


@pytest.mark.ddblocal
@pytest.mark.parametrize("now", INSTANTS, ids=lambda at: str(at.year))
def test_export_job_round_trip(aws, now):
    for user_id, export_id, object_key in (("u", "", ""), ("u" * 400, "e" * 400, "k" * 1024)):
        created = exports.create(user_id, export_id, now)
        assert created == ExportView(export_id, "pending", None, None, now)
        assert exports.get(user_id, export_id, now) == created
        exports.mark_ready(user_id, export_id, object_key, now + timedelta(seconds=1))
        ready = exports.get(user_id, export_id, now)
        assert ready == ExportView(export_id, "ready", None, object_key, now)
        job = db.get(ExportJob, f"USER#{user_id}", f"EXPORT#{export_id}")
        assert job is not None and job.ready_at == now + timedelta(seconds=1) and job.created_at == now
        # Gone once its week is over
        assert exports.get(user_id, export_id, now + exports.KEEP) is None


@pytest.mark.ddblocal
@pytest.mark.parametrize("received", INSTANTS, ids=lambda at: str(at.year))
def test_privacy_request_round_trip(aws, received):
    due = received + timedelta(days=1, microseconds=1)
    cases = [("r0", "", "", None), ("r1", "u" * 300, "erasure", ""), ("r2", "u", "k" * 300, LONG)]
    for request_id, user_id, kind, details in cases:
        view = privacy_requests.create(request_id, user_id, kind, details, received, due)
        expected = RequestView(request_id, user_id, kind, "open", received, due, None, details)
        assert view == expected
        assert privacy_requests.for_user(user_id, received) == [expected]
        privacy_requests.close(request_id, "completed", due)
        closed = privacy_requests.get(request_id)
        assert closed == RequestView(request_id, user_id, kind, "completed", received, due, due, details)
        assert privacy_requests.for_user(user_id, received) == [closed]
    done = privacy_requests.create("r3", "v", "access", None, received, due, completed=True)
    assert done.completed_at == received and done.status == "completed"
    queue, _ = privacy_requests.by_status("completed", 10, None, received)
    assert sorted(v.request_id for v in queue) == ["r0", "r1", "r2", "r3"]


@pytest.mark.ddblocal
@pytest.mark.parametrize("received", INSTANTS, ids=lambda at: str(at.year))
def test_in_progress_request_and_its_progress_round_trip(aws, received):
    due = received + timedelta(days=1, microseconds=1)
    later = received + timedelta(seconds=1)
    cursor = {"pk": {"S": "USER#" + "u" * 300}, "sk": {"S": ""}, "gsi1pk": {"S": "CUST#u"}, "gsi1sk": {"S": LONG}}
    # Given a request whose work runs in the background, written in a transaction
    tx = db.Transaction()
    started = privacy_requests.create_in_progress(tx, "p0", "u", "erasure", received, due, "items:0")
    tx.commit()
    assert started.status == "in_progress" and started.progress is not None
    assert privacy_requests.get("p0") == started
    # When its progress moves, with a cursor at its extremes, then clears the cursor
    assert privacy_requests.record_progress("p0", 0, "items:2", cursor, 100, due, later)
    assert not privacy_requests.record_progress("p0", 0, "items:3", None, 1, None, later)  # not at step 0 now
    moved = privacy_requests.get("p0")
    assert moved is not None and moved.progress == privacy_requests.Progress("items:2", cursor, 1, 100, due, later)
    assert privacy_requests.record_progress("p0", 1, "finish", None, BIG, None, later)
    finishing = privacy_requests.get("p0")
    assert finishing is not None and finishing.progress is not None
    assert (finishing.progress.cursor, finishing.progress.items_processed) == (None, 100 + BIG)
    assert finishing.progress.contact_kept_until == due  # kept when a step has none to add
    # Then it is found in progress by due date, and once completed no longer
    assert [v.request_id for v in privacy_requests.in_progress_due_before(due + timedelta(microseconds=1))] == ["p0"]
    assert list(privacy_requests.in_progress_due_before(due)) == []
    assert privacy_requests.complete_in_progress("p0", 2, due)
    assert not privacy_requests.complete_in_progress("p0", 3, due)
    done = privacy_requests.get("p0")
    assert done is not None and (done.status, done.completed_at) == ("completed", due)
    assert done.progress is not None and (done.progress.phase, done.progress.step) == ("done", 3)
    assert list(privacy_requests.in_progress_due_before(due + timedelta(days=1))) == []
    # And a second one with the same id cannot be started
    again = db.Transaction()
    privacy_requests.create_in_progress(again, "p0", "u", "erasure", received, due, "items:0")
    with pytest.raises(db.TransactionCancelled):
        again.commit()


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: str(at.year))
def test_notification_profile_round_trip(aws, at):
    # An untouched profile is the defaults
    assert preferences.load("nobody") == Profile("nobody")
    devices = (
        Device("0", "apns", "", at),  # names in a document path cannot be empty
        Device("d" * 200, "fcm", "arn:" + "a" * 1000, at - timedelta(microseconds=1) if at.year > 1 else at),
        Device("dot.ted", "fcm", "arn:x", at),
    )
    choices = {"a": True, "booking.email": False, "c" * 200: True}
    preferences.replace_choices("u1", choices, at)
    for device in devices:
        preferences.add_device("u1", device, at)
    preferences.record_sms_opt_out("u1", at)
    expected = Profile("u1", choices, tuple(sorted(devices, key=lambda d: d.device_id)), at)
    assert preferences.load("u1") == expected
    assert preferences.load_many(["u1", "nobody"]) == {"u1": expected, "nobody": Profile("nobody")}
    # One choice changes, the others stay; an empty map replaces them all
    preferences.set_choice("u1", "booking.email", True, at)
    assert preferences.load("u1").choices == {**choices, "booking.email": True}
    preferences.set_choice("u2", "k", False, at)
    assert preferences.load("u2") == Profile("u2", {"k": False})
    preferences.replace_choices("u1", {}, at)
    assert preferences.load("u1").choices == {}
    # Removing returns what was stored
    assert preferences.remove_device("u1", "dot.ted") == devices[2]
    assert preferences.remove_device("u1", "dot.ted") is None
    stored = db.get(preferences.NotificationProfile, "USER#u1", "NOTIFY")
    assert stored is not None and stored.updated_at == at and stored.sms_opted_out_at == at


@pytest.mark.ddblocal
@pytest.mark.parametrize("now", INSTANTS, ids=lambda at: str(at.year))
def test_delivery_record_round_trip(aws, now):
    lease = timedelta(seconds=30)
    for notification_id, channels in (("", set()), ("n" * 500, {"sms", "email", "push:" + "d" * 500})):
        assert deliveries.claim(notification_id, now, lease) == Claim(notification_id, frozenset(), 1)
        with pytest.raises(deliveries.Busy):
            deliveries.claim(notification_id, now, lease)
        deliveries.release(notification_id, channels, now)
        record = db.get(DeliveryRecord, deliveries.PK_PREFIX + notification_id, deliveries.SK)
        assert record is not None
        assert (record.status, record.lease, sorted(record.channels or []), record.attempts) == (
            "released",
            None,
            sorted(channels),
            1,
        )
        assert record.ttl == (now + deliveries.RECORD_LIFETIME).replace(microsecond=0)
        assert deliveries.claim(notification_id, now, lease) == Claim(notification_id, frozenset(channels), 2)
        # A lease that ran out can be taken over
        later = now + lease + timedelta(seconds=1)
        assert deliveries.claim(notification_id, later, lease) == Claim(notification_id, frozenset(channels), 3)
        deliveries.complete_many([(notification_id, channels)], now)
        assert deliveries.claim(notification_id, later, lease) is None
    many = [(f"batch-{n}", {"sms"}) for n in range(60)]
    deliveries.complete_many(many, now)
    assert all(deliveries.claim(n, now, lease) is None for n, _ in many)


@pytest.mark.ddblocal
def test_stored_item_view_round_trip(aws):
    # Given items of known and unknown entities, with every kind of value at its extremes
    cases = [
        (INSTANTS[0], "", None, 0),
        (INSTANTS[2], "d" * 300, LONG, BIG),
        (INSTANTS[-1], "kind", "", -BIG),
    ]
    for index, (at, kind, details, _number) in enumerate(cases):
        privacy_requests.create(f"v{index}", "u", kind, details, at, at)
        stored = items.get(f"PRIVREQ#v{index}", "META")
        assert stored is not None
        assert (stored.pk, stored.sk, stored.entity) == (f"PRIVREQ#v{index}", "META", "PrivacyRequest")
        expected = {
            "pk": f"PRIVREQ#v{index}",
            "sk": "META",
            "gsi1pk": "USER#u",
            "gsi1sk": f"PRIVREQ#{codec.encode(at)}#v{index}",
            "gsi2pk": "PRIVREQS#open",
            "gsi2sk": f"{codec.encode(at)}#v{index}",
            "request_id": f"v{index}",
            "user_id": "u",
            "kind": kind,
            "status": "open",
            "received_at": at,
            "due_at": at,
        }
        if details is not None:
            expected["details"] = details
        assert stored.values == expected
    preferences.replace_choices("u", {"a": True}, INSTANTS[1])
    preferences.add_device("u", Device("d", "fcm", "arn", INSTANTS[1]), INSTANTS[1])
    profile = items.get("USER#u", "NOTIFY")
    assert profile is not None and profile.entity == "NotificationProfile"
    assert profile.values["choices"] == {"a": True}
    assert profile.values["devices"] == {
        "d": {"platform": "fcm", "endpoint_arn": "arn", "registered_at": codec.encode(INSTANTS[1])}
    }
    assert profile.values["updated_at"] == INSTANTS[1]
    assert items.model_for("NotificationProfile") is preferences.NotificationProfile
    assert items.model_for("PrivacyRequest") is PrivacyRequest
    assert items.model_for("NoSuchEntity") is None

    # Generic writes by key: SET (instants through the codec) and REMOVE, conditional delete
    for index, (at, _kind, _details, number) in enumerate(cases):
        pk = f"PRIVREQ#v{index}"
        assert items.update(pk, "META", set_values={"due_at": at, "kind": "", "n": number}, remove=["details"])
        view = items.get(pk, "META")
        assert view is not None
        assert (view.values["due_at"], view.values["kind"], view.values["n"]) == (at, "", number)
        assert "details" not in view.values
    assert not items.update("PRIVREQ#absent", "META", remove=["details"])
    assert not items.delete("PRIVREQ#v0", "META", condition=PrivacyRequest.status == "closed")
    assert items.delete("PRIVREQ#v0", "META", condition=PrivacyRequest.status == "open")
    assert items.get("PRIVREQ#v0", "META") is None
    assert items.delete_many([("PRIVREQ#v1", "META"), ("PRIVREQ#v2", "META"), ("PRIVREQ#none", "META")]) == 3
    assert items.get("PRIVREQ#v1", "META") is None and items.get("PRIVREQ#v2", "META") is None
    # An item whose entity has no model keeps every attribute, decoded by its type
    values = {"name": "", "count": BIG, "zero": 0, "flag": True, "at": INSTANTS[0]}
    assert not items.update("TEST#1", "X", set_values=values)  # by default only an existing item
    assert items.update("TEST#1", "X", set_values=values, condition=TableItem.pk.does_not_exist())
    unknown = items.get("TEST#1", "X")
    assert unknown == StoredItem(
        "TEST#1", "X", "", {"pk": "TEST#1", "sk": "X", **values, "at": codec.encode(INSTANTS[0])}
    )
    assert unknown.text("name") == "" and unknown.text("count") == ""
