"""The local outbox reads back what moto 'sent': SMS, e-mail and push, newest last."""

import io
import json

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from infra.local import bootstrap, outbox


def send_one_of_each() -> None:
    sns = client("sns")
    sns.publish(PhoneNumber="+4915112345678", Message="Your code is 123456")
    client("ses").send_email(
        Source=bootstrap.email_sender(get_settings()),
        Destination={"ToAddresses": ["ada@example.com"]},
        Message={"Subject": {"Data": "Booking confirmed"}, "Body": {"Text": {"Data": "See you at 10:00"}}},
    )
    application = sns.create_platform_application(Name="app", Platform="GCM", Attributes={})
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=application["PlatformApplicationArn"], Token="tok")
    sns.publish(TargetArn=endpoint["EndpointArn"], Message="Reminder: tomorrow 10:00")


def test_recorder_lists_every_channel_in_send_order(aws):
    recorder = outbox.OutboxRecorder()
    # Given an SMS was sent before the first observation and an e-mail and a push after it
    client("sns").publish(PhoneNumber="+4915112345678", Message="first")
    recorder.observe(now=100.0)
    send_one_of_each()
    seen = recorder.observe(now=200.0)
    # When the outbox is served as JSON and parsed back (shuffled: parse sorts by time)
    entries = outbox.parse(json.loads(json.dumps([e.__dict__ for e in reversed(seen)])))
    # Then every message is there once, the earliest first, with its recipient
    assert (entries[0].channel, entries[0].body, entries[0].seen_at) == ("sms", "first", 100.0)
    later = {e.channel: e for e in entries[1:]}
    assert len(entries) == 4 and set(later) == {"sms", "email", "push"}
    assert later["sms"].to == "+4915112345678" and later["sms"].body == "Your code is 123456"
    assert later["email"].to == "ada@example.com" and later["email"].subject == "Booking confirmed"
    assert later["email"].body == "See you at 10:00"
    assert later["push"].to.startswith("arn:aws:sns:") and later["push"].body == "Reminder: tomorrow 10:00"
    # And observing again stamps nothing anew
    assert [e.seen_at for e in recorder.observe(now=300.0)] == [100.0, 200.0, 200.0, 200.0]


def test_rendering_is_readable_and_newest_last():
    entries = [
        outbox.OutboxEntry("email", "m2", "ada@example.com", "Body line", subject="Hi", sender="no-reply@x", seen_at=2),
        outbox.OutboxEntry("sms", "m1", "+4915112345678", "Code 1", seen_at=1),
    ]
    text = outbox.render(outbox.parse([e.__dict__ for e in entries]))
    assert text.index("SMS   to +4915112345678") < text.index("EMAIL to ada@example.com from no-reply@x")
    assert "  subject: Hi" in text and "  Body line" in text
    assert text.endswith("2 message(s), newest last.")
    assert "empty" in outbox.render([])


def test_moto_data_json_yields_email_and_push(aws):
    from moto.moto_api._internal.responses import MotoAPIResponse

    # Given messages sent through moto
    send_one_of_each()
    # When moto's own /moto-api/data.json is parsed
    _, _, body = MotoAPIResponse().model_data(None, "", {})
    entries = outbox.parse_data_json(json.loads(body))
    # Then the e-mail and the push are found (SMS is not in data.json: the stack's endpoint covers it)
    assert ("email", "ada@example.com", "Booking confirmed") in [(e.channel, e.to, e.subject) for e in entries]
    assert "Reminder: tomorrow 10:00" in [e.body for e in entries if e.channel == "push"]


def test_middleware_serves_the_outbox_and_passes_the_rest_to_moto():
    recorder = outbox.OutboxRecorder(snapshot=lambda: [outbox.OutboxEntry("sms", "m1", "+1", "hi")])
    calls = []
    app = outbox.outbox_app(lambda environ, start: calls.append(environ["PATH_INFO"]) or [b"moto"], recorder)
    statuses = []
    # When the outbox path is asked
    body = b"".join(app({"PATH_INFO": "/_local/outbox.json", "REQUEST_METHOD": "GET"}, lambda s, h: statuses.append(s)))
    # Then the recorder answers, and any other path reaches moto
    assert statuses == ["200 OK"]
    assert json.load(io.BytesIO(body))[0]["body"] == "hi"
    assert app({"PATH_INFO": "/", "REQUEST_METHOD": "POST"}, lambda s, h: None) == [b"moto"]
    assert calls == ["/"]
