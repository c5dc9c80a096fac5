"""Sign-in requests and the session answer (docs/accounts.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from chalicelib.schemas.common import FreeText, RequestModel, ResponseModel
from chalicelib.security.contacts import EMAIL_PATTERN


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
        "spaces, hyphens, dots and parentheses between the digits are allowed and removed. The "
        "number must exist in its country's numbering plan (x-phone-number); one that does not is "
        "a 422 naming the field",
        json_schema_extra={"x-phone-number": "E.164: valid in its country's numbering plan (libphonenumber)"},
    ),
    AfterValidator(_phone),
]

Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=EMAIL_PATTERN,
        json_schema_extra={"format": "email"},
        description="Checked against the pattern after trimming and lower-casing; stored lower-cased",
    ),
    AfterValidator(_email),
]
PersonName = Annotated[str, FreeText(max_length=100, min_length=1)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="e.g. en, de, ru-RU")]
Password = Annotated[str, Field(min_length=10, max_length=256)]


def _current_terms(schema: dict[str, Any]) -> None:
    # Read when /openapi.json is built, from the setting the registration checks (DATA-2).
    from chalicelib.settings import get_settings

    schema["const"] = get_settings().terms_version


def _confirmed(value: bool) -> bool:
    if value is not True:
        raise ValueError("you must confirm that you are 16 or older")
    return value


AgeConfirmed = Annotated[
    bool,
    Field(
        description='Explicit "I am 16 or older" confirmation (must be true); no birth date is collected',
        json_schema_extra={"const": True},
    ),
    AfterValidator(_confirmed),
]
TokenDelivery = Annotated[
    Literal["body", "cookie"],
    Field(description="body: tokens in the JSON answer (mobile); cookie: __Host- HttpOnly cookies (browsers)"),
]


class RegisterRequest(RequestModel):
    name: PersonName
    phone: Phone
    email: Email | None = None
    password: Password | None = None
    age_16_or_older: AgeConfirmed
    terms_version: str = Field(
        min_length=1,
        max_length=32,
        description="The terms/privacy version accepted: the current one (const), else a 422 naming the field",
        json_schema_extra=_current_terms,
    )
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
