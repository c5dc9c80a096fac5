"""A local stand-in for the Telegram Bot API, so Telegram messages can be tried and read locally.

The app sends Telegram messages with `POST {telegram_api_base}/bot<token>/sendMessage`
(chalicelib/notify/channels/telegram.py). `make run` starts this server on 127.0.0.1
(`TELEGRAM_PORT`, 5200) and points the app at it with `BOOKING_TELEGRAM_API_BASE`, so no
message reaches api.telegram.org. It answers `sendMessage` as the real API does
(`{"ok": true, "result": {"message_id": ...}}`, or `{"ok": false, "error_code": 400, ...}`
for a message without a chat or text) and keeps what it was sent in memory; the outbox
(`make outbox`, /_local/outbox.json) lists it with SMS, e-mail and push. Other methods
answer 404 as the real API does for an unknown method. The bot token is never stored.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from infra.local.outbox import OutboxEntry

# /bot<token>/<method>; a token is "<bot id>:<secret>" as BotFather issues it.
_PATH = re.compile(r"^/bot(?P<token>\d+:[A-Za-z0-9_-]+)/(?P<method>[A-Za-z]+)$")
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class SentMessage:
    message_id: int
    chat_id: str
    text: str
    sent_at: float


class FakeBotApi:
    """The recorded messages and the HTTP server that records them (one thread)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.messages: list[SentMessage] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="telegram-fake")
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def send_message(self, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(status, answer) for a sendMessage call, as the Bot API answers it."""
        chat_id, text = str(fields.get("chat_id") or ""), str(fields.get("text") or "")
        if not chat_id:
            return 400, _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        with self._lock:
            message = SentMessage(len(self.messages) + 1, chat_id, text, time.time())
            self.messages.append(message)
        result = {
            "message_id": message.message_id,
            "date": int(message.sent_at),
            "chat": {"id": _chat_id_value(chat_id), "type": "private"},
            "text": text,
        }
        return 200, {"ok": True, "result": result}

    def entries(self) -> list[OutboxEntry]:
        """The messages as outbox entries (channel ``telegram``, to the chat id)."""
        with self._lock:
            sent = list(self.messages)
        return [OutboxEntry("telegram", f"telegram-{m.message_id}", m.chat_id, m.text) for m in sent]


def _chat_id_value(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _handler_for(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "telegram-fake"

        def do_POST(self) -> None:
            path, _, query = self.path.partition("?")
            match = _PATH.match(path)
            if match is None:
                self._answer(401, _error(401, "Unauthorized"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, _error(413, "Request Entity Too Large"))
                return
            fields = _fields(self.rfile.read(length), self.headers.get("Content-Type", ""))
            if fields is not None:
                fields = {**dict(parse_qsl(query, keep_blank_values=True)), **fields}
            if fields is None:
                self._answer(400, _error(400, "Bad Request: can't parse request body"))
            elif match["method"] == "sendMessage":
                self._answer(*api.send_message(fields))
            elif match["method"] == "getMe":
                bot_id = int(match["token"].split(":", 1)[0])
                self._answer(200, {"ok": True, "result": {"id": bot_id, "is_bot": True, "first_name": "Local bot"}})
            else:
                self._answer(404, _error(404, "Not Found"))

        do_GET = do_POST  # the Bot API takes both

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request line carries the bot token: never print it

    return Handler


def _fields(raw: bytes, content_type: str) -> dict[str, Any] | None:
    if not raw:
        return {}
    try:
        if content_type.startswith("application/json"):
            value = json.loads(raw)
            return value if isinstance(value, dict) else None
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        return None
