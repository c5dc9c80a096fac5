"""Channel senders behind one interface (base.Sender): SMS, push, e-mail, Telegram.

A sender gets the rendered message and ONE address, nothing else (SHARE-2); it never
touches DynamoDB. It returns the provider's message id, raises ``Undeliverable`` when this
address can never take this message (retrying cannot help), ``Unconfirmed`` when the
provider may have it but its answer was lost (never resent: SNS, publish.py), and lets
anything else propagate (the SQS message is retried).
"""

from __future__ import annotations

from chalicelib.notify.channels.base import Outgoing, Sender, Undeliverable

__all__ = ["Outgoing", "Sender", "Undeliverable", "sender_for"]


def sender_for(channel: str) -> Sender:
    from chalicelib.notify.channels import registry

    return registry.sender_for(channel)
