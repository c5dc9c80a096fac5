"""Money in several currencies (TRV-3): the registry, exact conversions, half-even rounding,
IRR shown without fractions and the Toman as a display unit (1 Toman = 10 IRR)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain import currencies as money

D = Decimal
RATES = {"USD": D("1.0825"), "AMD": D("420.5"), "CNY": D("7.85"), "IRR": D("455000")}


def test_the_registry_has_the_iso_minor_units_and_display_places():
    # proves: TRV-3
    # Given the supported currencies
    minor = {code: money.currency(code).minor_unit for code in money.SUPPORTED}
    places = {code: money.display_unit(code).places for code in money.DISPLAY_CODES}
    # Then ISO 4217's minor units are kept (IRR 2), but IRR and Toman are shown in whole units
    assert minor == {"USD": 2, "EUR": 2, "AMD": 2, "CNY": 2, "IRR": 2}
    assert places == {"USD": 2, "EUR": 2, "AMD": 2, "CNY": 2, "IRR": 0, "TOMAN": 0}
    toman = money.display_unit("TOMAN")
    assert (toman.label, toman.currency, toman.per_unit) == ("Toman", "IRR", 10)
    with pytest.raises(KeyError):
        money.currency("TOMAN")  # not an ISO currency: never a base, never stored


@pytest.mark.parametrize(
    ("amount", "target", "expected"),
    [
        ("100.00", "USD", "108.25"),
        ("100.00", "AMD", "42050.00"),
        ("19.99", "CNY", "156.92"),  # 156.9215 -> 156.92
        ("100.00", "EUR", "100.00"),  # the base itself, at rate 1
        ("100.00", "IRR", "45500000"),
        ("100.00", "TOMAN", "4550000"),  # 45,500,000 IRR / 10
        ("0.01", "TOMAN", "455"),  # 4,550 IRR = 455 Toman
    ],
)
def test_conversions_have_exact_expected_values(amount, target, expected):
    # proves: TRV-3
    # Given a total in EUR and the table's rates
    converted = money.convert(D(amount), "EUR", RATES, target)
    # Then the shown amount is exact, approximate and in the unit's places
    assert money.shown(converted.amount, money.display_unit(target).places) == expected
    assert converted.approximate is True


@pytest.mark.parametrize(
    ("rates", "target", "expected"),
    [
        # 10.00 EUR x 1.0125 = 10.125 USD: a tie, to the even cent (half-up would give 10.13)
        ({"USD": D("1.0125")}, "USD", "10.12"),
        # 10.00 EUR x 1.0135 = 10.135 USD: a tie, to the even cent upwards
        ({"USD": D("1.0135")}, "USD", "10.14"),
        # 10.00 EUR x 42000.05 = 420000.5 IRR: a tie in whole rials, to the even one
        ({"IRR": D("42000.05")}, "IRR", "420000"),
        ({"IRR": D("42000.15")}, "IRR", "420002"),
        # 10.00 EUR x 42000.5 = 420005 IRR = 42000.5 Toman: a tie in whole Toman, to the even one
        ({"IRR": D("42000.5")}, "TOMAN", "42000"),
        ({"IRR": D("42001.5")}, "TOMAN", "42002"),
    ],
)
def test_ties_round_half_even_to_the_display_unit(rates, target, expected):
    # proves: TRV-3
    # Given a total of 10.00 EUR and a rate that makes an exact tie
    converted = money.convert(D("10.00"), "EUR", rates, target)
    # Then it is rounded half-even (banker's), never half-up
    assert money.shown(converted.amount, money.display_unit(target).places) == expected


def test_an_irr_base_prices_in_rials_and_shows_toman():
    # Given a business that prices in IRR (two ISO places, shown whole)
    price = money.parse_amount("4550000.50", "IRR")
    total = money.total([money.line_total(price, 2, "IRR")], "IRR")
    # Then IRR is shown whole (half-even) and Toman a tenth, both from the base at rate 1
    assert total == D("9100001.00")
    assert money.shown(money.convert(total, "IRR", {}, "IRR").amount, 0) == "9100001"
    assert money.shown(money.convert(total, "IRR", {}, "TOMAN").amount, 0) == "910000"  # 910000.1


def test_prices_keep_to_the_minor_unit_and_a_missing_rate_is_refused():
    # Then a price with more places than the currency has, or not positive, is refused
    for bad in ("10.001", "0", "-1", "abc", "NaN", "1e20"):
        with pytest.raises(ValueError):
            money.parse_amount(bad, "EUR")
    assert money.line_total(money.parse_amount("33.33", "EUR"), 3, "EUR") == D("99.99")
    # and converting into a currency the table has no rate for is a KeyError the service names
    with pytest.raises(KeyError):
        money.convert(D("1.00"), "EUR", {"USD": D("1.1")}, "TOMAN")


def test_a_rate_older_than_the_age_is_stale():
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert not money.is_stale(now - timedelta(hours=48), now, timedelta(hours=48))
    assert money.is_stale(now - timedelta(hours=48, seconds=1), now, timedelta(hours=48))
