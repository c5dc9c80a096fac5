"""Customers a business entered itself (walk-ins, phone calls): tenant-scoped records.

| item | PK | SK | attributes |
|---|---|---|---|
| business customer | ``BIZ#<b>`` | ``BCUST#<id>`` | ``name``, ``phone`` (E.164, optional), ``booking_ids`` |

The record belongs to the business (it entered the data): exported and erased on the
business's instruction (services/staff_bookings.py), never joined to an account. Whether
its phone matches an account is not stored: a staff booking links the account on the
booking itself (``customer_user_id``), so this item tells nothing about it. Retention: the
manifest rule ``business_customer`` after its last booking (restamped by each booking);
the sweep deletes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.expressions.condition import size

from chalicelib.retention_rules import window
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

# One record lists at most this many bookings (the item stays far below 400 KB); a regular
# past it gets a fresh record from the business.
MAX_BOOKINGS = 2000


class BusinessCustomer(TableItem, discriminator="BusinessCustomer"):
    business_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    booking_ids = ListAttribute[str](default=list)
    created_at = InstantAttribute()
    updated_at = InstantAttribute()


@dataclass(frozen=True)
class Customer:
    business_id: str
    customer_id: str
    name: str
    phone: str | None
    booking_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def keys(business_id: str, customer_id: str) -> tuple[str, str]:
    return f"BIZ#{business_id}", f"BCUST#{customer_id}"


def _retention_window() -> Any:
    return window("business_customer")


def _stamp(record: BusinessCustomer, now: datetime) -> None:
    from chalicelib.store import retention

    retention.set_expiry(record, now + _retention_window())


def _view(record: BusinessCustomer) -> Customer:
    return Customer(
        business_id=record.business_id,
        customer_id=record.customer_id,
        name=record.name,
        phone=record.phone,
        booking_ids=tuple(record.booking_ids or ()),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def add_new(
    tx: db.Transaction, business_id: str, customer_id: str, name: str, phone: str | None, booking_id: str, now: datetime
) -> None:
    """A new record with its first booking, in the booking's transaction (role "business-customer")."""
    pk, sk = keys(business_id, customer_id)
    record = BusinessCustomer(
        pk,
        sk,
        business_id=business_id,
        customer_id=customer_id,
        name=name,
        phone=phone,
        booking_ids=[booking_id],
        created_at=now,
        updated_at=now,
    )
    _stamp(record, now)
    tx.put(record, role="business-customer", condition=BusinessCustomer.pk.does_not_exist())


def add_booking(tx: db.Transaction, business_id: str, customer_id: str, booking_id: str, now: datetime) -> None:
    """Append a booking to an existing record and restamp its retention, in the booking's
    transaction; the condition fails (role "business-customer") once the record is gone."""
    pk, sk = keys(business_id, customer_id)
    stamped = BusinessCustomer(pk, sk)
    _stamp(stamped, now)
    r = BusinessCustomer
    tx.update(
        BusinessCustomer(pk, sk),
        [
            r.booking_ids.set(r.booking_ids.append([booking_id])),
            r.updated_at.set(now),
            r.exp_pk.set(stamped.exp_pk),
            r.exp_sk.set(stamped.exp_sk),
            r.ttl.set(stamped.ttl),
        ],
        role="business-customer",
        condition=r.pk.exists() & (size(r.booking_ids) < MAX_BOOKINGS),
    )


def get(business_id: str, customer_id: str, now: datetime) -> Customer | None:
    """One GetItem; a record past its retention deadline counts as absent."""
    from chalicelib.store import retention

    record = db.get(BusinessCustomer, *keys(business_id, customer_id))
    if record is None or retention.is_expired(record, now):
        return None
    return _view(record)


def get_many(business_id: str, customer_ids: Sequence[str], now: datetime) -> dict[str, Customer]:
    """One BatchGetItem (≤ 100 distinct ids per call); expired records are left out."""
    from chalicelib.store import retention

    wanted = list(dict.fromkeys(customer_ids))
    found: dict[str, Customer] = {}
    for start in range(0, len(wanted), 100):
        chunk = [keys(business_id, c) for c in wanted[start : start + 100]]
        items = db.batch_get_raw(chunk)
        decode = db.decoder(BusinessCustomer)
        for item in items.values():
            v = decode(item)
            if retention.is_expired(v, now):
                continue
            found[v["customer_id"]] = Customer(
                business_id=v["business_id"],
                customer_id=v["customer_id"],
                name=v["name"],
                phone=v["phone"],
                booking_ids=tuple(v["booking_ids"] or ()),
                created_at=v["created_at"],
                updated_at=v["updated_at"],
            )
    return found


def delete_in(tx: db.Transaction, business_id: str, customer_id: str) -> None:
    tx.delete(BusinessCustomer(*keys(business_id, customer_id)), role="business-customer")
