"""Money in several currencies (TRV-3): the currency registry, display units, conversion. Pure.

- Amounts are ``Decimal``, never float. A business prices in its base currency (an ISO 4217
  code of ``SUPPORTED``); a price has at most the currency's minor unit of decimals.
- Rates are "1 base = r target", one table per business, versioned (store/travel.py).
- A converted amount is rounded half-even (banker's rounding) to the display unit's places:
  the ISO minor unit, except where the money is shown without fractions (IRR: 2 per ISO,
  0 shown). The Toman is not an ISO currency: amounts are stored and converted as IRR, and
  shown in Toman (1 Toman = 10 IRR) as a labelled display unit, never stored as one.
- Every converted amount is approximate (it is not what the business charges) and names the
  rate version it used.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from chalicelib import errors

SUPPORTED: tuple[str, ...] = ("USD", "EUR", "AMD", "CNY", "IRR")
# Shown with fewer places than ISO's minor unit (the rial's fractions are not in use).
DISPLAY_PLACES_OVERRIDE: Mapping[str, int] = {"IRR": 0}
TOMAN = "TOMAN"
IRR_PER_TOMAN = 10
DISPLAY_CODES: tuple[str, ...] = (*SUPPORTED, TOMAN)
MAX_RATE = Decimal("1000000000")  # 1 base = at most a billion of a target (IRR per EUR is ~10^5..10^6)
MAX_AMOUNT = Decimal("1000000000000")  # a quote line's unit price, in the base currency
RATE_PLACES = 8  # significant enough for any pair here; more is noise


@dataclass(frozen=True)
class IsoCurrency:
    code: str
    name: str
    minor_unit: int  # ISO 4217 exponent: places a stored amount may have


@dataclass(frozen=True)
class DisplayUnit:
    """How an amount is shown: in ``currency`` (ISO), divided by ``per_unit``, to ``places``."""

    code: str
    label: str
    currency: str
    per_unit: int
    places: int


@cache
def currency(code: str) -> IsoCurrency:
    """The registry entry (KeyError for a code not supported); from the pinned ``iso4217``
    package, imported on first use."""
    if code not in SUPPORTED:
        raise KeyError(code)
    from iso4217 import Currency as Iso4217

    entry = Iso4217(code)
    return IsoCurrency(code=code, name=str(entry.currency_name), minor_unit=int(entry.exponent or 0))


def display_unit(code: str) -> DisplayUnit:
    """The display unit of ``code`` (an ISO code of SUPPORTED or "TOMAN"); KeyError otherwise."""
    if code == TOMAN:
        return DisplayUnit(code=TOMAN, label="Toman", currency="IRR", per_unit=IRR_PER_TOMAN, places=0)
    iso = currency(code)
    return DisplayUnit(
        code=code,
        label=iso.name,
        currency=code,
        per_unit=1,
        places=DISPLAY_PLACES_OVERRIDE.get(code, iso.minor_unit),
    )


def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _context() -> decimal.Context:
    # Enough digits that no product here is rounded before the one half-even rounding at the end.
    return decimal.Context(prec=40, rounding=ROUND_HALF_EVEN, traps=[decimal.InvalidOperation, decimal.Overflow])


def parse_amount(text: str, code: str) -> Decimal:
    """A price in ``code``: positive, at most the minor unit's places, below MAX_AMOUNT."""
    try:
        value = Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError("not a decimal number") from None
    if not value.is_finite() or value <= 0 or value >= MAX_AMOUNT:
        raise ValueError(f"must be more than 0 and less than {MAX_AMOUNT}")
    places = currency(code).minor_unit
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{code} amounts have at most {places} decimal places")
    return value.quantize(_quantum(places), context=_context())


def parse_rate(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError("not a decimal number") from None
    if not value.is_finite() or value <= 0 or value > MAX_RATE:
        raise ValueError(f"must be more than 0 and at most {MAX_RATE}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_PLACES:
        raise ValueError(f"at most {RATE_PLACES} decimal places")
    return value


def line_total(unit_price: Decimal, quantity: int, code: str) -> Decimal:
    """Exact: a price with the minor unit's places times a whole quantity needs no rounding."""
    return (unit_price * quantity).quantize(_quantum(currency(code).minor_unit), context=_context())


def total(amounts: list[Decimal], code: str) -> Decimal:
    return sum(amounts, Decimal(0)).quantize(_quantum(currency(code).minor_unit), context=_context())


@dataclass(frozen=True)
class Converted:
    code: str
    label: str
    amount: Decimal  # rounded half-even to the unit's places
    rate: Decimal  # 1 base = rate display units (before rounding the amount)
    approximate: bool = True


def rate_to(base: str, rates: Mapping[str, Decimal], target: str) -> Decimal:
    """1 ``base`` in ``target`` display units: from the table (the base itself is 1); a Toman is
    the IRR rate over 10. KeyError when the table has no rate for it."""
    unit = display_unit(target)
    per_iso = Decimal(1) if unit.currency == base else rates[unit.currency]
    return _context().divide(per_iso, Decimal(unit.per_unit))


def convert(amount: Decimal, base: str, rates: Mapping[str, Decimal], target: str) -> Converted:
    """``amount`` (in ``base``) shown in ``target``: one multiplication, one half-even rounding
    to the display unit's places (for IRR and Toman: the whole unit)."""
    unit = display_unit(target)
    rate = rate_to(base, rates, target)
    shown = _context().multiply(amount, rate).quantize(_quantum(unit.places), context=_context())
    return Converted(code=unit.code, label=unit.label, amount=shown, rate=rate)


def shown(amount: Decimal, places: int) -> str:
    """Fixed-point text with exactly ``places`` decimals ("1234.50", "1235")."""
    return f"{amount.quantize(_quantum(places), context=_context()):f}"


def is_stale(effective_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """A rate older than ``max_age`` must not price a new quote."""
    return now - effective_at > max_age


class StaleRates(errors.Conflict):
    slug = "stale-exchange-rates"
    title = "The exchange rates are too old to quote with"


class NoRates(errors.Conflict):
    slug = "no-exchange-rates"
    title = "The business has no exchange rates yet"
