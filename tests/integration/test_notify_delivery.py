"""The notifications consumer: once per channel, nothing lost, never to those who opted out."""

from __future__ import annotations

import json

import pytest

from chalicelib.notify.messages import Category, Channel, NotificationMessage


def otp(notification_id: str, phone: str, code: str = "123456") -> NotificationMessage:
    return NotificationMessage(
        notification_id=notification_id,
        kind="otp",
        category=Category.ACCOUNT,
        to_phone=phone,
        channels=[Channel.SMS],
        params={"code": code},
    )


def booking_update(notification_id: str, user_id: str, **overrides: object) -> NotificationMessage:
    fields: dict[str, object] = {
        "notification_id": notification_id,
        "kind": "booking.confirmed",
        "category": Category.BOOKING_UPDATES,
        "user_id": user_id,
        "partner_id": "biz-1",
        "params": {
            "booking_id": "bk-1",
            "venue_name": "Studio Lotus",
            "service_name": "Haircut",
            "start": "2026-11-24T09:00:00+00:00",
            "timezone": "Europe/Sofia",
        },
    }
    fields.update(overrides)
    return NotificationMessage.model_validate(fields)


# --- idempotency -----------------------------------------------------------------------


def test_same_message_delivered_three_times_sends_one_sms(notify):
    # proves: NOTE-1
    # Given one sign-in code message that SQS hands to the consumer three times
    message = otp("otp-0001-abcdef", "+4915100000001")
    for _ in range(3):
        notify.send(message)
    # When each copy is delivered (three invocations, as at-least-once delivery may do)
    for _ in range(3):
        notify.invoke(notify.receive()[:1])
    # Then exactly one SMS went out, and the queue is empty (no copy was left to retry)
    assert notify.outbox.sms() == [("+4915100000001", "Your sign-in code is 123456. Do not share it with anyone.")]
    assert notify.receive() == []


def test_duplicates_inside_one_batch_send_once(notify):
    # Given the same message twice in one batch
    message = otp("otp-0002-abcdef", "+4915100000002")
    notify.send(message)
    notify.send(message)
    # When the batch is handled
    notify.drain()
    # Then one SMS (the second copy sees the first one's claim or its done record)
    assert len(notify.outbox.sms()) == 1


# --- failures: retried, then the DLQ; the rest of the batch is neither lost nor repeated ----


