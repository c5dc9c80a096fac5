"""Authorisation: the ONE place roles are checked.

Staff roles live per business in the membership store and are read on each check (never
trusted from a token), so removing a member takes effect immediately.

- ``require_staff``: caller must hold one of ``roles`` in ``business_id``.
  * member of that business with a sufficient role -> the role;
  * member with an insufficient role -> Forbidden;
  * not a member of that business, but staff elsewhere -> NotFound (the business's
    existence is not revealed to other tenants, SEC-5);
  * no staff role anywhere (a customer) -> Forbidden.
- ``require_operator``: the operator flag, set only by the bootstrap command
  (chalicelib/cli/operators.py), carried in the access token.
"""

from __future__ import annotations

from collections.abc import Set

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.store import memberships

ANY_STAFF: frozenset[Role] = frozenset(Role)
MANAGERS: frozenset[Role] = frozenset({Role.OWNER, Role.MANAGER})
OWNERS: frozenset[Role] = frozenset({Role.OWNER})


def require_staff(principal: Principal, business_id: str, roles: Set[Role]) -> Role:
    """One GetItem; one more Query only when the caller is not a member of this business."""
    role = memberships.get_role(business_id, principal.user_id)
    if role is None:
        if memberships.has_any_membership(principal.user_id):
            raise errors.NotFound("No such business")
        raise errors.Forbidden("This needs a business staff account")
    if role not in roles:
        raise errors.Forbidden("Your role in this business does not allow this")
    return role


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise errors.Forbidden("Operators only")
