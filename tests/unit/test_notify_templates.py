"""Templates, unsubscribe tokens and preference rules: pure code, no AWS."""

from __future__ import annotations

import pytest

from chalicelib.notify import preferences, templates, unsubscribe
from chalicelib.notify.channels import base, mail, push
from chalicelib.notify.messages import Category, Channel

BOOKING = {
    "booking_id": "bk-1",
    "venue_name": "Studio Lotus",
    "service_name": "Haircut",
    "specialist_name": "Mila",
    "start": "2026-07-01T06:30:00+00:00",
    "timezone": "Asia/Baku",
}
PARAMS = {
    "otp": {"code": "424242"},
    "review.request": BOOKING,
    "policy.change": {"policy_version": "2027-01", "effective_on": "2027-01-01", "url": "https://example.com/p"},
    "travel.status": {"request_id": "r-1", "status": "confirmed"},
    "support.reply": {"ticket_id": "t-1"},
    "webhook.disabled": {"host": "hooks.example.com", "disabled_at": "2026-11-23T09:00:00+00:00"},
    # --- wallet (NOTE-4) ---
    "wallet.top_up": {"amount": "5.00 AZN"},
    "wallet.top_up_card": {"amount": "5.00 AZN", "last4": "5678"},
    "wallet.payment": {"amount": "1.50 AZN"},
    "wallet.payment_card": {"amount": "1.50 AZN", "last4": "5678"},
    "waitlist.offered": BOOKING | {"hold_minutes": "15"},  # issue #18
    "survey.invitation": {**BOOKING, "url": "https://example.com/v1/survey?token=t"},
    # --- tickets (NOTE-4) ---
    "ticket.used": {
        "product_name": "Single ride",
        "place": "Koroglu",
        "start": "2026-11-22T09:00:00+00:00",
        "timezone": "Asia/Baku",
    },
}


@pytest.mark.parametrize("locale", templates.LOCALES)
@pytest.mark.parametrize("kind", sorted(templates.kinds()))
def test_every_kind_renders_in_every_locale(kind, locale):
    # Given each template kind in en, ru, az and bg
    # When rendered with its parameters
    rendered = templates.render(kind, locale, PARAMS.get(kind, BOOKING))
    # Then subject and body are filled in, with no placeholder left, in that language
    assert rendered.subject and rendered.body and rendered.locale == locale
    assert "{" not in rendered.body and "}" not in rendered.body
    if locale != "en":
        assert rendered.body != templates.render(kind, "en", PARAMS.get(kind, BOOKING)).body


def test_time_is_shown_in_the_venues_zone():
    # Given a booking at 06:30 UTC in a Baku venue (UTC+4)
    # When rendered in English and in Azerbaijani
    # Then both show 10:30, the venue's local time
    assert "1 Jul 2026, 10:30" in templates.render("booking.reminder", "en", BOOKING).body
    assert "01.07.2026 10:30" in templates.render("booking.reminder", "az", BOOKING).body


def test_unknown_locale_falls_back_to_english_and_regional_variants_match():
    assert templates.render("otp", "fr", {"code": "1"}).locale == "en"
    assert templates.render("otp", "ru-RU", {"code": "1"}).locale == "ru"


def test_missing_parameter_or_kind_is_a_template_error():
    with pytest.raises(templates.TemplateError):
        templates.render("otp", "en", {})
    with pytest.raises(templates.TemplateError):
        templates.render("no.such", "en", {})


def test_booking_text_carries_no_ids():
    # proves: SHARE-2
    body = templates.render("booking.confirmed", "en", BOOKING).body
    assert "bk-1" not in body


def test_unsubscribe_token_round_trip_and_tamper():
    # proves: NOTE-3
    token = unsubscribe.make_token("user-1", Category.REMINDERS, Channel.SMS)
    request = unsubscribe.read_token(token)
    assert (request.user_id, request.category, request.channel) == ("user-1", Category.REMINDERS, Channel.SMS)
    with pytest.raises(unsubscribe.InvalidToken):
        unsubscribe.read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(unsubscribe.InvalidToken):
        unsubscribe.read_token("garbage")


def test_preference_defaults_and_stored_choices():
    # proves: NOTE-2
    defaults = ["sms", "email"]
    assert preferences.is_enabled({}, Category.BOOKING_UPDATES, Channel.SMS, defaults)
    assert not preferences.is_enabled({}, Category.BOOKING_UPDATES, Channel.PUSH, defaults)
    assert not preferences.is_enabled({}, Category.PARTNER_MARKETING, Channel.EMAIL, defaults)
    assert preferences.is_enabled({"account.sms": False}, Category.ACCOUNT, Channel.SMS, defaults)
    stored = preferences.stored_choices(
        [
            (Category.BOOKING_UPDATES, Channel.SMS, True),  # the default: not stored
            (Category.REMINDERS, Channel.SMS, False),
            (Category.PLATFORM_NEWS, Channel.EMAIL, True),
        ],
        defaults,
    )
    assert stored == {"reminders.sms": False, "platform_news.email": True}


def test_email_headers_and_parts():
    # proves: NOTE-3
    rendered = templates.render("booking.confirmed", "bg", BOOKING)
    url = "https://api.example.com/v1/unsubscribe?token=" + "x" * 150
    message = mail.build("a@example.com", base.Outgoing(rendered, url), "no-reply@example.com")
    raw = message.as_bytes()
    assert b"List-Unsubscribe: <" + url.encode() + b">" in raw  # one line, never folded
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}
    # An account message has no unsubscribe header
    plain = mail.build("a@example.com", base.Outgoing(rendered, None), "no-reply@example.com")
    assert "List-Unsubscribe" not in plain


def test_push_payload_has_title_and_body_for_both_platforms():
    import json

    rendered = templates.render("booking.reminder", "en", BOOKING)
    payload = json.loads(push.payload(base.Outgoing(rendered)))
    assert json.loads(payload["APNS"])["aps"]["alert"]["title"] == "Reminder"
    assert json.loads(payload["GCM"])["notification"]["body"] == rendered.body
