"""SEC-6 under load: audited changes and reads share no item, so concurrent ones never
conflict (no per-tenant head on the request path; the "platform" tenant is not one item)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.fixtures_bookings import table_items

_WATCHED = {"TransactionCanceledException", "ConditionalCheckFailedException", "TransactionConflictException"}


@pytest.fixture
def sdk_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every DynamoDB error code any botocore client received (PynamoDB's per-thread ones too)."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    seen: Counter[str] = Counter()
    lock = threading.Lock()
    real = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: Any) -> Any:
        try:
            return real(self, operation_name, api_params)
        except ClientError as exc:
            with lock:
                seen[str(exc.response.get("Error", {}).get("Code"))] += 1
            raise

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    yield seen


def _snapshot() -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["pk"]["S"], item["sk"]["S"]): item for item in table_items()}


def _rewritten(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any]) -> set[tuple[str, str]]:
    """Keys that existed before and changed (newly created items are not rewrites)."""
    return {key for key, item in before.items() if key in after and after[key] != item}


@pytest.mark.ddblocal
@pytest.mark.timeout(180)
def test_200_concurrent_consent_changes_of_200_users_never_conflict(aws, clock, sdk_errors):
    # proves: SEC-6
    if aws == "moto":
        pytest.skip("moto is not thread-safe; DynamoDB Local proves this")
    from chalicelib.domain.consents import LOCATION, NO_SCOPE, ConsentChange
    from chalicelib.privacy import consents
    from chalicelib.store import audit as audit_store

    # Given 200 users who each switched location off once (so the next change rewrites a state)
    users = [f"user-{n:03d}" for n in range(200)]
    for user in users:
        consents.change(user, [ConsentChange(LOCATION, NO_SCOPE, False)], at=clock.now())
    before = _snapshot()
    sdk_errors.clear()
    # When all 200 switch it on at the same time (25 threads: DynamoDB Local on a shared
    # 2-core machine), each change audited under "platform"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=25) as pool:
        list(pool.map(lambda u: consents.change(u, [ConsentChange(LOCATION, NO_SCOPE, True)], at=clock.now()), users))
    elapsed = time.monotonic() - started
    after = _snapshot()
    # Then every change succeeded, with no cancelled transaction or failed condition at all
    assert not (set(sdk_errors) & _WATCHED), sdk_errors
    assert all(consents.allows_location(u) for u in users)
    # And the only items rewritten are those users' own (their consent state): nothing shared
    rewritten = _rewritten(before, after)
    assert len(rewritten) == 200
    assert {pk for pk, _ in rewritten} == {f"USER#{u}" for u in users}
    # And every change left its own new audit record, spread over the platform's chains
    records = [r for r in audit_store.list_records("platform", limit=500) if r.action == "consent.changed"]
    assert len(records) == 400
    # (400 records on 64 chains by a hash of random ids: nearly all, not provably every one)
    assert len({r.pk for r in records}) > audit_store.SHARDS * 3 // 4
    assert elapsed < 60


@pytest.mark.ddblocal
@pytest.mark.timeout(180)
def test_100_concurrent_audited_staff_reads_of_one_business_never_conflict(
    aws, api, salon, customer, clock, sdk_errors
):
    # proves: SEC-6
    if aws == "moto":
        pytest.skip("moto is not thread-safe; DynamoDB Local proves this")
    from chalicelib.domain.identity import Principal
    from chalicelib.services import bookings
    from chalicelib.store import audit as audit_store

    # Given a booking of the salon
    created = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers)
    assert created.status == 201, created.body
    booking_id = created.json["id"]
    owner = Principal(user_id=salon.owner.user_id, session_id="s")
    before = _snapshot()
    sdk_errors.clear()
    # When its owner reads it 100 times at once (25 threads), each read audited
    with ThreadPoolExecutor(max_workers=25) as pool:
        views = list(
            pool.map(
                lambda _: bookings.get_business_booking(owner, salon.business_id, booking_id, clock.now()), range(100)
            )
        )
    after = _snapshot()
    # Then all 100 succeeded without a single conflict or failed condition
    assert len(views) == 100 and all(v.booking.booking_id == booking_id for v in views)
    assert not (set(sdk_errors) & _WATCHED), sdk_errors
    # And nothing that existed was rewritten: each read is one new item
    assert _rewritten(before, after) == set()
    reads = [r for r in audit_store.list_records(salon.business_id, limit=500) if r.action == "booking.read"]
    assert len(reads) == 100
    assert {r.actor for r in reads} == {salon.owner.user_id}
