"""Account fixtures for every area's tests.

``signup(name=..., phone=None, password=None, email=None)`` creates a customer account through
the accounts service (fast: no bcrypt unless a password is given) and returns a SignedUp
with user_id, access_token, refresh_token and ``headers`` ({"Authorization": "Bearer ..."}).
``operator`` is a signed-up user granted the operator flag the only way there is (the
bootstrap path in chalicelib/cli/operators.py), then signed in again.
``staff(business_id, role)`` signs up a user and makes them a member of a business.
These fixtures use the ``clock`` fixture (FakeClock), so tokens are valid at the test's "now".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

_PHONES = itertools.count(1)
# moto's CheckIfPhoneNumberIsOptedOut answers True for every number ending in this.
MOTO_OPTED_OUT_SUFFIX = "99"


@dataclass
class SignedUp:
    user_id: str
    access_token: str
    refresh_token: str
    phone: str
    name: str
    email: str | None = None
    password: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def unique_phone() -> str:
    """A valid, distinct German mobile number per call (+49 151 ...), never one ending in 99:
    moto's SNS reports those as opted out of SMS, so which test got one depended on how many
    numbers the tests before it in the same process had drawn (a full run's cross-file leak)."""
    while True:
        number = f"+49151{next(_PHONES) % 100_000_000:08d}"
        if not number.endswith(MOTO_OPTED_OUT_SUFFIX):
            return number


def make_signup(phone: str | None = None, *, name: str = "Test Customer", **kwargs: object) -> SignedUp:
    from chalicelib import deps
    from chalicelib.services import accounts
    from chalicelib.services.sessions import ClientInfo
    from chalicelib.settings import get_settings

    email = kwargs.get("email")
    password = kwargs.get("password")
    phone = phone or unique_phone()
    issued = accounts.register(
        accounts.Registration(
            name=name,
            phone=phone,
            email=str(email) if email else None,
            password=str(password) if password else None,
            age_16_or_older=True,
            terms_version=get_settings().terms_version,
            locale=str(kwargs.get("locale") or "en"),
        ),
        # Distinct "IPs" so fixtures never trip the per-IP sign-in limit of the test under way.
        ClientInfo(ip=f"fixture-{next(_PHONES)}", user_agent="pytest-fixture"),
        deps.clock().now(),
    )
    return SignedUp(
        user_id=issued.user_id,
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        phone=phone,
        name=name,
        email=str(email) if email else None,
        password=str(password) if password else None,
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )


@pytest.fixture
def signup(aws: str, clock: Any) -> Callable[..., SignedUp]:
    def create(name: str = "Test Customer", phone: str | None = None, **kwargs: object) -> SignedUp:
        return make_signup(phone, name=name, **kwargs)

    return create


@pytest.fixture
def operator(signup: Callable[..., SignedUp]) -> SignedUp:
    from chalicelib import deps
    from chalicelib.services import accounts, sessions
    from chalicelib.store import users

    person = signup(name="Platform Operator")
    accounts.grant_operator(person.user_id, granted_by="test-bootstrap", now=deps.clock().now())
    user = users.get_user(person.user_id)
    assert user is not None
    issued = sessions.start(
        user, "password", sessions.ClientInfo(ip="fixture-op", user_agent="pytest"), deps.clock().now()
    )
    person.access_token = issued.access_token
    person.refresh_token = issued.refresh_token
    person.headers = {"Authorization": f"Bearer {issued.access_token}"}
    return person


@pytest.fixture
def staff(signup: Callable[..., SignedUp]) -> Callable[..., SignedUp]:
    """staff(business_id, role=Role.OWNER, name=...) -> a signed-up member of that business."""
    from chalicelib.domain.identity import Role
    from chalicelib.store import memberships

    def create(business_id: str, role: Role = Role.OWNER, name: str = "Staff Member") -> SignedUp:
        person = signup(name=name)
        memberships.add_membership(business_id, person.user_id, role)
        return person

    return create
