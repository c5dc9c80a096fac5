"""Privacy-area fixtures: a stand-in authenticator for tests that need "a signed-in user"
without exercising accounts, and the S3 buckets the privacy engine writes to."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.api import routing
from chalicelib.domain.identity import Principal

TEST_AUTH_SCHEME = "PrivacyTest"


def _test_authenticator(ctx: routing.RequestContext) -> Principal:
    scheme, _, user_id = (ctx.header("authorization") or "").partition(" ")
    if scheme != TEST_AUTH_SCHEME or not user_id:
        raise errors.Unauthenticated()
    operator = user_id.startswith("op-")
    return Principal(user_id=user_id, session_id="test-session", is_operator=operator)


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], dict[str, str]]:
    """Swap in a header authenticator: ``headers = as_user("u1")`` signs requests as u1
    (ids starting "op-" are operators)."""
    monkeypatch.setattr(routing, "_authenticator", _test_authenticator)

    def headers(user_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"{TEST_AUTH_SCHEME} {user_id or uuid.uuid4().hex}"}

    return headers


@pytest.fixture
def buckets(aws: str) -> Iterator[dict[str, str]]:
    """The app's S3 buckets (chalicelib.resources.BUCKETS), created in moto if absent."""
    from chalicelib import resources
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    s3: Any = client("s3")
    names = {}
    for logical in resources.BUCKETS:
        name = resources.bucket_name(get_settings().stage, logical)
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if name not in existing:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": get_settings().region})
        names[logical] = name
    yield names
