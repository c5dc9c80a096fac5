"""Who gets what on which channel (NOTE-2, SHARE-4): pure rules, no AWS.

- ACCOUNT (sign-in codes, policy notices) always goes out: it cannot be muted.
- Standard categories (booking updates, reminders, survey invitations) are on by default on the deployment's
  default channels; the user can turn each category off per channel.
- Marketing (partner marketing, platform news) is off on every channel until the user
  turns a channel on. Partner marketing ALSO needs the partner consent (per partner or
  all), checked at send time by the dispatcher (chalicelib/privacy/consents.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chalicelib.notify.messages import Category, Channel

MANDATORY = frozenset({Category.ACCOUNT})
MARKETING = frozenset({Category.PARTNER_MARKETING, Category.PLATFORM_NEWS})
# On by default, switchable per channel: bookings, waitlist offers (docs/bookings.md), surveys
# and support replies (REV-3, docs/support.md), travel requests (docs/travel.md), wallet and
# ticket pushes (NOTE-4, docs/wallet.md).
STANDARD = frozenset(
    {
        Category.BOOKING_UPDATES,
        Category.REMINDERS,
        Category.WAITLIST,
        Category.SURVEYS,
        Category.SUPPORT_REPLIES,
        Category.TRAVEL_UPDATES,
        Category.WALLET_TOP_UPS,
        Category.WALLET_PAYMENTS,
        Category.TICKET_USES,
    }
)


def choice_key(category: Category, channel: Channel) -> str:
    return f"{category.value}.{channel.value}"


def parse_choice_key(key: str) -> tuple[Category, Channel] | None:
    category, _, channel = key.partition(".")
    try:
        return Category(category), Channel(channel)
    except ValueError:
        return None


def default_enabled(category: Category, channel: Channel, default_channels: Iterable[str]) -> bool:
    if category in MANDATORY:
        return True
    return category in STANDARD and channel.value in set(default_channels)


def is_enabled(
    choices: Mapping[str, bool], category: Category, channel: Channel, default_channels: Iterable[str]
) -> bool:
    if category in MANDATORY:
        return True
    chosen = choices.get(choice_key(category, channel))
    return default_enabled(category, channel, default_channels) if chosen is None else chosen


@dataclass(frozen=True)
class Choice:
    category: Category
    channel: Channel
    enabled: bool
    changeable: bool


def matrix(choices: Mapping[str, bool], default_channels: Iterable[str]) -> list[Choice]:
    """Every category x channel with its effective state (what GET shows)."""
    defaults = list(default_channels)
    return [
        Choice(category, channel, is_enabled(choices, category, channel, defaults), category not in MANDATORY)
        for category in Category
        for channel in Channel
    ]


def stored_choices(
    requested: Iterable[tuple[Category, Channel, bool]], default_channels: Iterable[str]
) -> dict[str, bool]:
    """What to store for a PUT: only the choices that differ from the default."""
    defaults = list(default_channels)
    return {
        choice_key(category, channel): enabled
        for category, channel, enabled in requested
        if category not in MANDATORY and enabled != default_enabled(category, channel, defaults)
    }
