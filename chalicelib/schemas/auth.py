"""Sign-in requests and the session answer (docs/accounts.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from chalicelib.schemas.common import FreeText, RequestModel, ResponseModel


def _phone(value: str) -> str:
    from chalicelib.security.contacts import InvalidContact, normalize_phone

    try:
        return normalize_phone(value)
    except InvalidContact as exc:
        raise ValueError(str(exc)) from None


def _email(value: str) -> str:
    from chalicelib.security.contacts import InvalidContact, normalize_email

    try:
        return normalize_email(value)
    except InvalidContact as exc:
        raise ValueError(str(exc)) from None


# What the code accepts: "+", a country code (not starting with 0), then digits that may be
# grouped by spaces, hyphens, dots or parentheses; normalize_phone then checks the number is
# valid and stores it in E.164 (+4915112345678), the form every answer uses.
E164 = r"^\+[1-9][0-9 ().-]{3,30}$"
Phone = Annotated[
    str,
    Field(
        min_length=5,
        max_length=32,
        pattern=E164,
        description="International format, stored and answered as E.164 (e.g. +4915112345678); "
        "spaces, hyphens, dots and parentheses between the digits are allowed and removed",
    ),
    AfterValidator(_phone),
]

Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
PersonName = Annotated[str, FreeText(max_length=100, min_length=1)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="e.g. en, de, ru-RU")]
Password = Annotated[str, Field(min_length=10, max_length=256)]
TokenDelivery = Annotated[
    Literal["body", "cookie"],
    Field(description="body: tokens in the JSON answer (mobile); cookie: __Host- HttpOnly cookies (browsers)"),
]


class RegisterRequest(RequestModel):
    name: PersonName
    phone: Phone
    email: Email | None = None
    password: Password | None = None
    age_16_or_older: bool = Field(description='Explicit "I am 16 or older" confirmation; no birth date is collected')
    terms_version: str = Field(min_length=1, max_length=32, description="The terms/privacy version accepted")
    locale: Locale = "en"
    token_delivery: TokenDelivery = "body"  # noqa: S105 - not a secret


class LoginRequest(RequestModel):
    login: str = Field(min_length=3, max_length=254, description="Phone (E.164) or e-mail")
    password: str = Field(min_length=1, max_length=256)
    token_delivery: TokenDelivery = "body"  # noqa: S105 - not a secret


class OtpRequest(RequestModel):
    phone: Phone


class OtpRequested(ResponseModel):
    expires_in: int = Field(description="Seconds the code stays valid (if the phone has an account)")


class OtpVerifyRequest(RequestModel):
    phone: Phone
    code: str = Field(pattern=r"^\d{6}$")
    token_delivery: TokenDelivery = "body"  # noqa: S105 - not a secret


class TelegramRequest(RequestModel):
    init_data: str = Field(min_length=1, max_length=4096, description="Telegram.WebApp.initData, unchanged")
    age_16_or_older: bool | None = Field(default=None, description="Required when this creates an account")
    terms_version: str | None = Field(default=None, max_length=32, description="Required when this creates an account")
    token_delivery: TokenDelivery = "body"  # noqa: S105 - not a secret


class RefreshRequest(RequestModel):
    refresh_token: str | None = Field(
        default=None, max_length=200, description="Mobile clients; browsers send the __Host-refresh cookie instead"
    )


class SessionResponse(ResponseModel):
    user_id: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - not a secret
    access_token: str | None = Field(default=None, description="Absent when delivered as a cookie")
    refresh_token: str | None = Field(default=None, description="Absent when delivered as a cookie")
    expires_in: int = Field(description="Access token lifetime in seconds")
