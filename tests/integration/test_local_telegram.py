"""The local stack's Telegram: a fake Bot API on loopback that the real sender talks to, and
what `make outbox` / `make otp` read. Nothing here reaches api.telegram.org."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.notify.channels import telegram
from chalicelib.notify.channels.base import Outgoing, Undeliverable
from chalicelib.notify.templates import Rendered
from chalicelib.settings import get_settings
from infra.local import outbox, telegram_fake


@pytest.fixture
def bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[telegram_fake.FakeBotApi]:
    """The fake on a free loopback port, and the app's settings pointed at it (as `make run` does)."""
    fake = telegram_fake.FakeBotApi("127.0.0.1", 0)
    fake.start()
    monkeypatch.setenv("BOOKING_TELEGRAM_API_BASE", fake.base_url)
    monkeypatch.setenv("BOOKING_TELEGRAM_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    telegram.bot_token.cache_clear()
    try:
        yield fake
    finally:
        fake.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
        telegram.bot_token.cache_clear()


def message(body: str) -> Outgoing:
    return Outgoing(Rendered("Booking received", body, "en"))


def test_the_real_sender_delivers_to_the_fake_bot_api_and_the_outbox_lists_it(bot_api):
    # Given the app's Telegram sender with its real HTTP transport, pointed at the fake
    sender = telegram.TelegramSender()
    # When it sends a message to a chat
    message_id = sender.send("424242", message("Booked: Haircut at Studio Nizami, Mon 10:00."))
    # Then the fake answered as the Bot API does and recorded the message, without the token
    assert message_id == "1"
    assert [(m.chat_id, m.text) for m in bot_api.messages] == [
        ("424242", "Booked: Haircut at Studio Nizami, Mon 10:00.")
    ]
    # And the local outbox shows it with the other channels
    recorder = outbox.OutboxRecorder(lambda: bot_api.entries())
    [entry] = recorder.observe(now=10.0)
    assert (entry.channel, entry.to, entry.body) == ("telegram", "424242", bot_api.messages[0].text)
    assert "TELEGRAM to 424242" in outbox.render([entry])


def test_the_fake_refuses_a_message_without_a_chat_as_the_bot_api_does(bot_api):
    # When the sender is given no chat id, Then the 400 answer makes it undeliverable
    with pytest.raises(Undeliverable):
        telegram.TelegramSender().send("", message("hello"))
    # And an unknown method or a path without a bot token is refused too, nothing recorded
    transport = telegram.UrllibTransport()
    unknown = transport.post_json(f"{bot_api.base_url}/bot1:abc/sendPigeon", {"chat_id": "1"}, 5)
    assert (unknown.status, unknown.body["ok"]) == (404, False)
    tokenless = transport.post_json(f"{bot_api.base_url}/sendMessage", {"chat_id": "1", "text": "x"}, 5)
    assert tokenless.status == 401
    assert bot_api.messages == []


@pytest.mark.parametrize(
    "url",
    [
        "http://api.telegram.org/botX/sendMessage",
        "http://127.0.0.1.example.org/botX/sendMessage",
        "ftp://127.0.0.1/botX/sendMessage",
    ],
)
def test_plain_http_is_refused_anywhere_but_loopback(url: str):
    # When the transport is given a plain-HTTP Bot API that is not this machine
    # Then it refuses before opening any connection: the token would travel in clear text
    with pytest.raises(ValueError, match="HTTPS"):
        telegram.UrllibTransport().post_json(url, {"chat_id": "1", "text": "x"}, 5)
    assert telegram.allowed_url("https://api.telegram.org/botX/sendMessage")
    assert telegram.allowed_url("http://127.0.0.1:5200/botX/sendMessage")


def test_outbox_finds_the_stack_s_ports_from_the_environment_or_its_state_file(tmp_path: Path):
    # Given a stack on non-default ports that wrote its state file in its data dir
    (tmp_path / outbox.STATE_FILE).write_text(json.dumps({"pid": 1, "moto_port": 9500}))
    # Then `make outbox` finds moto there, MOTO_PORT wins when set, and 5100 is the default
    assert outbox.moto_port({"LOCAL_DATA_DIR": str(tmp_path)}) == 9500
    assert outbox.moto_port({"LOCAL_DATA_DIR": str(tmp_path), "MOTO_PORT": "9600"}) == 9600
    assert outbox.moto_port({"LOCAL_DATA_DIR": str(tmp_path / "none")}) == outbox.DEFAULT_MOTO_PORT


def entries(*items: tuple[str, str, str, float]) -> list[dict[str, Any]]:
    return [
        {"channel": c, "message_id": f"m{i}", "to": to, "body": b, "seen_at": t}
        for i, (c, to, b, t) in enumerate(items)
    ]


def test_make_otp_prints_the_newest_fresh_code_to_that_phone(monkeypatch: pytest.MonkeyPatch, capsys):
    import time

    import requests

    now = time.time()
    payload = entries(
        ("sms", "+4915100000001", "Your sign-in code is 111111. Do not share it.", now - 1000),
        ("sms", "+4915100000001", "Your sign-in code is 222222. Do not share it.", now - 20),
        ("sms", "+4915100000002", "Your sign-in code is 333333. Do not share it.", now - 10),
        ("sms", "+4915100000001", "Booked: Haircut at Studio Nizami, 2026-11-23 10:00.", now - 5),
    )

    class Answer:
        def raise_for_status(self) -> None:
            pass

        def json(self) -> Any:
            return payload

    asked: list[str] = []
    monkeypatch.setattr(requests, "get", lambda url, timeout: asked.append(url) or Answer())
    monkeypatch.setenv("MOTO_PORT", "9500")
    # When `make otp PHONE=...` runs (python -m infra.local.outbox --otp PHONE)
    outbox.main(["--otp", "+4915100000001"])
    # Then it prints only that phone's newest code, read from the stack's port
    assert capsys.readouterr().out == "222222\n"
    assert asked == ["http://127.0.0.1:9500/_local/outbox.json"]
    # And a code older than --max-age does not count (it has expired)
    with pytest.raises(SystemExit, match="no sign-in code"):
        outbox.main(["--otp", "+4915100000001", "--max-age", "10", "--wait", "0"])
