"""Privacy-area fixtures: a stand-in authenticator for tests that need "a signed-in user"
without exercising accounts, and the S3 buckets the privacy engine writes to."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.api import routing
from chalicelib.domain.identity import Principal

TEST_AUTH_SCHEME = "PrivacyTest"


def put_due_item(pk: str, due: datetime, *, exp_pk: str | None = None) -> None:
    """A bare table item with a retention deadline at ``due``, written raw (no model), keyed
    by store/retention's expiry keys; ``exp_pk`` overrides the index key (e.g. a legacy one)."""
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings
    from chalicelib.store import retention

    key, sort = retention.expiry_keys(pk, "X", due)
    client("dynamodb").put_item(
        TableName=get_settings().resolved_table_name(),
        Item={
            "pk": {"S": pk},
            "sk": {"S": "X"},
            "entity": {"S": "Thing"},
            "exp_pk": {"S": exp_pk or key},
            "exp_sk": {"S": sort},
        },
    )


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


def relay_events() -> int:
    """Relay every pending domain event (as the table stream does): an accepted erasure's
    event queues its job. Returns how many were relayed."""
    from datetime import timedelta

    from chalicelib import deps
    from chalicelib.services import events
    from chalicelib.services.subscribers import SUBSCRIPTIONS

    return events.relay_stranded(deps.clock().now() + events.STRANDED_AFTER + timedelta(seconds=1), SUBSCRIPTIONS)


def run_jobs(
    max_messages: int = 10_000,
    *,
    after_each: Callable[[], None] | None = None,
    failures: list[BaseException] | None = None,
) -> int:
    """Relay the domain events, then run the jobs worker over the "jobs" queue until it is
    empty, one message at a time as Lambda does (batch size 1). ``after_each`` runs after
    every handled message. A handler that raises leaves its message on the queue, visible
    again at once (SQS's retry); the error is appended to ``failures``, or re-raised when
    no list is given. Returns the messages handled (failed attempts included)."""
    from chalicelib import queues
    from chalicelib.aws_clients import client
    from chalicelib.privacy import jobs

    relay_events()
    sqs = client("sqs")
    url = queues.queue_url(jobs.JOBS)
    handled = 0
    while handled < max_messages:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)
        messages = received.get("Messages", [])
        if not messages:
            return handled
        handled += 1
        try:
            jobs.handle_event({"Records": [{"body": messages[0]["Body"]}]})
        except Exception as exc:
            if failures is None:
                raise
            failures.append(exc)
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        if after_each is not None:
            after_each()
    raise AssertionError(f"the jobs queue did not drain in {max_messages} messages")


@pytest.fixture
def drain_jobs(aws: str) -> Callable[[], int]:
    """``drain_jobs()`` runs the background jobs (erasures, big exports) to completion."""
    return run_jobs
