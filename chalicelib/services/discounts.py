"""Discount codes, managed by a business's owners and managers. Every change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain.bookings import DiscountCode, DiscountKind, normalise_code
from chalicelib.domain.identity import Principal, Role
from chalicelib.errors import FieldError
from chalicelib.store import db
from chalicelib.store import discounts as store

MANAGERS: frozenset[Role] = frozenset({Role.OWNER, Role.MANAGER})


def create(
    principal: Principal,
    business_id: str,
    *,
    code: str,
    kind: str,
    value: int,
    currency: str | None,
    valid_from: datetime,
    valid_until: datetime,
    max_uses: int | None,
    now: datetime,
) -> DiscountCode:
    """Calls: GetItem membership + TransactWriteItems (conditional put + audit)."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, MANAGERS)
    discount = DiscountCode(
        business_id=business_id,
        code=normalise_code(code),
        kind=DiscountKind(kind),
        value=value,
        currency=currency if kind == DiscountKind.FIXED else None,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=max_uses,
        created_at=now,
    )
    store.create(discount, tx=_audit(principal, discount, "discount_code.created", now))
    return discount


def list_codes(
    principal: Principal, business_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[DiscountCode], dict[str, Any] | None]:
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, MANAGERS)
    return store.list_codes(business_id, limit=limit, start_key=start_key)


def update(
    principal: Principal,
    business_id: str,
    code: str,
    *,
    active: bool | None,
    valid_until: datetime | None,
    max_uses: int | None,
    now: datetime,
) -> DiscountCode:
    """Calls: GetItem membership + GetItem code + TransactWriteItems (conditional update +
    audit). The answer is the code as read with the changes applied (the update returns
    nothing inside a transaction)."""
    from dataclasses import replace

    from chalicelib.services import authz

    authz.require_staff(principal, business_id, MANAGERS)
    current = store.get(business_id, normalise_code(code))
    if current is None:
        raise errors.NotFound("No such discount code")
    # As on create: the window must not be empty. valid_from never changes once created,
    # so the stored one is the one the update meets.
    if valid_until is not None and valid_until <= current.valid_from:
        reason = f"must be after valid_from ({current.valid_from.isoformat()})"
        raise errors.InvalidInput([FieldError("valid_until", reason)])
    changes: dict[str, Any] = {}
    if active is not None:
        changes["active"] = active
    if valid_until is not None:
        changes["valid_until"] = valid_until
    if max_uses is not None:
        changes["max_uses"] = max_uses
    discount = replace(current, **changes)
    if not changes:
        return discount
    tx = _audit(principal, discount, "discount_code.updated", now)
    store.update(business_id, current.code, active=active, valid_until=valid_until, max_uses=max_uses, tx=tx)
    return discount


def _audit(principal: Principal, discount: DiscountCode, action: str, now: datetime) -> db.Transaction:
    """A transaction holding the change's audit record (the store adds the change and commits)."""
    from chalicelib.privacy import audit

    tx = db.Transaction()
    audit.record(
        tx,
        tenant=discount.business_id,
        actor=principal.user_id,
        action=action,
        entity="discount_code",
        entity_id=discount.code,
        at=now,
        summary={
            "kind": discount.kind.value,
            "value": str(discount.value),
            "active": str(discount.active).lower(),
            "max_uses": str(discount.max_uses) if discount.max_uses is not None else "unlimited",
        },
    )
    return tx
