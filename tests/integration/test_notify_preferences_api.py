"""Preferences, unsubscribe links, push devices and partner-marketing consent, over HTTP."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.notify import unsubscribe
from chalicelib.notify.messages import Category, Channel, NotificationMessage


def _state(prefs: dict, category: str, channel: str) -> bool:
    return next(c["enabled"] for c in prefs["choices"] if c["category"] == category and c["channel"] == channel)


def test_standard_notifications_on_and_marketing_off_by_default(api, signup):
    # proves: NOTE-2
    # Given a new account
    user = signup()
    # When it reads its notification preferences
    answer = api.get("/v1/me/notification-preferences", headers=user.headers)
    # Then booking updates and reminders are on, marketing is off, account messages are locked on
    prefs = answer.json
    assert answer.status == 200
    assert all(_state(prefs, "booking_updates", ch) and _state(prefs, "reminders", ch) for ch in Channel)
    assert not any(_state(prefs, "partner_marketing", ch) or _state(prefs, "platform_news", ch) for ch in Channel)
    account = [c for c in prefs["choices"] if c["category"] == "account"]
    assert all(c["enabled"] and not c["changeable"] for c in account)


def test_put_replaces_choices_and_refuses_muting_account_messages(api, signup):
    # proves: NOTE-2
    user = signup()
    # Given a user who turns reminders off by SMS and platform news on by e-mail
    body = {
        "choices": [
            {"category": "reminders", "channel": "sms", "enabled": False},
            {"category": "platform_news", "channel": "email", "enabled": True},
        ]
    }
    answer = api.put("/v1/me/notification-preferences", body, headers=user.headers)
    # Then both are stored, the rest keep their defaults
    assert answer.status == 200
    assert not _state(answer.json, "reminders", "sms") and _state(answer.json, "reminders", "email")
    assert _state(answer.json, "platform_news", "email")
    # When it tries to turn off sign-in codes
    refused = api.put(
        "/v1/me/notification-preferences",
        {"choices": [{"category": "account", "channel": "sms", "enabled": False}]},
        headers=user.headers,
    )
    # Then 422 names the field, and nothing changed
    assert refused.status == 422
    assert refused.json["errors"][0]["field"] == "body.choices.0.enabled"
    assert not _state(api.get("/v1/me/notification-preferences", headers=user.headers).json, "reminders", "sms")


def test_preferences_need_sign_in(api):
    assert api.get("/v1/me/notification-preferences").status == 401


def test_get_unsubscribe_shows_and_changes_nothing_post_unsubscribes(api, signup):
    # proves: NOTE-3
    # Given the signed link from a booking e-mail (no session needed)
    user = signup()
    token = unsubscribe.make_token(user.user_id, Category.BOOKING_UPDATES, Channel.EMAIL)
    # When a link scanner or the user opens it (GET)
    preview = api.get(f"/v1/unsubscribe?token={token}")
    # Then it says what POST will do, and booking e-mails are still on
    assert preview.status == 200
    assert preview.json["unsubscribed"] is False and "Nothing has changed" in preview.json["description"]
    prefs = api.get("/v1/me/notification-preferences", headers=user.headers).json
    assert _state(prefs, "booking_updates", "email")
    # When the mail client does the RFC 8058 one-click POST (a form body, no session)
    done = api.request(
        "POST",
        f"/v1/unsubscribe?token={token}",
        raw=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # Then booking e-mails are off, and nothing else changed
    assert done.status == 200 and done.json["unsubscribed"] is True
    prefs = api.get("/v1/me/notification-preferences", headers=user.headers).json
    assert not _state(prefs, "booking_updates", "email")
    assert _state(prefs, "booking_updates", "sms") and _state(prefs, "reminders", "email")


def test_tampered_unsubscribe_token_is_refused(api, signup):
    # proves: NOTE-3
    # Given a valid token whose payload is swapped for another user's
    victim = signup()
    mine = unsubscribe.make_token("attacker", Category.BOOKING_UPDATES, Channel.EMAIL)
    theirs = unsubscribe.make_token(victim.user_id, Category.BOOKING_UPDATES, Channel.EMAIL)
    forged = theirs.split(".")[0] + "." + mine.split(".")[1]
    # When it is posted
    answer = api.post(f"/v1/unsubscribe?token={forged}")
    # Then 422 names the token, and the victim's preferences are untouched
    assert answer.status == 422 and answer.json["errors"][0]["field"] == "query.token"
    prefs = api.get("/v1/me/notification-preferences", headers=victim.headers).json
    assert _state(prefs, "booking_updates", "email")


def test_unsubscribe_link_in_an_email_turns_off_that_category(notify, api, signup):
    # proves: NOTE-3
    # Given a booking e-mail that was delivered with its List-Unsubscribe header
    user = signup(email="lia@example.com")
    message = NotificationMessage(
        notification_id="bk-10:confirmed",
        kind="booking.confirmed",
        category=Category.BOOKING_UPDATES,
        user_id=user.user_id,
        channels=[Channel.EMAIL],
        params={"venue_name": "V", "service_name": "S", "start": "2026-11-24T09:00:00+00:00", "timezone": "UTC"},
    )
    notify.send(message)
    notify.drain()
    [mail] = notify.outbox.emails()
    link = mail["List-Unsubscribe"].strip("<>")
    # When the client posts to it
    assert api.post(link.split("8000", 1)[1]).status == 200
    # Then the next booking e-mail is not sent
    notify.send(message.model_copy(update={"notification_id": "bk-11:confirmed"}))
    notify.drain()
    assert len(notify.outbox.emails()) == 1


def test_consent_withdrawal_stops_partner_marketing_at_once(notify, api, signup, clock):
    # proves: SHARE-4
    from chalicelib.domain.consents import PARTNER_MARKETING, ConsentChange
    from chalicelib.privacy import consents

    # Given a user who chose e-mail for partner marketing and consented to partner biz-7
    user = signup(email="mia@example.com")
    api.put(
        "/v1/me/notification-preferences",
        {"choices": [{"category": "partner_marketing", "channel": "email", "enabled": True}]},
        headers=user.headers,
    )
    consents.change(user.user_id, [ConsentChange(PARTNER_MARKETING, "biz-7", True)], at=clock.now())

    def offer(n: int) -> NotificationMessage:
        return NotificationMessage(
            notification_id=f"promo-biz-7-{n:04d}",
            kind="review.request",  # any template: the category decides
            category=Category.PARTNER_MARKETING,
            user_id=user.user_id,
            partner_id="biz-7",
            params={"venue_name": "V", "service_name": "S"},
        )

    notify.send(offer(1))
    notify.drain()
    assert len(notify.outbox.emails()) == 1
    # Given a message already queued when the user withdraws consent
    notify.send(offer(2))
    clock.advance(timedelta(seconds=1))
    consents.change(user.user_id, [ConsentChange(PARTNER_MARKETING, "biz-7", False)], at=clock.now())
    # When the queued message is delivered
    notify.drain()
    # Then nothing more was sent
    assert len(notify.outbox.emails()) == 1


def test_partner_marketing_without_consent_is_never_sent(notify, api, signup):
    # proves: SHARE-4
    # Given a user who turned the channel on but never consented to any partner
    user = signup(email="noah@example.com")
    api.put(
        "/v1/me/notification-preferences",
        {"choices": [{"category": "partner_marketing", "channel": "email", "enabled": True}]},
        headers=user.headers,
    )
    notify.send(
        NotificationMessage(
            notification_id="promo-biz-8-0001",
            kind="review.request",
            category=Category.PARTNER_MARKETING,
            user_id=user.user_id,
            partner_id="biz-8",
            params={"venue_name": "V", "service_name": "S"},
        )
    )
    # When delivered
    notify.drain()
    # Then nothing was sent
    assert notify.outbox.emails() == []


def test_push_device_register_deliver_disable_and_remove(notify, api, signup):
    # proves: NOTE-1
    # Given a user who registers an iPhone for push
    user = signup()
    answer = api.post("/v1/me/devices", {"platform": "apns", "token": "a1b2c3d4" * 8}, headers=user.headers)
    assert answer.status == 201
    device_id = answer.json["device_id"]
    # Registering the same token again is the same device
    again = api.post("/v1/me/devices", {"platform": "apns", "token": "a1b2c3d4" * 8}, headers=user.headers)
    assert again.json["device_id"] == device_id
    from chalicelib.aws_clients import client
    from chalicelib.store import preferences as profiles

    [device] = profiles.load(user.user_id).devices
    # When a booking update is delivered by push
    params = {"venue_name": "V", "service_name": "S", "start": "2026-11-24T09:00:00+00:00", "timezone": "UTC"}
    notify.send(
        NotificationMessage(
            notification_id="bk-12:confirmed",
            kind="booking.confirmed",
            category=Category.BOOKING_UPDATES,
            user_id=user.user_id,
            channels=[Channel.PUSH],
            params=params,
        )
    )
    notify.drain()
    # Then the endpoint got title and body for APNs and FCM
    [payload] = notify.outbox.pushes(device.endpoint_arn)
    assert "Booking confirmed" in payload["APNS"] and "GCM" in payload
    # Given SNS disables the endpoint (the app was removed)
    client("sns").set_endpoint_attributes(EndpointArn=device.endpoint_arn, Attributes={"Enabled": "false"})
    # When the next message is delivered
    notify.send(
        NotificationMessage(
            notification_id="bk-13:confirmed",
            kind="booking.confirmed",
            category=Category.BOOKING_UPDATES,
            user_id=user.user_id,
            channels=[Channel.PUSH],
            params=params,
        )
    )
    notify.drain()
    # Then the device is cleaned up on both sides and nothing is retried
    assert profiles.load(user.user_id).devices == ()
    assert notify.receive(dlq=True) == []
    endpoints = client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=notify.apns_arn)
    assert endpoints["Endpoints"] == []
    # And removing it by hand now answers 404
    assert api.delete(f"/v1/me/devices/{device_id}", headers=user.headers).status == 404


def test_delete_device_removes_the_endpoint(notify, api, signup):
    user = signup()
    device_id = api.post("/v1/me/devices", {"platform": "fcm", "token": "f" * 40}, headers=user.headers).json[
        "device_id"
    ]
    # When the user removes the device
    assert api.delete(f"/v1/me/devices/{device_id}", headers=user.headers).status == 204
    # Then SNS no longer has the endpoint
    from chalicelib.aws_clients import client

    endpoints = client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=notify.fcm_arn)
    assert endpoints["Endpoints"] == []


def test_device_limit_is_enforced_by_a_conditional_write(notify, api, signup, monkeypatch):
    from chalicelib.store import preferences as profiles

    monkeypatch.setattr(profiles, "MAX_DEVICES", 2)
    user = signup()
    for n in range(2):
        token = f"{n:08d}" * 4
        assert api.post("/v1/me/devices", {"platform": "fcm", "token": token}, headers=user.headers).status == 201
    # When a third device is registered
    third = api.post("/v1/me/devices", {"platform": "fcm", "token": "z" * 32}, headers=user.headers)
    # Then 409, and its SNS endpoint was not left behind
    assert third.status == 409
    from chalicelib.aws_clients import client

    endpoints = client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=notify.fcm_arn)
    assert len(endpoints["Endpoints"]) == 2
