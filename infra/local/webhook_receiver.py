"""A tiny webhook receiver on loopback, to try business webhooks with `make run`.

    python -m infra.local.webhook_receiver --secret whsec_... [--port 9000] [--fail 3]

prints every delivery it gets (the headers that matter and the JSON body) and whether its
Standard Webhooks signature verifies with the endpoint's secret (the ``standardwebhooks``
library's ``Webhook.verify``, which also checks the timestamp is within 5 minutes of now).
``--fail N`` answers the first N deliveries with 500, to watch the retries (docs/webhooks.md).
Register it as ``http://127.0.0.1:<port>/hooks``: only a local stage accepts http:// and
loopback (BOOKING_WEBHOOKS_ALLOW_LOOPBACK, set by infra/local/stack.py).

The tests use ``Receiver`` as a real HTTP server on 127.0.0.1 with a scripted answer list.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """A loopback HTTP server that records each POST and answers from ``script`` (then 204)."""

    script: list[int] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    on_delivery: Any = None  # called with each Delivery (the CLI prints it)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver.script.pop(0) if receiver.script else 204
                delivery = Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                receiver.received.append(delivery)
                if receiver.on_delivery is not None:
                    receiver.on_delivery(delivery)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def verify(secret: str, delivery: Delivery) -> Any:
    """The parsed body when the signature verifies (Standard Webhooks), else the library raises."""
    from standardwebhooks import Webhook

    return Webhook(secret).verify(delivery.body, delivery.headers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True, help="the whsec_... secret shown when the endpoint was registered")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--fail", type=int, default=0, help="answer the first N deliveries with 500")
    args = parser.parse_args(argv)

    def show(delivery: Delivery) -> None:
        try:
            verify(args.secret, delivery)
            verdict = "signature OK"
        except Exception as exc:  # the library's WebhookVerificationError, or a malformed header
            verdict = f"signature REFUSED ({exc})"
        body: Any = delivery.body.decode(errors="replace")
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), indent=2, sort_keys=True)
        print(
            f"--- webhook-id {delivery.headers.get('webhook-id')} "
            f"at {delivery.headers.get('webhook-timestamp')}: {verdict}; answered {delivery.answered}\n{body}",
            flush=True,
        )

    receiver = Receiver(script=[500] * args.fail, on_delivery=show, port=args.port).start()
    print(f"listening on {receiver.url} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
