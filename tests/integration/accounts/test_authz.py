"""Roles (customer, staff per business, operator) are checked in one place: services/authz."""

from __future__ import annotations

import pytest

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.services import authz
from chalicelib.store import db, memberships


def principal(user_id: str, operator: bool = False) -> Principal:
    return Principal(user_id=user_id, session_id="s", is_operator=operator)


def test_staff_roles_are_checked_per_business(aws, clock):
    # Given a manager of business A and an owner of business B
    memberships.add_membership("bizA", "manager-a", Role.MANAGER)
    memberships.add_membership("bizB", "owner-b", Role.OWNER)
    # Then the manager passes manager checks in A
    assert authz.require_staff(principal("manager-a"), "bizA", authz.MANAGERS) == Role.MANAGER
    # But not owner-only checks (Forbidden)
    with pytest.raises(errors.Forbidden):
        authz.require_staff(principal("manager-a"), "bizA", authz.OWNERS)
    # And business A is invisible to the owner of B (NotFound, SEC-5)
    with pytest.raises(errors.NotFound):
        authz.require_staff(principal("owner-b"), "bizA", authz.ANY_STAFF)
    # And a customer with no staff role anywhere is Forbidden
    with pytest.raises(errors.Forbidden):
        authz.require_staff(principal("customer"), "bizA", authz.ANY_STAFF)


def test_a_user_has_one_role_per_business_and_memberships_are_listed(aws, clock):
    memberships.add_membership("bizA", "u1", Role.SPECIALIST)
    with pytest.raises(errors.Conflict):
        memberships.add_membership("bizA", "u1", Role.OWNER)
    memberships.add_membership("bizB", "u1", Role.OWNER)
    assert {(m.business_id, m.role) for m in memberships.list_memberships("u1")} == {
        ("bizA", "specialist"),
        ("bizB", "owner"),
    }
    assert memberships.get_role("bizA", "u1") == Role.SPECIALIST
    assert memberships.get_role("bizC", "u1") is None


def test_membership_joins_a_transaction(aws, clock):
    # The catalog area creates a business and its owner atomically
    tx = db.Transaction()
    memberships.add_membership_in(tx, "bizT", "owner-t", Role.OWNER)
    tx.commit()
    assert memberships.get_role("bizT", "owner-t") == Role.OWNER


def test_operator_only(aws):
    authz.require_operator(principal("op", operator=True))
    with pytest.raises(errors.Forbidden):
        authz.require_operator(principal("customer"))


def test_customer_token_on_a_staff_route_is_403(api, signup, staff):
    # Given a business with an owner, and a plain customer
    owner = staff("biz-http", Role.OWNER)
    customer = signup(name="Just A Customer")
    # When the customer calls a staff route of that business
    response = api.get("/v1/businesses/biz-http", headers=customer.headers)
    # Then 403, while the owner is let past the role check
    assert response.status == 403
    assert api.get("/v1/businesses/biz-http", headers=owner.headers).status != 403


def test_operator_flag_only_via_bootstrap_and_visible_on_me(api, signup, operator):
    customer = signup()
    assert api.get("/v1/me", headers=customer.headers).json["is_operator"] is False
    assert api.get("/v1/me", headers=operator.headers).json["is_operator"] is True
    # No request field can set it
    response = api.patch("/v1/me", {"is_operator": True}, headers=customer.headers)
    assert response.status == 422
