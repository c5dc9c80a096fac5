"""Exchange rates of a travel business (TRV-3): versioned tables against its base currency.

Owners and managers publish a table (``PUT``): each is a new version, written on condition
the current one is still the version the caller read (``expected_version``; 0 for the
first), with an immutable copy under its version number and the audit record, in one
transaction. The public read shows the current table with its staleness: a table whose
effective time is older than ``travel_rate_max_age_hours`` is flagged and quotes refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import errors
from chalicelib.domain import currencies
from chalicelib.domain.identity import Principal
from chalicelib.store import db
from chalicelib.store import travel as store

RateTable = store.RateTable


@dataclass(frozen=True)
class RateUpdate:
    base_currency: str
    expected_version: int
    effective_at: datetime
    rates: Mapping[str, str]  # code -> decimal text: 1 base = rate code


@dataclass(frozen=True)
class ShownRate:
    currency: str
    label: str
    rate: str  # 1 base = rate display units
    places: int


@dataclass(frozen=True)
class CurrentRates:
    table: RateTable
    stale: bool
    max_age_hours: int
    shown: list[ShownRate]


def _max_age_hours() -> int:
    from chalicelib.settings import get_settings

    return int(get_settings().travel_rate_max_age_hours)


def put_rates(principal: Principal, business_id: str, update: RateUpdate, now: datetime) -> CurrentRates:
    """Calls: GetItem membership + GetItem current table + TransactWriteItems (current table,
    version copy, audit)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, authz.MANAGERS)
    problems: list[errors.FieldError] = []
    if update.base_currency not in currencies.SUPPORTED:
        problems.append(errors.FieldError("base_currency", "one of " + ", ".join(currencies.SUPPORTED)))
    if update.effective_at > now:
        problems.append(errors.FieldError("effective_at", "must not be in the future"))
    parsed = {}
    for code, text in sorted(update.rates.items()):
        if code not in currencies.SUPPORTED or code == update.base_currency:
            problems.append(
                errors.FieldError(
                    f"rates.{code}", "an ISO code of " + ", ".join(currencies.SUPPORTED) + " other than the base"
                )
            )
            continue
        try:
            parsed[code] = currencies.parse_rate(text)
        except ValueError as exc:
            problems.append(errors.FieldError(f"rates.{code}", str(exc)))
    current = store.get_rates(business_id)
    version = current.version if current else 0
    if update.expected_version != version:
        raise errors.Conflict(f"The rates are at version {version}, not {update.expected_version}; read them again")
    if current is not None and update.effective_at < current.effective_at:
        raise errors.Conflict(
            f"Version {version} took effect later ({current.effective_at.isoformat()}); rates move forward"
        )
    if problems:
        raise errors.InvalidInput(problems)
    table = RateTable(
        business_id=business_id,
        base_currency=update.base_currency,
        version=version + 1,
        effective_at=update.effective_at,
        rates=parsed,
        updated_at=now,
    )
    tx = db.Transaction()
    store.put_rates(tx, table, version)
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="exchange_rates.updated",
        entity="ExchangeRateTable",
        entity_id=business_id,
        at=now,
        summary={"version": str(table.version), "base": table.base_currency},
    )
    try:
        store.commit(tx)
    except (store.RatesChanged, store.RequestChanged):
        raise errors.Conflict("The rates changed meanwhile; read them again") from None
    return _current(table, now)


def _current(table: RateTable, now: datetime) -> CurrentRates:
    hours = _max_age_hours()
    shown = []
    for code in currencies.DISPLAY_CODES:
        try:
            rate = currencies.rate_to(table.base_currency, table.rates, code)
        except KeyError:
            continue
        unit = currencies.display_unit(code)
        shown.append(ShownRate(currency=code, label=unit.label, rate=f"{rate.normalize():f}", places=unit.places))
    stale = currencies.is_stale(table.effective_at, now, timedelta(hours=hours))
    return CurrentRates(table=table, stale=stale, max_age_hours=hours, shown=shown)


def current(business_id: str, now: datetime) -> CurrentRates:
    """The public table (like a travel site's rates widget). Calls: GetItem."""
    table = store.get_rates(business_id)
    if table is None:
        raise errors.NotFound("No exchange rates for this business")
    return _current(table, now)