@pytest.mark.parametrize("partial", [True, False], ids=["report-batch-item-failures", "whole-batch-failure"])
def test_poison_message_reaches_dlq_and_nothing_else_in_its_batch_is_lost(notify, partial):
    # Given a batch of ten: nine good sign-in codes and one message that always fails
    # (no template for its kind), on either deploy path
    notify.partial(partial)
    phones = [f"+49151000001{i:02d}" for i in range(9)]
    for i, phone in enumerate(phones):
        notify.send(otp(f"otp-batch-{i:04d}", phone))
    notify.send(
        NotificationMessage(
            notification_id="poison-0001", kind="no.such.kind", category=Category.ACCOUNT, to_phone="+4915100000199"
        )
    )
    # When the consumer is driven like Lambda until the queue is empty
    first = notify.receive()
    assert len(first) == 10
    notify.invoke(first)
    rounds = notify.drain()
    # Then every good message was sent exactly once ...
    sent = sorted(phone for phone, _ in notify.outbox.sms())
    assert sent == sorted(phones)
    # ... and the failing one was retried up to the limit (5 receives), then moved to the DLQ
    assert rounds == 4  # receives 2..5 of the poison message
    dead = notify.receive(dlq=True)
    assert [json.loads(m["Body"])["notification_id"] for m in dead] == ["poison-0001"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 5


def test_without_partial_responses_a_failure_fails_the_invocation(notify):
    # Given the default setting (the event source cannot report item failures)
    notify.partial(False)
    notify.send(otp("otp-0003-abcdef", "+4915100000003"))
    notify.send(NotificationMessage(notification_id="poison-0002", kind="nope", category=Category.ACCOUNT))
    batch = notify.receive()
    from chalicelib import consumers

    # When a batch with a failing record is handled
    # Then the handler raises (Lambda keeps the batch) ...
    with pytest.raises(consumers.BatchFailed):
        consumers.handle_notifications(notify.event(batch))
    # ... after deleting what it delivered: only the failure comes back
    again = notify.receive()
    assert [json.loads(m["Body"])["notification_id"] for m in again] == ["poison-0002"]


def test_with_partial_responses_the_failure_is_reported_not_raised(notify):
    # Given the setting that says the event source reports item failures
    notify.partial(True)
    notify.send(otp("otp-0004-abcdef", "+4915100000004"))
    notify.send(NotificationMessage(notification_id="poison-0003", kind="nope", category=Category.ACCOUNT))
    batch = notify.receive()
    poison = next(m["MessageId"] for m in batch if "poison" in m["Body"])
    from chalicelib import consumers

    # When the batch is handled
    response = consumers.handle_notifications(notify.event(batch))
    # Then exactly the failing record is reported
    assert response == {"batchItemFailures": [{"itemIdentifier": poison}]}


def test_a_retry_sends_only_the_channels_still_missing(notify, signup, monkeypatch):
    # Given a user reachable by SMS and e-mail, and SES failing the first time
    user = signup(email="ana@example.com")
    from chalicelib.notify.channels import mail

    calls = {"n": 0}
    real_send = mail.EmailSender.send

    def flaky(self, address, outgoing):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("SES unreachable")
        return real_send(self, address, outgoing)

    monkeypatch.setattr(mail.EmailSender, "send", flaky)
    notify.send(booking_update("bk-1:confirmed", user.user_id))
    # When the consumer runs until the queue is empty
    notify.drain()
    # Then the SMS went out once (not again on the retry) and the e-mail on the retry
    assert [phone for phone, _ in notify.outbox.sms()] == [user.phone]
    assert len(notify.outbox.emails()) == 1
    assert calls["n"] == 2


# --- opt-outs ---------------------------------------------------------------------------


def test_opted_out_number_gets_nothing(notify):
    # proves: NOTE-2
    # Given a number that replied STOP at SNS (moto: numbers ending in 99)
    notify.send(otp("otp-0005-abcdef", "+4915100000099"))
    # When the message is handled
    notify.drain()
    # Then no SMS was published, and the message is not retried
    assert notify.outbox.sms() == []
    assert notify.receive() == [] and notify.receive(dlq=True) == []


def test_opt_out_is_recorded_on_the_users_preferences(notify, signup, api):
    # Given a user whose number replied STOP
    user = signup(phone="+4915112345699")
    notify.send(booking_update("bk-2:confirmed", user.user_id))
    # When a booking update is handled
    notify.drain()
    # Then nothing was texted, and the preferences show the opt-out
    assert notify.outbox.sms() == []
    prefs = api.get("/v1/me/notification-preferences", headers=user.headers).json
    assert prefs["sms_opted_out_at"] is not None


def test_channel_turned_off_in_preferences_gets_nothing(notify, signup, api):
    # proves: NOTE-2
    # Given a user who turned booking updates off for SMS but not for e-mail
    user = signup(email="bo@example.com")
    answer = api.put(
        "/v1/me/notification-preferences",
        {"choices": [{"category": "booking_updates", "channel": "sms", "enabled": False}]},
        headers=user.headers,
    )
    assert answer.status == 200
    # When a booking update is delivered
    notify.send(booking_update("bk-3:confirmed", user.user_id))
    notify.drain()
    # Then it came by e-mail only
    assert notify.outbox.sms() == []
    assert [m["To"] for m in notify.outbox.emails()] == ["bo@example.com"]


# --- what providers receive (SHARE-2) -------------------------------------------------------


def test_email_has_text_html_and_one_click_unsubscribe_headers(notify, signup):
    # proves: NOTE-3
    # Given a Russian-speaking user with an e-mail address
    user = signup(email="ivan@example.com", locale="ru")
    # When a booking confirmation is delivered
    notify.send(booking_update("bk-4:confirmed", user.user_id, channels=[Channel.EMAIL]))
    notify.drain()
    # Then the mail has a text and an HTML part, in Russian, with the time in the venue's zone
    [mail] = notify.outbox.emails()
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in mail.walk() if not p.is_multipart()}
    assert "Запись подтверждена" in parts["text/plain"] and "24.11.2026 11:00" in parts["text/plain"]
    assert "<p>" in parts["text/html"]
    # ... and RFC 8058 one-click unsubscribe headers pointing at a signed link
    assert mail["List-Unsubscribe"].startswith("<http") and "/v1/unsubscribe?token=" in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_providers_receive_only_the_message_and_the_address(notify, signup):
    # proves: SHARE-2
    # Given a user with a name, phone and e-mail
    user = signup(name="Zara Secretname", email="zara@example.com")
    # When a booking update is delivered by SMS
    notify.send(booking_update("bk-5:confirmed", user.user_id, channels=[Channel.SMS]))
    notify.drain()
    # Then the provider got the number and a text that names neither the user nor ids
    [(phone, text)] = notify.outbox.sms()
    assert phone == user.phone
    assert "Zara" not in text and user.user_id not in text and "zara@" not in text and "bk-1" not in text
    assert text == "Confirmed: Haircut at Studio Lotus, 24 Nov 2026, 11:00."


def test_account_without_a_recipient_is_not_retried(notify):
    # Given a message for a user who does not exist (deleted account)
    notify.send(booking_update("bk-6:confirmed", "no-such-user"))
    # When handled
    notify.drain()
    # Then nothing is sent and nothing is retried
    assert notify.outbox.sms() == [] and notify.receive(dlq=True) == []


# --- Telegram over the Bot API (fake transport at the HTTP boundary) -----------------------------


def _telegram_contact(monkeypatch, user_id: str) -> None:
    from chalicelib.domain.identity import Contact
    from chalicelib.store import users

    monkeypatch.setattr(
        users,
        "get_contact",
        lambda uid: Contact(user_id=uid, name="T", locale="az", telegram_chat_id="777000") if uid == user_id else None,
    )


