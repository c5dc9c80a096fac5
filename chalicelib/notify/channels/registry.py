"""Which sender serves which channel. Tests replace the Telegram transport here."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.notify.channels.base import Sender
from chalicelib.notify.channels.mail import EmailSender
from chalicelib.notify.channels.push import PushSender
from chalicelib.notify.channels.sms import SmsSender
from chalicelib.notify.channels.telegram import TelegramSender, Transport
from chalicelib.notify.messages import Channel

_senders: dict[str, Sender] = {}


def sender_for(channel: str) -> Sender:
    if not _senders:
        reset()
    return _senders[Channel(channel).value]


def reset(telegram_transport: Transport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Build the senders (again); tests swap the Telegram HTTP boundary and its backoff sleep."""
    _senders.clear()
    for sender in (SmsSender(), PushSender(), EmailSender(), TelegramSender(telegram_transport, sleep)):
        _senders[sender.channel.value] = sender
