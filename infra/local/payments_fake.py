"""A local stand-in for the payment provider, so top-ups can be tried end to end locally.

`POST /v1/me/wallet/top-ups` answers a ``payment_url`` on this server (the app's
``BOOKING_PAYMENTS_PAGE_BASE``, which `make run` points here: 127.0.0.1, ``PAYMENTS_PORT``
5300). Nothing leaves the machine:

- ``GET /pay?intent_id=..&amount_minor=..&currency=..`` shows a small "Pay" page;
- ``POST /pay?...`` (the page's button, or curl) "pays": it delivers the signed Standard
  Webhooks ``payment.succeeded`` to the local API's ``/v1/payments/webhook`` and answers what
  the API said. The payment id is derived from the intent, so paying twice redelivers the
  same payment (credited once, the second answer says ``replayed``);
- ``POST /kiosk?card_number=..&amount_minor=..&currency=..`` is a cash top-up of a linked
  card at a kiosk (means ``kiosk_cash``, a new payment id each time).

Deliveries are signed with the app's own ``BOOKING_PAYMENTS_WEBHOOK_SECRET`` (the local dummy),
as the real provider signs with the secret it shares with the deployment.
"""

from __future__ import annotations

import html
import json
import threading
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TIMEOUT_SECONDS = 10


class FakePaymentProvider:
    """The HTTP server (one thread) and where it delivers webhooks."""

    def __init__(self, api_url: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_url = api_url.rstrip("/")
        self.delivered: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True, name="payments-fake").start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pay(self, fields: dict[str, str], *, kiosk: bool) -> tuple[int, dict[str, Any]]:
        """Deliver the webhook for one payment; (status, answer) of the API, or 400 for bad input."""
        try:
            amount = int(fields.get("amount_minor", ""))
        except ValueError:
            return 400, {"error": "amount_minor must be an integer"}
        currency = fields.get("currency", "AZN")
        if kiosk:
            target = {"card_number": fields.get("card_number", "")}
            payment_id, means = f"kiosk_{uuid.uuid4().hex}", "kiosk_cash"
        else:
            intent_id = fields.get("intent_id", "")
            target = {"intent_id": intent_id}
            payment_id, means = f"fakepay_{intent_id}", fields.get("means", "card")
        body = {
            "type": "payment.succeeded",
            "data": {
                "payment_id": payment_id,
                "amount_minor": amount,
                "currency": currency,
                "means": means,
                "paid_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "target": target,
            },
        }
        status, answer = self._deliver(json.dumps(body, separators=(",", ":")))
        with self._lock:
            self.delivered.append({"payment_id": payment_id, "status": status})
        return status, {"delivered": status, "answer": answer}

    def _deliver(self, raw: str) -> tuple[int, Any]:
        from chalicelib.security import webhooks

        headers = webhooks.sign(f"msg_{uuid.uuid4().hex}", datetime.now(UTC), raw)
        request = urllib.request.Request(  # noqa: S310 - the local API, http on loopback
            f"{self.api_url}/v1/payments/webhook",
            data=raw.encode(),
            headers={**headers, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"null")
        except (urllib.error.URLError, OSError) as exc:
            return 502, {"error": f"the API did not answer: {exc}"}


def _page(query: str, fields: dict[str, str]) -> str:
    amount = html.escape(fields.get("amount_minor", "?"))
    currency = html.escape(fields.get("currency", ""))
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Local payment</title>"
        f"<h1>Local payment provider</h1><p>Top-up of {amount} minor units {currency}.</p>"
        f'<form method=post action="/pay?{html.escape(query)}"><button>Pay</button></form></html>'
    )


def _handler_for(provider: FakePaymentProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "payments-fake"

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path != "/pay":
                self._answer(404, {"error": "not found"})
                return
            raw = _page(query, dict(parse_qsl(query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            path, _, query = self.path.partition("?")
            self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 64 * 1024))
            if path not in ("/pay", "/kiosk"):
                self._answer(404, {"error": "not found"})
                return
            self._answer(*provider.pay(dict(parse_qsl(query)), kiosk=path == "/kiosk"))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a kiosk request line carries a card number: never print it

    return Handler
