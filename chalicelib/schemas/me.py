"""The signed-in user's own account (RIGHT-3 rectification)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.identity import Role
from chalicelib.schemas.auth import Email, Locale, PersonName, Phone
from chalicelib.schemas.common import RequestModel, ResponseModel


class MembershipView(ResponseModel):
    business_id: str
    role: Role


class MeResponse(ResponseModel):
    user_id: str
    name: str
    locale: str
    phone: str | None
    phone_verified: bool
    email: str | None
    email_verified: bool
    pending_phone: str | None = Field(description="A new phone awaiting its code")
    pending_email: str | None = Field(description="A new e-mail awaiting its code")
    telegram_linked: bool
    is_operator: bool
    memberships: list[MembershipView]
    created_at: str


class MePatch(RequestModel):
    name: PersonName | None = None
    locale: Locale | None = None
    phone: Phone | None = Field(default=None, description="Takes effect after the code sent to it is confirmed")
    email: Email | None = Field(default=None, description="Takes effect after the code sent to it is confirmed")


class ContactVerification(RequestModel):
    kind: Literal["phone", "email"]
    code: str = Field(pattern=r"^\d{6}$")
