"""Delivery records and notification profiles on moto AND DynamoDB Local (the conditions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import errors
from chalicelib.store import deliveries
from chalicelib.store import preferences as profiles

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=55)


@pytest.mark.ddblocal
def test_claim_release_and_done(aws):
    # Given a new notification
    # When it is claimed
    first = deliveries.claim("n-1", NOW, LEASE)
    # Then the claim is granted with no channels done
    assert first is not None and first.channels_done == frozenset() and first.attempt == 1
    # And a second consumer is told it is busy while the lease runs
    with pytest.raises(deliveries.Busy):
        deliveries.claim("n-1", NOW + timedelta(seconds=1), LEASE)
    # When the first releases it after SMS went out
    deliveries.release("n-1", {"sms"}, NOW)
    # Then the next claim sees the SMS as done
    second = deliveries.claim("n-1", NOW + timedelta(seconds=2), LEASE)
    assert second is not None and second.channels_done == frozenset({"sms"}) and second.attempt == 2
    # When it completes
    deliveries.complete_many([("n-1", {"sms", "email"})], NOW)
    # Then every later claim says "already delivered"
    assert deliveries.claim("n-1", NOW + timedelta(days=1), LEASE) is None


@pytest.mark.ddblocal
def test_a_crashed_claim_expires(aws):
    # Given a claim whose consumer died
    assert deliveries.claim("n-2", NOW, LEASE) is not None
    # When SQS redelivers after the lease
    # Then the new consumer gets it
    assert deliveries.claim("n-2", NOW + LEASE + timedelta(seconds=1), LEASE) is not None


@pytest.mark.ddblocal
def test_devices_limit_and_choices(aws, monkeypatch):
    monkeypatch.setattr(profiles, "MAX_DEVICES", 2)

    def device(n: int) -> profiles.Device:
        return profiles.Device(f"d{n}", "fcm", f"arn:aws:sns:eu-central-1:1:endpoint/GCM/app/{n}", NOW)

    # Given two devices (the first creates the map, the second is added to it)
    profiles.add_device("u1", device(1), NOW)
    profiles.add_device("u1", device(2), NOW)
    # When a third is added
    # Then the conditional write refuses it, and re-adding a known one still works
    with pytest.raises(errors.Conflict):
        profiles.add_device("u1", device(3), NOW)
    profiles.add_device("u1", device(2), NOW)
    assert [d.device_id for d in profiles.load("u1").devices] == ["d1", "d2"]
    # When one is removed
    removed = profiles.remove_device("u1", "d1")
    assert removed is not None and removed.endpoint_arn.endswith("/1")
    assert profiles.remove_device("u1", "d1") is None
    # And choices: one changed by a link, then all replaced, devices untouched
    profiles.set_choice("u1", "reminders.sms", False, NOW)
    profiles.set_choice("u1", "booking_updates.email", False, NOW)
    assert profiles.load("u1").choices == {"reminders.sms": False, "booking_updates.email": False}
    profiles.replace_choices("u1", {"platform_news.email": True}, NOW)
    loaded = profiles.load_many(["u1", "nobody"])
    assert loaded["u1"].choices == {"platform_news.email": True}
    assert [d.device_id for d in loaded["u1"].devices] == ["d2"]
    assert loaded["nobody"].choices == {}
