"""The local outbox: what the app "sent" through moto (SMS, e-mail, mobile push).

moto keeps sent messages in its in-memory backends; SES mail also appears in
``/moto-api/data.json`` but SMS does not. The local stack runs moto in-process, so it
serves one merged list at ``/_local/outbox.json`` on the moto port (OutboxRecorder +
outbox_app below), each entry stamped when first seen so channels interleave in send
order. `make outbox` prints it, newest last.

Telegram goes over the Bot API (HTTPS), not through moto: it appears here only if a
local sender records it in a moto-visible place.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

OUTBOX_PATH = "/_local/outbox.json"


@dataclass(frozen=True)
class OutboxEntry:
    channel: str  # sms | email | push
    message_id: str
    to: str
    body: str
    subject: str = ""
    sender: str = ""
    seen_at: float = 0.0


def _email_entries(message: Any) -> Iterable[OutboxEntry]:
    destinations = getattr(message, "destinations", {})
    if isinstance(destinations, dict):
        to = ", ".join(a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, []))
    else:
        to = ", ".join(destinations or [])
    if hasattr(message, "raw_data"):
        body = str(message.raw_data)
    elif hasattr(message, "template"):
        body = f"template {message.template}: {message.template_data}"
    else:
        body = str(getattr(message, "body", ""))
    message_id = str(getattr(message, "id", None) or ",".join(getattr(message, "ids", [])))
    yield OutboxEntry(
        "email", message_id, to, body, subject=str(getattr(message, "subject", "")), sender=str(message.source)
    )


def snapshot_backends() -> list[OutboxEntry]:
    """Everything moto's SNS and SES backends hold, in each channel's send order (in-process)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    entries: list[OutboxEntry] = []
    for _account, _region, backend in _each(sns_backends):
        for message_id, (phone, text) in backend.sms_messages.items():
            entries.append(OutboxEntry("sms", message_id, phone, text))
        for endpoint in backend.platform_endpoints.values():
            for message_id, text in endpoint.messages.items():
                entries.append(OutboxEntry("push", message_id, endpoint.arn, text))
    for _account, _region, backend in _each(ses_backends):
        for message in backend.sent_messages:
            entries.extend(_email_entries(message))
    return entries


def _each(backend_dict: Any) -> Iterable[tuple[str, str, Any]]:
    for account_id, by_region in list(backend_dict.items()):
        for region, backend in list(by_region.items()):
            yield account_id, region, backend


class OutboxRecorder:
    """Stamps each message the first time it is seen, so all channels sort by send time."""

    def __init__(self, snapshot: Callable[[], list[OutboxEntry]] = snapshot_backends) -> None:
        self._snapshot = snapshot
        self._seen: dict[tuple[str, str], OutboxEntry] = {}
        self._lock = threading.Lock()

    def observe(self, now: float | None = None) -> list[OutboxEntry]:
        stamp = time.time() if now is None else now
        with self._lock:
            for entry in self._snapshot():
                key = (entry.channel, entry.message_id)
                if key not in self._seen:
                    self._seen[key] = OutboxEntry(**{**asdict(entry), "seen_at": stamp})
            return list(self._seen.values())  # dicts keep insertion order: oldest first

    def watch(self, stop: threading.Event, every_seconds: float = 0.5) -> None:
        """Observe until stopped (a thread in the local stack)."""
        while not stop.wait(every_seconds):
            with contextlib.suppress(RuntimeError):  # a backend changed mid-read: the next pass sees it
                self.observe()


def outbox_app(inner: Callable[..., Any], recorder: OutboxRecorder) -> Callable[..., Any]:
    """WSGI middleware: GET /_local/outbox.json answers from the recorder, the rest goes to moto."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == OUTBOX_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps([asdict(e) for e in recorder.observe()]).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return inner(environ, start_response)

    return app


def parse(payload: Any) -> list[OutboxEntry]:
    """Entries from /_local/outbox.json, oldest first."""
    if not isinstance(payload, list):
        raise ValueError("the outbox answer is not a list")
    entries = [
        OutboxEntry(**{k: v for k, v in item.items() if k in OutboxEntry.__dataclass_fields__}) for item in payload
    ]
    return sorted(entries, key=lambda e: e.seen_at)


def parse_data_json(payload: dict[str, Any]) -> list[OutboxEntry]:
    """E-mail and push from moto's /moto-api/data.json (no stack needed; SMS is not in it)."""
    entries: list[OutboxEntry] = []
    for name, models in payload.get("ses", {}).items():
        if name in ("Message", "RawMessage", "TemplateMessage"):
            for item in models:
                entries.extend(_email_entries(_Attrs(item)))
    for endpoint in payload.get("sns", {}).get("PlatformEndpoint", []):
        for message_id, text in endpoint.get("messages", {}).items():
            entries.append(OutboxEntry("push", message_id, endpoint.get("arn", ""), text))
    return entries


class _Attrs:
    def __init__(self, item: dict[str, Any]) -> None:
        self.__dict__.update(item)


def render(entries: list[OutboxEntry]) -> str:
    if not entries:
        return "The outbox is empty: nothing has been sent since the stack started."
    blocks = []
    for entry in entries:
        when = time.strftime("%H:%M:%S", time.localtime(entry.seen_at)) if entry.seen_at else "--:--:--"
        head = f"[{when}] {entry.channel.upper():5} to {entry.to}"
        if entry.sender:
            head += f" from {entry.sender}"
        lines = [head]
        if entry.subject:
            lines.append(f"  subject: {entry.subject}")
        lines += [f"  {line}" for line in entry.body.splitlines() or [""]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + f"\n\n{len(entries)} message(s), newest last."


def main() -> None:
    import requests

    port = int(os.environ.get("MOTO_PORT", "5100"))
    url = f"http://127.0.0.1:{port}{OUTBOX_PATH}"
    try:
        answer = requests.get(url, timeout=5)
        answer.raise_for_status()
    except requests.RequestException:
        sys.exit(f"error: the local stack does not answer at {url}; start it with `make run` (MOTO_PORT={port}).")
    print(render(parse(answer.json())))


if __name__ == "__main__":
    main()
