"""Survey links and the surveys category (REV-3): pure code, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.notify import preferences, surveys, unsubscribe
from chalicelib.notify.messages import Category, Channel

DEADLINE = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)


def test_a_survey_link_names_its_booking_customer_and_deadline():
    # proves: REV-3
    link = surveys.read_token(surveys.make_token("bk-1", "u-1", DEADLINE))
    assert (link.booking_id, link.user_id, link.expires_at) == ("bk-1", "u-1", DEADLINE)
    assert not link.expired(DEADLINE.replace(hour=8)) and link.expired(DEADLINE)


def test_survey_and_unsubscribe_tokens_never_read_as_each_other():
    # proves: REV-3
    with pytest.raises(surveys.InvalidToken):
        surveys.read_token(unsubscribe.make_token("u-1", Category.SURVEYS, Channel.SMS))
    with pytest.raises(unsubscribe.InvalidToken):
        unsubscribe.read_token(surveys.make_token("bk-1", "u-1", DEADLINE))
    with pytest.raises(surveys.InvalidToken):
        surveys.read_token(surveys.make_token("bk-1", "u-1", DEADLINE)[:-2] + "xx")


def test_surveys_are_on_by_default_and_can_be_turned_off_per_channel():
    defaults = ["sms", "email"]
    assert Category.SURVEYS in preferences.STANDARD
    assert preferences.is_enabled({}, Category.SURVEYS, Channel.SMS, defaults)
    assert not preferences.is_enabled({}, Category.SURVEYS, Channel.PUSH, defaults)
    muted = preferences.stored_choices([(Category.SURVEYS, Channel.SMS, False)], defaults)
    assert not preferences.is_enabled(muted, Category.SURVEYS, Channel.SMS, defaults)
    assert preferences.is_enabled(muted, Category.SURVEYS, Channel.EMAIL, defaults)
