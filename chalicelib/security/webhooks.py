"""Standard Webhooks (https://www.standardwebhooks.com) verification of the payment provider's
top-up webhooks: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers, an
HMAC-SHA256 over ``<id>.<timestamp>.<raw body>``.

The ``standardwebhooks`` library signs; its own ``verify`` reads the wall clock, so the time
window is checked here against the injected clock, and each ``v1,`` signature the header
carries is compared with the library's in constant time.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.security.secrets import secret_bytes
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from standardwebhooks.webhooks import Webhook


class WebhookRefused(errors.Unauthenticated):
    slug = "webhook-signature-invalid"
    title = "The webhook's signature is missing, wrong or outside its time window"


def _webhook(secret: str | None = None) -> Webhook:
    from standardwebhooks.webhooks import Webhook

    settings = get_settings()
    text = secret if secret is not None else settings.payments_webhook_secret.get_secret_value()
    if secret is None:
        secret_bytes(settings.payments_webhook_secret)  # a deployed stage refuses the dummy
    # "whsec_<base64>" is the providers' usual form; anything else is the raw key.
    return Webhook(text) if text.startswith("whsec_") else Webhook(text.encode())


def sign(msg_id: str, at: datetime, body: str, *, secret: str | None = None) -> dict[str, str]:
    """The three headers of a delivery (what the provider sends; tests and the local fake)."""
    hook = _webhook(secret)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": hook.sign(msg_id, at, body),
    }


def verify(headers: Mapping[str, str], body: str, now: datetime) -> str:
    """The delivery's webhook-id when the signature and the timestamp hold; WebhookRefused
    (401) otherwise: missing headers, a timestamp more than the tolerance (5 minutes) from
    ``now``, or no matching signature (forged body, wrong key)."""
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (msg_id and stamp and signatures) or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRefused("webhook-id, webhook-timestamp and webhook-signature are required")
    sent_at = datetime.fromtimestamp(int(stamp), UTC)
    tolerance = timedelta(seconds=get_settings().payments_webhook_tolerance_seconds)
    if abs(now - sent_at) > tolerance:
        raise WebhookRefused("The webhook's timestamp is outside the accepted window")
    hook = _webhook()
    expected = base64.b64decode(hook.sign(msg_id, sent_at, body).split(",", 1)[1])
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(expected, given):
            return msg_id
    raise WebhookRefused("No valid signature")
