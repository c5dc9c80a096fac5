"""Round trips through the store for calendar feed grants and slots (and business webhook
endpoints): value -> store write -> read back -> equal, at the codec's extreme instants.
On moto and on DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.store import calendar_feeds, db

COVERS = ("CalendarFeed", "CalendarFeedSlot")

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
