"""Discount codes: PK ``BIZ#<b>``, SK ``DISCOUNT#<CODE>`` (one business's codes in one partition).

``uses`` is only ever changed inside a booking transaction (conditional increment
``uses < max_uses``) or when a booking is cancelled (decrement), see store/bookings.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.domain.bookings import DiscountCode, DiscountKind
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem


class DiscountCodeRecord(TableItem, discriminator="DiscountCodeRecord"):
    business_id = UnicodeAttribute()
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    value = NumberAttribute()
    currency = UnicodeAttribute(null=True)
    valid_from = InstantAttribute()
    valid_until = InstantAttribute()
    max_uses = NumberAttribute(null=True)  # absent = unlimited
    uses = NumberAttribute(default=0)
    active = BooleanAttribute(default=True)
    created_at = InstantAttribute()


PREFIX = "DISCOUNT#"


def discount_keys(business_id: str, code: str) -> tuple[str, str]:
    return f"BIZ#{business_id}", f"{PREFIX}{code}"


def _record(code: DiscountCode) -> DiscountCodeRecord:
    return DiscountCodeRecord(
        *discount_keys(code.business_id, code.code),
        business_id=code.business_id,
        code=code.code,
        kind=code.kind.value,
        value=code.value,
        currency=code.currency,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        max_uses=code.max_uses,
        uses=code.uses,
        active=code.active,
        created_at=code.created_at,
    )


def _domain(values: Mapping[str, Any]) -> DiscountCode:
    return DiscountCode(
        business_id=values["business_id"],
        code=values["code"],
        kind=DiscountKind(values["kind"]),
        value=int(values["value"]),
        currency=values["currency"],
        valid_from=values["valid_from"],
        valid_until=values["valid_until"],
        max_uses=int(values["max_uses"]) if values["max_uses"] is not None else None,
        uses=int(values["uses"] or 0),
        active=bool(values["active"]),
        created_at=values["created_at"],
    )


def discount_from_item(item: Mapping[str, Any]) -> DiscountCode:
    """A raw item (read with the booking's locks in one BatchGetItem) to the domain object."""
    return _domain(db.decoder(DiscountCodeRecord)(item))


def _from_record(record: DiscountCodeRecord) -> DiscountCode:
    return _domain({name: getattr(record, name) for name in DiscountCodeRecord.get_attributes()})


def create(code: DiscountCode, *, tx: db.Transaction | None = None) -> None:
    """One TransactWriteItems with the caller's ``tx`` (its audit record): the conditional put
    (a code is unique within its business)."""
    tx = tx if tx is not None else db.Transaction()
    tx.put(_record(code), role="discount", condition=DiscountCodeRecord.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "discount" in exc.failed:
            raise errors.Conflict(f"The code {code.code} already exists") from None
        raise errors.Conflict(f"The code {code.code} is being created right now; try again") from None


def get(business_id: str, code: str) -> DiscountCode | None:
    record = db.get(DiscountCodeRecord, *discount_keys(business_id, code))
    return _from_record(record) if record else None


def update(
    business_id: str,
    code: str,
    *,
    active: bool | None = None,
    valid_until: datetime | None = None,
    max_uses: int | None = None,
    clear_max_uses: bool = False,
    tx: db.Transaction | None = None,
) -> None:
    """One TransactWriteItems: the conditional update, with the caller's ``tx`` (its audit
    record); NotFound when the code does not exist. Nothing when there is nothing to change.

    Lowering ``max_uses`` below the uses already counted is allowed: no further use succeeds."""
    r = DiscountCodeRecord
    actions: list[Any] = []
    if active is not None:
        actions.append(r.active.set(active))
    if valid_until is not None:
        actions.append(r.valid_until.set(valid_until))
    if max_uses is not None:
        actions.append(r.max_uses.set(max_uses))
    elif clear_max_uses:
        actions.append(r.max_uses.remove())
    if not actions:
        return
    tx = tx if tx is not None else db.Transaction()
    tx.update(DiscountCodeRecord(*discount_keys(business_id, code)), actions, role="discount", condition=r.pk.exists())
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "discount" in exc.failed:
            raise errors.NotFound("No such discount code") from None
        raise errors.Conflict("The discount code is being changed right now; try again") from None


def list_codes(
    business_id: str, *, limit: int, start_key: dict[str, Any] | None = None
) -> tuple[list[DiscountCode], dict[str, Any] | None]:
    """One Query on the business partition, codes in alphabetical order."""
    pk, _ = discount_keys(business_id, "")
    condition = (TableItem.pk == pk) & TableItem.sk.startswith(PREFIX)
    items, last = db.query_raw(condition, limit=limit, start_key=start_key)
    return [discount_from_item(item) for item in items], last
