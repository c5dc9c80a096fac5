"""The transactional outbox: a booking change and its notification commit together; the table
stream relays it to SQS; a fault never loses it and a repeat never sends it twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.schedules import run_stranded_relay
from tests.support.fixtures_bookings import table_items


def _items(prefix: str) -> list[dict[str, str]]:
    """Items whose partition key starts with ``prefix``, their string attributes plain."""
    found = []
    for item in table_items():
        if item["pk"]["S"].startswith(prefix):
            found.append({name: value["S"] for name, value in item.items() if "S" in value})
    return found


def outbox_items() -> list[dict[str, str]]:
    return _items(resources.OUTBOX_KEY_PREFIX)


def reminder_items() -> list[dict[str, str]]:
    return [i for i in _items("REMIND#") if i["pk"] != "REMIND#CURSOR"]


def taken(notify) -> list[dict[str, Any]]:
    """Every message newly on the notifications queue, taken off it (hidden for a minute)."""
    from chalicelib.aws_clients import client

    found: list[dict[str, Any]] = []
    while True:
        answer = client("sqs").receive_message(
            QueueUrl=notify.queue_url(), MaxNumberOfMessages=10, VisibilityTimeout=60
        )
        if not answer.get("Messages"):
            return sorted(found, key=lambda m: m["notification_id"])
        found += [json.loads(m["Body"]) for m in answer["Messages"]]


def book(api, salon, customer, days: int = 2, wall: str = "10:00") -> dict[str, Any]:
    response = api.post(
        "/v1/bookings", salon.body(salon.at(days, wall), salon.specialist_ids[0]), headers=customer.headers
    )
    assert response.status == 201, response.body
    return dict(response.json)


@pytest.mark.ddblocal
def test_a_booking_records_its_notification_in_the_same_transaction_and_the_stream_relays_it(
    api, salon, customer, notify
):
    # proves: NOTE-1, SHARE-2
    # Given a booking just created over HTTP
    booking = book(api, salon, customer)
    # Then the request sent nothing to SQS: the notification waits in the outbox, keyed by event
    assert taken(notify) == []
    [pending] = outbox_items()
    assert pending["pk"] == f"OUTBOX#{booking['id']}:created" and pending["kind"] == "booking.created"
    assert "phone" not in pending["payload"] and customer.phone not in pending["payload"]  # SHARE-2
    # When the table stream is fed to the relay
    result = notify.relay()
    # Then exactly one booking.created message is queued, its reminders are planned, the outbox is empty,
    # and every other record of the stream (booking, locks, audit) was passed over without failing
    assert result.error is None and result.received > 1
    [message] = taken(notify)
    assert message["kind"] == "booking.created" and message["notification_id"] == f"{booking['id']}:created"
    assert message["user_id"] == customer.user_id and message["params"]["booking_id"] == booking["id"]
    assert len(reminder_items()) == 2
    assert outbox_items() == []


@pytest.mark.ddblocal
def test_the_stream_consumer_seals_each_new_audit_record_into_its_chain(api, salon, customer, notify):
    # proves: SEC-6
    from chalicelib.privacy.verify_audit import verify
    from chalicelib.store import audit as audit_store

    # Given a booking created over HTTP: its audit record committed with it, not sealed yet
    book(api, salon, customer)
    [record] = [r for r in audit_store.list_records(salon.business_id) if r.action == "booking.created"]
    assert record.seq is None and verify(salon.business_id).unsealed >= 1
    # When the table stream is fed to its consumer (twice: a redelivery seals nothing twice)
    assert notify.relay().error is None
    assert notify.relay().error is None
    # Then the record is sealed: first in its chain, under a signed head, and the log verifies
    chain = audit_store.Chain(salon.business_id, audit_store.shard_of(record.record_id))
    [sealed] = [r for r in audit_store.sealed_records(chain) if r["record_id"] == record.record_id]
    head = audit_store.seal_head(chain)
    assert head is not None and int(head.seq) >= int(sealed["seq"]) >= 1 and head.signature
    result = verify(salon.business_id)
    assert result.ok and result.checked >= 1 and result.unsealed == 0, result.problems


def test_a_change_that_does_not_commit_records_no_notification(api, salon, customer, signup, notify):
    # Given a booked slot
    book(api, salon, customer)
    notify.relay()
    assert [m["kind"] for m in taken(notify)] == ["booking.created"]
    # When someone else asks for an overlapping interval of the same specialist
    other = signup(name="Late")
    refused = api.post("/v1/bookings", salon.body(salon.at(2, "10:30"), salon.specialist_ids[0]), headers=other.headers)
    # Then the 409 left no outbox item and nothing more is queued after a relay
    assert refused.status == 409
    assert outbox_items() == []
    notify.relay()
    assert taken(notify) == []


@pytest.mark.ddblocal
@pytest.mark.parametrize("partial", [True, False])
def test_a_failed_publish_keeps_the_event_until_a_later_relay_sends_it_once(
    api, salon, customer, notify, monkeypatch, partial
):
    # Given a booking, and SQS refusing the first send (with and without partial batch responses)
    notify.partial(partial)
    booking = book(api, salon, customer)
    from chalicelib.notify import producer

    real_enqueue = producer.enqueue
    calls: list[str] = []

    def flaky(message: Any) -> None:
        calls.append(message.notification_id)
        if len(calls) == 1:
            raise RuntimeError("SQS is unavailable")
        real_enqueue(message)

    monkeypatch.setattr(producer, "enqueue", flaky)
    # When the relay runs
    first = notify.relay()
    # Then the batch is reported failed, nothing is queued, and the event is still in the outbox
    assert first.error is not None if not partial else first.deleted < first.received
    assert taken(notify) == []
    assert [i["pk"] for i in outbox_items()] == [f"OUTBOX#{booking['id']}:created"]
    # When the stream hands the records over again
    second = notify.relay()
    # Then the notification is queued once and the outbox is empty
    assert second.error is None
    assert [m["notification_id"] for m in taken(notify)] == [f"{booking['id']}:created"]
    assert outbox_items() == []
    # And a third pass (a duplicate delivery of the stream records) sends nothing more
    notify.stream = None  # a fresh reader starts at TRIM_HORIZON: every record again
    assert notify.relay().error is None
    assert taken(notify) == [] and calls.count(f"{booking['id']}:created") == 2


def test_the_schedule_relays_what_the_stream_left_behind(api, salon, customer, notify, clock):
    # Given a booking whose stream records were never relayed
    booking = book(api, salon, customer)
    # When the stranded-event schedule runs within two minutes of the change
    clock.advance(timedelta(seconds=90))
    # Then it leaves the event to the stream
    assert run_stranded_relay() == {"relayed": 0}
    assert len(outbox_items()) == 1
    # When it runs after that
    clock.advance(timedelta(minutes=1))
    # Then it relays the event: queued once, outbox empty, and the stream's late pass sends nothing more
    assert run_stranded_relay() == {"relayed": 1}
    assert [m["notification_id"] for m in taken(notify)] == [f"{booking['id']}:created"]
    assert outbox_items() == []
    assert notify.relay().error is None
    assert taken(notify) == []


def test_every_notified_change_has_its_own_event(api, salon, customer, notify):
    # proves: NOTE-1
    # Given a booking that is confirmed, moved and then cancelled
    booking = book(api, salon, customer)
    base = f"/v1/businesses/{salon.business_id}/bookings/{booking['id']}"
    assert api.post(f"{base}/confirm", headers=salon.owner.headers).status == 200
    later = salon.at(3, "14:00")
    moved = api.post(f"/v1/bookings/{booking['id']}/reschedule", {"start": later.isoformat()}, headers=customer.headers)
    assert moved.status == 200, moved.body
    # And marked attended would not notify, so only cancel is left
    assert api.post(f"/v1/bookings/{booking['id']}/cancel", headers=customer.headers).status == 200
    # When the stream is relayed
    assert notify.relay().error is None
    # Then one message per change was queued, each with its own id, and the outbox is empty
    assert [(m["kind"], m["notification_id"]) for m in taken(notify)] == [
        ("booking.cancelled", f"{booking['id']}:cancelled"),
        ("booking.confirmed", f"{booking['id']}:confirmed"),
        ("booking.created", f"{booking['id']}:created"),
        ("booking.rescheduled", f"{booking['id']}:rescheduled:{later.strftime('%Y%m%dT%H%MZ')}"),
    ]
    assert outbox_items() == []


def test_an_event_rewritten_while_it_was_relayed_is_kept_for_its_own_record(aws, clock):
    # Given an outbox event read by the relay
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings
    from chalicelib.store import db, outbox

    def write(payload):
        tx = db.Transaction()
        outbox.add(tx, "bk-1:created", "booking.created", payload, clock.now())
        tx.commit()

    table = get_settings().resolved_table_name()
    write({"a": 1})
    read = outbox.get("OUTBOX#bk-1:created")
    assert read is not None and read.payload == {"a": 1}
    # When the same event id is written again before the relay deletes it
    clock.advance(timedelta(seconds=1))
    write({"a": 2})
    # Then the relay's delete leaves the newer write alone (its own stream record relays it)
    assert outbox.delete(read) is False
    kept = client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "OUTBOX#bk-1:created"}, "sk": {"S": "EVENT"}})
    assert json.loads(kept["Item"]["payload"]["S"]) == {"a": 2}
    newer = outbox.get("OUTBOX#bk-1:created")
    assert newer is not None and outbox.delete(newer) is True
    assert outbox.get("OUTBOX#bk-1:created") is None
