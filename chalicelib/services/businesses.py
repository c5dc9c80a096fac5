"""Businesses (tenants) and their staff.

Creating a business makes the caller its owner in the same transaction. Staff are added
directly (no acceptance step): an owner or manager names an existing account by user id
or phone number and the membership exists at once; roles are checked on every request
(security/authz.py), so removal is immediate. Every change is audited under the business.

The API builds the commands below from its request models; ``BusinessChanges`` names only
the fields the client sent (the others are ``UNSET``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain.catalog import Business, PaymentDetails
from chalicelib.domain.changes import UNSET, Unset, sent
from chalicelib.domain.identity import Principal, Role
from chalicelib.errors import FieldError
from chalicelib.privacy import audit
from chalicelib.services.authz import ANY_STAFF, MANAGERS, OWNERS, require_staff
from chalicelib.store import catalog as store
from chalicelib.store import db, memberships


@dataclass(frozen=True)
class StaffEntry:
    user_id: str
    role: Role
    since: str


@dataclass(frozen=True, kw_only=True)
class NewBusiness:
    name: str
    address: str = ""
    tax_number: str | None = None
    payment_details: PaymentDetails | None = None


@dataclass(frozen=True, kw_only=True)
class BusinessChanges:
    """``None`` clears the tax number or the payment details; name and address cannot be cleared."""

    name: str | Unset | None = UNSET
    address: str | Unset | None = UNSET
    tax_number: str | Unset | None = UNSET
    payment_details: PaymentDetails | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class NewStaffMember:
    """An existing account, named by exactly one of user id or phone number (as typed)."""

    role: Role
    user_id: str | None = None
    phone: str | None = None


def create_business(principal: Principal, form: NewBusiness, now: datetime) -> tuple[Business, Role]:
    """One TransactWriteItems: business + owner membership + audit record."""
    business = Business(
        business_id=store.new_id(),
        name=form.name,
        address=form.address,
        tax_number=form.tax_number,
        payment_details=form.payment_details,
    )

    def owner_membership(tx: db.Transaction) -> None:
        memberships.add_membership_in(tx, business.business_id, principal.user_id, Role.OWNER, now)

    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business.business_id,
        actor=principal.user_id,
        action="business.create",
        entity="business",
        entity_id=business.business_id,
        at=now,
        summary={"owner": principal.user_id},
    )
    created = store.create_business(business, now, extra=owner_membership, tx=tx)
    return created, Role.OWNER


def get_business(principal: Principal, business_id: str) -> tuple[Business, Role]:
    role = require_staff(principal, business_id, ANY_STAFF)
    return store.get_business(business_id), role


def update_business(
    principal: Principal, business_id: str, patch: BusinessChanges, now: datetime
) -> tuple[Business, Role]:
    """Owners only (payment details and tax number are the owner's to change).
    Calls: GetItem membership + GetItem business + TransactWriteItems (business + audit)."""
    role = require_staff(principal, business_id, OWNERS)
    current = store.get_business(business_id)
    changes = sent(patch)
    for name in ("name", "address"):
        if name in changes and changes[name] is None:
            raise errors.InvalidInput([FieldError(name, "cannot be cleared")])
    if not changes:
        return current, role
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="business.update",
        entity="business",
        entity_id=business_id,
        at=now,
        # Which fields, never their values: tax and bank numbers stay out of the audit log.
        summary={"fields": ",".join(sorted(changes))},
    )
    updated = store.save_business(replace(current, **changes), tx=tx)
    return updated, role


def add_staff(principal: Principal, business_id: str, invite: NewStaffMember, now: datetime) -> StaffEntry:
    """Owners add any role; managers add specialists only. Calls: GetItem membership + account
    lookup + TransactWriteItems (membership + audit)."""
    caller_role = require_staff(principal, business_id, MANAGERS)
    role = invite.role
    if caller_role is not Role.OWNER and role is not Role.SPECIALIST:
        raise errors.Forbidden("Managers may add specialists only")
    user_id = _resolve_account(invite)
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="staff.add",
        entity="membership",
        entity_id=user_id,
        at=now,
        summary={"role": role.value},
    )
    membership = memberships.add_membership(business_id, user_id, role, now, tx=tx)
    return StaffEntry(user_id=user_id, role=role, since=memberships.since(membership))


def _resolve_account(invite: NewStaffMember) -> str:
    from chalicelib.security.contacts import InvalidContact, normalize_phone
    from chalicelib.store import users

    if invite.user_id is not None:
        if users.get_user(invite.user_id) is None:
            raise errors.NotFound("No account with this id")
        return invite.user_id
    try:
        phone = normalize_phone(invite.phone or "")
    except InvalidContact as exc:
        raise errors.InvalidInput([FieldError("phone", str(exc) or "not a phone number")]) from None
    user_id = users.find_user_id("phone", phone)
    if user_id is None:
        raise errors.NotFound("No account with this phone number; they need to sign up first")
    return user_id


def list_staff(
    principal: Principal, business_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[StaffEntry], dict[str, Any] | None]:
    require_staff(principal, business_id, MANAGERS)
    items, last_key = store.list_staff(business_id, limit, after)
    return [StaffEntry(user_id=m.user_id, role=Role(m.role), since=memberships.since(m)) for m in items], last_key


def change_staff_role(principal: Principal, business_id: str, user_id: str, role: Role, now: datetime) -> StaffEntry:
    """Owners only, and not their own role (a business never loses its last owner this way).
    Calls: GetItem membership x2 + TransactWriteItems (role + audit) + GetItem membership."""
    require_staff(principal, business_id, OWNERS)
    if user_id == principal.user_id:
        raise errors.Conflict("Owners cannot change their own role")
    old_role = memberships.get_role(business_id, user_id)
    if old_role is None:
        raise errors.NotFound("No such staff member")
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="staff.role_change",
        entity="membership",
        entity_id=user_id,
        at=now,
        summary={"from": old_role.value, "to": role.value},
    )
    item = store.change_role(business_id, user_id, old_role, role, tx=tx)
    return StaffEntry(user_id=user_id, role=role, since=memberships.since(item))


def remove_staff(principal: Principal, business_id: str, user_id: str, now: datetime) -> None:
    """Calls: GetItem membership x2 + TransactWriteItems (delete + audit)."""
    require_staff(principal, business_id, OWNERS)
    if user_id == principal.user_id:
        raise errors.Conflict("Owners cannot remove themselves")
    old_role = memberships.get_role(business_id, user_id)
    if old_role is None:
        raise errors.NotFound("No such staff member")
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="staff.remove",
        entity="membership",
        entity_id=user_id,
        at=now,
        summary={"role": old_role.value},
    )
    store.remove_member(business_id, user_id, old_role, tx=tx)