def test_telegram_retries_transient_errors_then_delivers(notify, monkeypatch):
    # Given a Telegram-linked user and a Bot API that answers 502, then 429, then ok
    _telegram_contact(monkeypatch, "tg-user")
    notify.telegram.script = [502, 429]
    # When a confirmation is delivered
    notify.send(booking_update("bk-7:confirmed", "tg-user"))
    notify.drain()
    # Then one message reached the linked chat, in Azerbaijani, after two short backoffs
    [sent] = notify.telegram.sent
    assert sent["chat_id"] == "777000" and sent["text"].startswith("Rezervasiya təsdiqləndi")
    assert len(notify.telegram.urls) == 3 and len(notify.telegram.slept) == 2


def test_telegram_blocked_chat_is_not_retried(notify, monkeypatch):
    # Given a chat that blocked the bot (403)
    _telegram_contact(monkeypatch, "tg-user")
    notify.telegram.script = [403]
    # When a confirmation is delivered
    notify.send(booking_update("bk-8:confirmed", "tg-user"))
    rounds = notify.drain()
    # Then one attempt, no retry, nothing in the DLQ
    assert len(notify.telegram.urls) == 1 and rounds == 1
    assert notify.receive(dlq=True) == []


def test_telegram_down_is_retried_by_sqs(notify, monkeypatch):
    # Given the Bot API failing three times in a row (all in-process attempts)
    _telegram_contact(monkeypatch, "tg-user")
    notify.telegram.script = [500, 500, 500]
    # When delivered until the queue is empty
    notify.send(booking_update("bk-9:confirmed", "tg-user"))
    rounds = notify.drain()
    # Then the second SQS delivery sent it, once
    assert rounds == 2 and len(notify.telegram.sent) == 1


# --- lost answers and live claims: at most once on SMS, never dropped -------------------


@pytest.mark.parametrize("partial", [True, False], ids=["report-batch-item-failures", "whole-batch-failure"])
def test_a_live_claim_of_a_crashed_consumer_is_retried_after_its_lease_never_deleted(notify, clock, partial):
    # proves: NOTE-1
    # Given a sign-in code claimed by a consumer that then crashed (its lease still runs)
    from datetime import timedelta

    from chalicelib import resources
    from chalicelib.notify import dispatcher
    from chalicelib.store import deliveries

    notify.partial(partial)
    deliveries.claim("otp-crash-0001", clock.now(), dispatcher.claim_lease())
    notify.send(otp("otp-crash-0001", "+4915100000011"))
    # When SQS hands the message to another consumer while the lease holds
    notify.invoke(notify.receive())
    # Then nothing is sent and the message is NOT deleted: it stays in the queue, not the DLQ
    assert notify.outbox.sms() == []
    assert len(notify.receive()) == 1 and notify.receive(dlq=True) == []
    # When it comes back after the visibility timeout (longer than the lease)
    clock.advance(timedelta(seconds=resources.queue_spec("notifications").visibility_timeout_seconds))
    notify.drain()
    # Then it is delivered exactly once
    assert [phone for phone, _ in notify.outbox.sms()] == ["+4915100000011"]
    assert notify.receive() == [] and notify.receive(dlq=True) == []


def test_a_lost_publish_answer_is_not_resent(notify, monkeypatch):
    # proves: NOTE-1
    # Given SNS accepting a Publish whose answer is lost (read timeout after the request was sent)
    from tests.support.faults import fail_next

    lost = fail_next(monkeypatch, "sns.Publish", "after")
    notify.send(otp("otp-lost-0001", "+4915100000012"))
    # When the consumer runs until the queue is empty
    rounds = notify.drain()
    # Then the SMS went out once: the unconfirmed send counts as sent and is never repeated
    assert lost.failed == ["sns.Publish"]
    assert [phone for phone, _ in notify.outbox.sms()] == ["+4915100000012"]
    assert rounds == 1 and notify.receive() == [] and notify.receive(dlq=True) == []


@pytest.mark.parametrize("error", [0, 1], ids=["throttled", "connection-refused"])
def test_a_publish_that_was_refused_is_retried(notify, monkeypatch, error):
    # Given SNS answering throttling, or no connection at all: the message was not accepted
    from tests.support.faults import fail_next

    refused = fail_next(monkeypatch, "sns.Publish", "before", before_error=error)
    notify.send(otp("otp-refused-0001", "+4915100000013"))
    # When the consumer runs until the queue is empty
    rounds = notify.drain()
    # Then SQS's retry sent it, once
    assert refused.failed == ["sns.Publish"]
    assert [phone for phone, _ in notify.outbox.sms()] == ["+4915100000013"]
    assert rounds == 2 and notify.receive(dlq=True) == []


def test_publish_is_one_attempt_with_no_sdk_retries(aws):
    # Given the SNS client SMS and push publish with
    from chalicelib.notify.channels import publish

    # Then botocore makes one attempt (its retries would resend after a read timeout)
    assert publish.sns().meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
