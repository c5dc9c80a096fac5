"""The domain-event seam (chalicelib/services/events.py): an event recorded in a change's
transaction reaches every subscriber of its kind after the commit, a failing subscriber is
retried alone, and nothing is recorded when the change does not commit."""

from __future__ import annotations

from datetime import datetime

import pytest
from pynamodb.attributes import UnicodeAttribute

from chalicelib.services import events
from chalicelib.store import db, outbox
from chalicelib.store.table import TableItem


class Thing(TableItem, discriminator="TestThing"):
    name = UnicodeAttribute()


def _change(event: events.DomainEvent, now: datetime, *, fail: bool = False) -> None:
    """A change (one item) and its event, in one transaction; ``fail`` makes the change's condition fail."""
    tx = db.Transaction()
    condition = Thing.pk.exists() if fail else Thing.pk.does_not_exist()
    tx.put(Thing(f"THING#{event.event_id}", "THING", name="x"), role="thing", condition=condition)
    events.record(tx, event, now)
    tx.commit()


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.seen: list[tuple[str, str, datetime]] = []
        self.failures = failures

    def __call__(self, event: events.DomainEvent, recorded_at: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("subscriber down")
        self.seen.append((event.kind, event.event_id, recorded_at))


@pytest.mark.ddblocal
def test_each_subscriber_of_the_kind_runs_once_and_the_event_is_forgotten(aws, clock):
    # Given two subscribers of "thing.made" and one of another kind
    first, second, other = Recorder(), Recorder(), Recorder()
    subscriptions = [
        events.Subscription("first", frozenset({"thing.made"}), first),
        events.Subscription("second", frozenset({"thing.made"}), second),
        events.Subscription("other", frozenset({"thing.gone"}), other),
    ]
    # When a change records its event and the relay runs for it
    _change(events.DomainEvent("thing.made", "t1:made", {"n": 1}), clock.now())
    assert events.relay(outbox.partition_key("t1:made"), subscriptions) is True
    # Then each subscriber of that kind saw it once, with the commit time, and the outbox is empty
    assert first.seen == second.seen == [("thing.made", "t1:made", clock.now())]
    assert other.seen == []
    assert outbox.get(outbox.partition_key("t1:made")) is None
    # And a second delivery of the same stream record does nothing
    assert events.relay(outbox.partition_key("t1:made"), subscriptions) is False
    assert len(first.seen) == 1


@pytest.mark.ddblocal
def test_a_failing_subscriber_is_retried_without_rerunning_the_others(aws, clock):
    # Given a subscriber that fails once after another one succeeded
    first, flaky = Recorder(), Recorder(failures=1)
    subscriptions = [
        events.Subscription("first", frozenset({"thing.made"}), first),
        events.Subscription("flaky", frozenset({"thing.made"}), flaky),
    ]
    _change(events.DomainEvent("thing.made", "t2:made", {}), clock.now())
    key = outbox.partition_key("t2:made")
    # When the relay runs, the failure propagates (the stream retries) and the event stays
    with pytest.raises(RuntimeError):
        events.relay(key, subscriptions)
    pending = outbox.get(key)
    assert pending is not None and pending.done == frozenset({"first"})
    # Then the retry runs only the one that failed, and forgets the event
    assert events.relay(key, subscriptions) is True
    assert len(first.seen) == 1 and len(flaky.seen) == 1
    assert outbox.get(key) is None


@pytest.mark.ddblocal
def test_no_event_without_the_change(aws, clock):
    # Given a change whose condition fails
    with pytest.raises(db.TransactionCancelled) as cancelled:
        _change(events.DomainEvent("thing.made", "t3:made", {}), clock.now(), fail=True)
    # Then the transaction names the failed role and no event was recorded
    assert cancelled.value.failed == frozenset({"thing"})
    assert outbox.get(outbox.partition_key("t3:made")) is None


def test_the_registry_names_each_subscriber_once_and_notifies_every_booking_kind():
    from chalicelib.notify.events import BOOKING_KINDS
    from chalicelib.services.subscribers import SUBSCRIPTIONS

    names = [s.name for s in SUBSCRIPTIONS]
    assert len(names) == len(set(names))
    notified = {kind for s in SUBSCRIPTIONS if s.name == "notifications" for kind in s.kinds}
    assert notified == BOOKING_KINDS
