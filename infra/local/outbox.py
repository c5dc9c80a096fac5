"""The local outbox: what the app "sent" locally (SMS, e-mail, mobile push, Telegram).

moto keeps sent messages in its in-memory backends; SES mail also appears in
``/moto-api/data.json`` but SMS does not. Telegram goes to the local fake Bot API
(infra/local/telegram_fake.py), which keeps its messages in memory too. The local stack
runs both in-process, so it serves one merged list at ``/_local/outbox.json`` on the moto
port (OutboxRecorder + outbox_app below), each entry stamped when first seen so channels
interleave in send order. `make outbox` prints it, newest last; `make otp PHONE=...`
prints the newest sign-in code sent to a phone (for scripts).

Which port: ``MOTO_PORT`` when set, else the ports the running stack wrote to
``$LOCAL_DATA_DIR/stack.json`` (STATE_FILE), else 5100.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OUTBOX_PATH = "/_local/outbox.json"
STATE_FILE = "stack.json"  # in the data dir: the running stack's ports (infra.local.stack)
DEFAULT_MOTO_PORT = 5100
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class OutboxEntry:
    channel: str  # sms | email | push | telegram
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
                entries.append(_push_entry(message_id, endpoint.arn, text))
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
            entries.append(_push_entry(message_id, endpoint.get("arn", ""), text))
    return entries


def _push_entry(message_id: str, endpoint_arn: str, text: str) -> OutboxEntry:
    """moto keeps a push as published; the app publishes one JSON document for all platforms
    (MessageStructure=json, chalicelib/notify/channels/push.py): show its title and text."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("default"), str):
        return OutboxEntry("push", message_id, endpoint_arn, text)
    subject = ""
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        subject = str(json.loads(document["APNS"])["aps"]["alert"]["title"])
    return OutboxEntry("push", message_id, endpoint_arn, document["default"], subject=subject)


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


def data_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("LOCAL_DATA_DIR") or ROOT / ".local" / "data").resolve()


def moto_port(environ: Mapping[str, str] = os.environ) -> int:
    """``MOTO_PORT`` when set, else the running stack's (its state file), else 5100."""
    if environ.get("MOTO_PORT"):
        return int(environ["MOTO_PORT"])
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return int(json.loads((data_dir(environ) / STATE_FILE).read_text())["moto_port"])
    return DEFAULT_MOTO_PORT


_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def latest_code(entries: list[OutboxEntry], phone: str, seen_since: float = 0.0) -> str | None:
    """The sign-in code in the newest SMS to ``phone`` seen since ``seen_since`` (six digits)."""
    for entry in reversed(entries):
        if entry.seen_at < seen_since:
            break
        if entry.channel == "sms" and entry.to == phone and (found := _CODE.search(entry.body)):
            return found.group(0)
    return None


def main(argv: list[str] | None = None) -> None:
    import requests

    parser = argparse.ArgumentParser(prog="make outbox", description="What the local stack has sent, newest last.")
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.add_argument("--otp", metavar="PHONE", help="print only the newest sign-in code sent by SMS to PHONE")
    parser.add_argument("--wait", type=float, default=15.0, help="with --otp: seconds to wait for it (15)")
    parser.add_argument(
        "--max-age", type=float, default=300.0, help="with --otp: ignore codes sent longer ago, in seconds (300)"
    )
    args = parser.parse_args(argv)
    port = moto_port()
    url = f"http://127.0.0.1:{port}{OUTBOX_PATH}"
    deadline = time.monotonic() + (args.wait if args.otp else 0)
    while True:
        try:
            answer = requests.get(url, timeout=5)
            answer.raise_for_status()
        except requests.RequestException:
            sys.exit(f"error: the local stack does not answer at {url}; start it with `make run` (MOTO_PORT={port}).")
        entries = parse(answer.json())
        if not args.otp:
            break
        code = latest_code(entries, args.otp, seen_since=time.time() - args.max_age)
        if code is not None:
            print(code)
            return
        if time.monotonic() >= deadline:
            sys.exit(f"error: no sign-in code to {args.otp} in the outbox (waited {args.wait:.0f}s).")
        time.sleep(0.5)
    print(json.dumps([asdict(e) for e in entries], indent=2) if args.json else render(entries))


if __name__ == "__main__":
    main()
