"""Wallet test helpers: signed webhook deliveries as the payment provider sends them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from chalicelib.security import webhooks

CARD_NUMBER = "4169738812345678"


def payment(
    payment_id: str, amount_minor: int, target: dict[str, str], paid_at: datetime, means: str = "card"
) -> dict[str, Any]:
    return {
        "type": "payment.succeeded",
        "data": {
            "payment_id": payment_id,
            "amount_minor": amount_minor,
            "currency": "AZN",
            "means": means,
            "paid_at": paid_at.isoformat(),
            "target": target,
        },
    }


def deliver(api: Any, body: dict[str, Any], at: datetime, *, secret: str | None = None, tamper: bool = False) -> Any:
    """POST the webhook signed at ``at`` (with ``secret``, default the configured one);
    ``tamper`` changes the body after signing (a forgery)."""
    raw = json.dumps(body, separators=(",", ":"))
    headers = webhooks.sign(f"msg_{uuid.uuid4().hex}", at, raw, secret=secret)
    if tamper:
        raw = raw.replace(f'"amount_minor":{body["data"]["amount_minor"]}', '"amount_minor":999999')
    return api.request(
        "POST", "/v1/payments/webhook", raw=raw.encode(), headers={**headers, "Content-Type": "application/json"}
    )
