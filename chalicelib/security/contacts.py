"""Normalising contact data: phones to E.164 (libphonenumber), e-mails to lower case."""

from __future__ import annotations

import re

# Also the pattern /openapi.json states for e-mail fields (schemas/auth.py), checked after
# trimming and lower-casing.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
_EMAIL = re.compile(EMAIL_PATTERN)


class InvalidContact(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """E.164 for a valid number written in international form ("+" and country code)."""
    import phonenumbers

    text = raw.strip()
    if not text.startswith("+"):
        raise InvalidContact("use the international format, e.g. +4915112345678")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise InvalidContact("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalize_email(raw: str) -> str:
    text = raw.strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidContact("not a valid e-mail address")
    return text
