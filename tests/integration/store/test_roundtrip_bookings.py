"""Round trips through the store for bookings, day locks, idempotency records, discount codes
and outbox events: value -> store write -> read back -> equal, every field, at each field's
extremes (instants in years 1, 0837 and 9999; empty and long text; zero and large numbers).
On moto and on DynamoDB Local."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.bookings import Actor, Booking, BookingStatus, DiscountCode, DiscountKind
from chalicelib.store import bookings, db, discounts, outbox

COVERS = (
    "BookingRecord",
    "SpecialistDayLock",
    "BookingIdempotencyRecord",
    "DiscountCodeRecord",
    "OutboxEvent",
    "ReminderCursor",
    "AuditChainHead",
)

YEAR_1 = datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC)
YEAR_837 = datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 20, 23, 59, 59, 999999, tzinfo=UTC)
LONG = "Ä" + "n" * 498 + "ß"
BIG = 10**15


def _booking(n: int, at: datetime, *, rich: bool) -> Booking:
    return Booking(
        booking_id=f"{n:032x}",
        business_id="b" * 32,
        venue_id="v" * 32,
        specialist_id="p" * 32,
        specialist_requested=rich,
        service_id="s" * 32,
        customer_user_id="u" * 32,
        status=BookingStatus.CANCELLED if rich else BookingStatus.PENDING,
        start=at,
        end=at + timedelta(minutes=45),
        occupied_start=at - timedelta(minutes=10) if rich else at,
        occupied_end=at + timedelta(minutes=60),
        timezone="Asia/Almaty" if rich else "UTC",
        created_at=at - timedelta(days=1),
        updated_at=at - timedelta(hours=1),
        notes=LONG if rich else None,
        discount_code="SUMMER-2026" if rich else None,
        price_minor=BIG if rich else 0,
        discount_minor=BIG // 2 if rich else 0,
        currency="EUR",
        venue_name=LONG if rich else "",
        venue_address=LONG if rich else "",
        service_name=LONG if rich else "",
        specialist_name=LONG if rich else "",
        cancelled_by=Actor.BUSINESS if rich else None,
        version=BIG if rich else 1,
    )


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1 + timedelta(days=1), YEAR_837, YEAR_9999 - timedelta(days=1)])
@pytest.mark.parametrize("rich", [False, True])
def test_a_booking_round_trips_with_every_field(aws, at, rich):
    # Given a booking at an extreme of the accepted range
    booking = _booking(1, at, rich=rich)
    # When it is written through the store and read back
    db.put(bookings.booking_record(booking))
    read = bookings.get_booking(booking.booking_id)
    # Then every field is as written
    assert read is not None
    for f in fields(Booking):
        assert getattr(read, f.name) == getattr(booking, f.name), f.name
    # And its index sort keys still list it by start
    found, _ = bookings.query_bookings("GSI1", bookings.customer_index_key(booking.customer_user_id))
    assert [b.booking_id for b in found] == [booking.booking_id]


@pytest.mark.ddblocal
def test_day_locks_and_idempotency_records_round_trip(aws):
    # Given a booking created through the store with an idempotency record, on a day in year 837
    booking = _booking(2, YEAR_837, rich=False)
    day = booking.occupied_start.date()
    locks, _ = bookings.read_locks_and_discount(booking.business_id, {booking.specialist_id: [day]}, None)
    assert locks[(booking.specialist_id, day)].version == 0
    now = booking.created_at
    bookings.create_booking(booking, [locks[(booking.specialist_id, day)]], now=now, idempotency=("u1", "k" * 255, "h"))
    # When the lock and the record are read back
    locks, _ = bookings.read_locks_and_discount(booking.business_id, {booking.specialist_id: [day]}, None)
    lock = locks[(booking.specialist_id, day)]
    # Then the lock holds exactly the booking's occupied interval, and the busy view agrees
    assert lock.version == 1
    assert lock.occupied == {booking.booking_id: booking.occupied}
    busy = bookings.busy_intervals(
        booking.business_id,
        booking.venue_id,
        [booking.specialist_id],
        YEAR_837 - timedelta(days=1),
        YEAR_837 + timedelta(days=1),
    )
    assert busy == {booking.specialist_id: [booking.occupied]}
    entry = bookings.get_idempotency("u1", "k" * 255, now)
    assert entry == bookings.IdempotencyEntry(request_hash="h", booking_id=booking.booking_id)
    assert bookings.get_idempotency("u1", "k" * 255, now + timedelta(days=2)) is None  # past its window


@pytest.mark.ddblocal
@pytest.mark.parametrize("extreme", ["least", "most"])
def test_a_discount_code_round_trips(aws, extreme):
    most = extreme == "most"
    code = DiscountCode(
        business_id="b" * 32,
        code="X" * 32 if most else "A",
        kind=DiscountKind.FIXED if most else DiscountKind.PERCENT,
        value=BIG if most else 1,
        valid_from=YEAR_837 if most else YEAR_1,
        valid_until=YEAR_9999,
        created_at=YEAR_837,
        currency="EUR" if most else None,
        max_uses=BIG if most else None,
        uses=0,
        active=not most,
    )
    discounts.create(code)
    assert discounts.get(code.business_id, code.code) == code
    listed, _ = discounts.list_codes(code.business_id, limit=10)
    assert listed == [code]
    # and an update reads back what it wrote (year 837 was the value strftime could not store)
    discounts.update(code.business_id, code.code, valid_until=YEAR_837, clear_max_uses=True)
    assert discounts.get(code.business_id, code.code) == replace(code, valid_until=YEAR_837, max_uses=None)


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_837, YEAR_9999 - timedelta(days=30)])
def test_an_outbox_event_round_trips(aws, at):
    payload = {"text": LONG, "n": BIG, "nested": {"list": [1, "two", None]}, "empty": {}}
    tx = db.Transaction()
    outbox.add(tx, "e:1", "booking.created", payload, at)
    tx.commit()
    read = outbox.get(outbox.partition_key("e:1"))
    assert read == outbox.PendingEvent(
        partition_key=outbox.partition_key("e:1"),
        event_id="e:1",
        kind="booking.created",
        payload=payload,
        recorded_at=at,
        done=frozenset(),
    )
    outbox.mark_done(read, ["notifications"])
    marked = outbox.get(outbox.partition_key("e:1"))
    assert marked is not None and marked.done == frozenset({"notifications"})
    assert list(outbox.recorded_before(at + timedelta(seconds=1))) == [outbox.partition_key("e:1")]


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_837, YEAR_9999])
def test_the_reminder_cursor_and_the_audit_head_round_trip(aws, at):
    from chalicelib.store import audit, reminders

    reminders.set_processed_until(at)
    assert reminders.processed_until() == at
    from chalicelib.store import db

    tx = db.Transaction()
    audit.add(
        tx,
        audit.NewRecord(
            tenant="t",
            record_id="r1",
            actor="a",
            action="x",
            entity="e",
            entity_id="1",
            at=at,
            summary={},
            expires_at=None,
        ),
    )
    tx.commit()
    chain = audit.Chain("t", audit.shard_of("r1"))
    assert audit.seal(chain, lambda fields, previous: "h" + previous[:7], lambda *_: "sig", at) == 1
    head = audit.seal_head(chain)
    [written] = audit.sealed_records(chain)
    assert head is not None and (int(head.seq), head.hash, head.signature) == (1, written["hash"], "sig")
    assert head.anchored_at == at and int(head.anchor_seq) == 1
    [anchor] = audit.anchors(chain)
    assert (int(anchor.seq), anchor.hash, anchor.anchored_at) == (1, written["hash"], at)


def test_every_stored_entity_has_a_round_trip_test():
    # Each round-trip file declares the entities its tests write and read back (COVERS);
    # together they must name every model of the table, so a new entity needs one.
    import importlib
    from pathlib import Path

    from chalicelib.cli.data_model import models

    covered: set[str] = set()
    for path in Path(__file__).parent.glob("test_roundtrip_*.py"):
        covered |= set(importlib.import_module(f"tests.integration.store.{path.stem}").COVERS)
    missing = sorted({m.__name__ for m in models()} - covered)
    assert not missing, f"no round trip for: {missing}"


def test_the_day_key_of_a_year_837_lock():
    assert bookings.lock_sk(date(837, 7, 7)) == "DAY#0837-07-07"
