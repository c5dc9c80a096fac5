"""Round trips through the store for calendar feed grants and slots (and business webhook
endpoints): value -> store write -> read back -> equal, at the codec's extreme instants.
On moto and on DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.store import calendar_feeds, db, webhooks

COVERS = ("CalendarFeed", "CalendarFeedSlot", "WebhookEndpoint", "WebhookCounter")

YEAR_1 = datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 20, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_9999])
def test_calendar_feed_grant_and_slot_round_trip(aws, at):
    # Given a specialist feed and a customer feed issued at an extreme instant
    staff_grant = calendar_feeds.Grant("u" * 32, "specialist", "b" * 32, "v" * 32, "p" * 32)
    mine = calendar_feeds.Grant("u" * 32, "customer", None, None, None)
    target = calendar_feeds.specialist_target("b" * 32, "p" * 32)
    calendar_feeds.issue(staff_grant, target, "token-1", None, at)
    calendar_feeds.issue(mine, calendar_feeds.ME, "token-2", None, at)
    # Then each token finds its grant, every field equal, and the slots hold only the hashes
    assert calendar_feeds.find("token-1") == staff_grant and calendar_feeds.find("token-2") == mine
    assert calendar_feeds.current_hash("u" * 32, target) == calendar_feeds.token_hash("token-1")
    slot = db.get(calendar_feeds.CalendarFeedSlot, "USER#" + "u" * 32, "CALFEED#me")
    assert slot is not None and slot.created_at == at and slot.token_hash == calendar_feeds.token_hash("token-2")
    grant = db.get(calendar_feeds.CalendarFeed, "CALFEED#" + calendar_feeds.token_hash("token-1"), "CALFEED")
    assert grant is not None and grant.created_at == at and grant.gsi1pk == "USER#" + "u" * 32
    # And a re-issue replaces the grant; a stale replace or revoke is refused
    calendar_feeds.issue(mine, calendar_feeds.ME, "token-3", calendar_feeds.token_hash("token-2"), at)
    assert calendar_feeds.find("token-2") is None and calendar_feeds.find("token-3") == mine
    with pytest.raises(calendar_feeds.FeedChanged):
        calendar_feeds.revoke("u" * 32, calendar_feeds.ME, calendar_feeds.token_hash("token-2"))
    calendar_feeds.revoke("u" * 32, calendar_feeds.ME, calendar_feeds.token_hash("token-3"))
    assert calendar_feeds.find("token-3") is None and calendar_feeds.current_hash("u" * 32, calendar_feeds.ME) is None


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_9999])
def test_webhook_endpoint_and_its_delivery_log_round_trip(aws, at):
    # Given an endpoint registered at an extreme instant, with every event kind and a long URL
    url = "https://hooks.example.com/" + "ß" * 500
    kinds = frozenset({"booking.created", "booking.no_show"})
    created = webhooks.create("b" * 32, "e" * 32, url, kinds, "s" * 32, "u" * 32, at, limit=10)
    # Then it reads back equal, and its log follows a failure and a success
    assert webhooks.get("b" * 32, "e" * 32) == created
    assert created.url == url and created.kinds == kinds and created.created_at == at
    failed = webhooks.record_failure("b" * 32, "e" * 32, None, "timeout", at)
    assert failed is not None and failed.consecutive_failures == 1 and failed.failing_since == at
    assert failed.last_status is None and failed.last_error == "timeout" and failed.last_attempt_at == at
    again = webhooks.record_failure("b" * 32, "e" * 32, 599, "http_599", at)
    assert again is not None and again.consecutive_failures == 2 and again.failing_since == at
    webhooks.record_success("b" * 32, "e" * 32, 299, at)
    ok = webhooks.get("b" * 32, "e" * 32)
    assert ok is not None and (ok.last_status, ok.last_error, ok.failing_since, ok.consecutive_failures) == (
        299,
        None,
        None,
        0,
    )
    assert webhooks.disable("b" * 32, "e" * 32, at) and not webhooks.disable("b" * 32, "e" * 32, at)
    disabled = webhooks.get("b" * 32, "e" * 32)
    assert disabled is not None and disabled.status == webhooks.DISABLED and disabled.disabled_at == at
    # And the count item bounds the business: full at the limit, freed by a delete
    with pytest.raises(webhooks.TooManyEndpoints):
        webhooks.create("b" * 32, "f" * 32, url, kinds, "s", "u", at, limit=1)
    counter = db.get(webhooks.WebhookCounter, "BIZ#" + "b" * 32, webhooks.COUNTER_SK)
    assert counter is not None and int(counter.endpoints) == 1 and counter.business_id == "b" * 32
    assert webhooks.delete("b" * 32, "e" * 32) and not webhooks.delete("b" * 32, "e" * 32)
    assert webhooks.list_for("b" * 32, 10) == []
