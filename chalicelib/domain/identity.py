"""Who is calling, and how to reach a user. Shared by accounts, bookings and notifications."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A staff role within one business (tenant)."""

    OWNER = "owner"
    MANAGER = "manager"
    SPECIALIST = "specialist"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. Staff roles are looked up per business, never trusted from a token."""

    user_id: str
    session_id: str
    is_operator: bool = False
    via_cookie: bool = False  # browser session: state changes need a same-origin request


@dataclass(frozen=True)
class Contact:
    """What the notification pipeline may know about a recipient (SHARE-2: address only)."""

    user_id: str
    name: str
    locale: str
    phone: str | None = None  # E.164
    email: str | None = None
    telegram_chat_id: str | None = None
    active: bool = True
