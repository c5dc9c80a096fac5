"""SNS Publish, at most once: SMS and mobile push carry no idempotency key.

One attempt per call (the client has no SDK retries, which would resend after a read
timeout). An answer that says the message was not accepted (throttling, 5xx) or a
connection that never opened propagates: the SQS message is retried after its visibility
timeout. A lost answer raises ``Unconfirmed``: the message may be out, so it is not resent.
"""

from __future__ import annotations

from typing import Any

from chalicelib.aws_clients import answer_lost, client
from chalicelib.notify.channels.base import Unconfirmed


def sns() -> Any:
    """The SNS client for Publish (no SDK retries); its ``exceptions`` are SNS's."""
    return client("sns", sdk_retries=False)


def publish(**params: Any) -> str:
    """One Publish; the provider's message id."""
    try:
        answer = sns().publish(**params)
    except Exception as error:
        if answer_lost(error):
            raise Unconfirmed("SNS Publish sent, its answer lost") from error
        raise
    return str(answer["MessageId"])
