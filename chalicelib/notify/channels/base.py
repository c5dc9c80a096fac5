"""The one interface every channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.notify.messages import Channel
from chalicelib.notify.templates import Rendered


@dataclass(frozen=True)
class Outgoing:
    """What a provider receives besides the address: the message, and for e-mail the
    one-click unsubscribe link (RFC 8058) when the category can be muted."""

    rendered: Rendered
    unsubscribe_url: str | None = None


class Undeliverable(Exception):
    """This address cannot take this message (opted out, malformed, blocked, disabled)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OptedOut(Undeliverable):
    """The number replied STOP at SNS: never text it (recorded on the user's profile)."""


class EndpointGone(Undeliverable):
    """SNS disabled the push endpoint (token expired or app removed): clean it up."""

    def __init__(self, endpoint_arn: str) -> None:
        super().__init__("push endpoint disabled")
        self.endpoint_arn = endpoint_arn


class Unconfirmed(Exception):
    """The provider may have accepted the message, but its answer was lost (a read timeout
    after the request was sent). Sending again could deliver it twice, so the dispatcher
    counts it as sent and never resends it (at most once; docs/notifications.md)."""


class Sender(Protocol):
    channel: Channel

    def send(self, address: str, outgoing: Outgoing) -> str:
        """Deliver to one address; returns the provider's message id."""
        ...
