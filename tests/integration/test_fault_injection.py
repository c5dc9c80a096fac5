"""Every DynamoDB, SQS and SNS call of the write paths fails in turn; a client's retry converges.

For each operation, a clean run counts its SDK calls; then, for every call index and both fault
kinds (an error before the call: nothing applied; a read timeout after it: applied, answer
lost), a fresh instance of the operation runs with that one call failing, the client retries
as a real one would (same Idempotency-Key for a create, a plain retry otherwise), the outbox
relay and the notification consumer run until the queue is empty, and the end state must be
the clean run's: one booking per create, locks equal to live bookings
(``assert_booking_invariants``), exactly the clean run's notifications, no account left half
made or half erased. Every inconsistency of an operation is collected and reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.faults import Faults, install
from tests.support.fixtures_bookings import assert_booking_invariants

# Out of `make test` for now (`make test-faults` runs it): in a full two-worker run it once
# counted no SMS in its clean reschedule run while the faulted runs counted two, and the next
# file on its worker (test_contact_change_delivery) then missed an SMS it gets when run alone:
# some state outlives the test. Both pass on their own; find the leak before it gates CI.
pytestmark = pytest.mark.faults


@dataclass
class Attempt:
    """One instance of an operation: ``act`` is watched (and may fail), ``retry`` is the
    client's retry, ``outcome`` what the end state says (compared with the clean run's)."""

    act: Callable[[], Any]
    retry: Callable[[], Any]
    outcome: Callable[[], dict[str, Any]]


def _sms_to(notify: Any, phone: str) -> int:
    return sum(1 for to, _ in notify.outbox.sms() if to == phone)


def _live_bookings_of(api: Any, person: Any) -> list[str]:
    from tests.support.fixtures_bookings import relogin

    listed = api.get("/v1/me/bookings?limit=100", headers=relogin(person))
    assert listed.status == 200, listed.body
    # status and local wall time: attempts use other days, the same times (no DST change in range)
    return sorted(f"{b['status']}@{b['start'][11:16]}" for b in listed.json["items"])


def _audit_actions(actor: str) -> list[str]:
    """The audit records this person's actions left (SEC-6: each booking change has one)."""
    from tests.support.fixtures_bookings import table_items

    return sorted(
        item["action"]["S"]
        for item in table_items()
        if item.get("entity", {}).get("S") == "AuditRecord" and item.get("actor", {}).get("S") == actor
    )


class Scenarios:
    def __init__(self, api: Any, salon: Any, signup: Any, notify: Any) -> None:
        self.api, self.salon, self.signup, self.notify = api, salon, signup, notify
        self.round = 0

    def _slot(self) -> tuple[Any, Any]:
        self.round += 1
        day = 1 + self.round  # one day per attempt: attempts never compete for a slot
        return self.salon.at(day, "10:00"), self.salon.at(day, "14:00")

    def _book(self, person: Any, start: Any, key: str) -> Any:
        body = self.salon.body(start, self.salon.specialist_ids[0])
        return self.api.post("/v1/bookings", body, headers={**person.headers, "Idempotency-Key": key})

    def _booked(self) -> tuple[Any, str, Any]:
        person = self.signup(name="Fault Customer")
        start, later = self._slot()
        made = self._book(person, start, f"setup-{self.round}")
        assert made.status == 201, made.body
        self.notify.drain()
        return person, made.json["id"], later

    def _booking_outcome(self, person: Any) -> dict[str, Any]:
        self.settle()
        assert_booking_invariants()
        return {
            "bookings": _live_bookings_of(self.api, person),
            "sms": _sms_to(self.notify, person.phone),
            "audit": _audit_actions(person.user_id),
        }

    def create(self) -> Attempt:
        person = self.signup(name="Fault Customer")
        start, _ = self._slot()
        key = f"create-{self.round}"

        def send() -> Any:
            return self._book(person, start, key)

        return Attempt(send, send, lambda: self._booking_outcome(person))

    def _change(self, path: str, body: dict[str, Any] | None) -> Attempt:
        person, booking_id, later = self._booked()
        payload = {"start": later.isoformat()} if body is not None else None

        def send() -> Any:
            return self.api.post(path.format(id=booking_id), payload, headers=person.headers)

        return Attempt(send, send, lambda: self._booking_outcome(person))

    def cancel(self) -> Attempt:
        return self._change("/v1/bookings/{id}/cancel", None)

    def reschedule(self) -> Attempt:
        return self._change("/v1/bookings/{id}/reschedule", {})

    def register(self) -> Attempt:
        from chalicelib.store import users
        from tests.integration.accounts.helpers import register_body
        from tests.support.fixtures_accounts import unique_phone

        phone = unique_phone()
        self.round += 1
        headers = {"X-Forwarded-For": f"198.51.100.{self.round % 250}"}

        def send() -> Any:
            return self.api.post("/v1/auth/register", register_body(phone), headers=headers)

        def outcome() -> dict[str, Any]:
            user_id = users.find_user_id("phone", phone)
            return {"account": user_id is not None and users.get_user(user_id) is not None}

        return Attempt(send, send, outcome)

    def erase(self) -> Attempt:
        from chalicelib.store import users

        person, _, _ = self._booked()

        def send() -> Any:
            return self.api.delete("/v1/me", headers=person.headers)

        def outcome() -> dict[str, Any]:
            assert_booking_invariants()
            return {
                "user": users.get_user(person.user_id) is not None,
                "phone_claimed": users.find_user_id("phone", person.phone) is not None,
                "me": self.api.get("/v1/me", headers=person.headers).status,
            }

        return Attempt(send, send, outcome)

    def relay(self) -> Attempt:
        """The booking committed cleanly; the relay and the consumer meet the fault."""
        person = self.signup(name="Fault Customer")
        start, _ = self._slot()
        made = self._book(person, start, f"relay-{self.round}")
        assert made.status == 201, made.body

        def deliver() -> Any:
            return self.notify.drain()

        return Attempt(deliver, self.settle, lambda: self._booking_outcome(person))

    def settle(self) -> None:
        """What the event source mappings do after a failed batch: run again (bounded) until
        the stream has nothing new and the queue is empty."""
        for _ in range(5):
            polled = self.notify.relay()
            self.notify.drain()
            if polled.error is None and polled.received == 0:
                return


# Inconsistencies found and not fixed here, as (operation, fault kind) -> the defect. The test
# xfails while they reproduce and fails once they stop ("remove from KNOWN"), so this only shrinks.
KNOWN: dict[tuple[str, str], str] = {
    # The audit record now commits with the change (SEC-6 holds: create and cancel converge).
    # What is left is not a lost record: a reschedule whose commit answer is lost is retried
    # by the client as a second move to the same start, which commits again, so the log
    # truthfully holds two booking.rescheduled records. Reschedule has no Idempotency-Key.
    ("reschedule", "after"): "a retried reschedule (lost answer) commits a second same-start move: two records",
    # (a) claim UpdateItem / contact GetItem answer lost: the retry comes at once here (the
    # harness's VisibilityTimeout=0) while the claim's lease still holds, so it is skipped as a
    # duplicate and deleted: 0 SMS. On SQS the retry comes after the visibility timeout, past
    # the lease (dispatcher.claim_lease); the harness should advance the clock to prove that.
    # (b) sns.Publish answer lost: the retry texts again (2 SMS): SMS has no idempotency key.
    ("relay", "after"): "lost claim answer skipped as duplicate within the lease; lost Publish answer resends",
}

OPERATIONS = ["create", "cancel", "reschedule", "register", "erase", "relay"]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["before", "after"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_call_can_fail_and_a_retry_converges(
    operation: str, kind: str, api: Any, salon: Any, signup: Any, notify: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    # Every attempt of every round registers from the test client's one address: lift the
    # per-IP registration limit (a security parameter, tested in test_register) for this test.
    monkeypatch.setenv("BOOKING_REGISTER_IP_LIMIT", "100000")
    get_settings.cache_clear()
    faults = Faults(kind)
    install(monkeypatch, faults)
    scenarios = Scenarios(api, salon, signup, notify)
    notify.relay()  # the stream poller's first pass (DescribeTable...) is not part of any operation
    # Given a clean run, which says how many SDK calls the operation makes and how it ends
    clean = getattr(scenarios, operation)()
    with faults.watching(None):
        first = clean.act()
    calls = list(faults.calls)
    expected = clean.outcome()
    assert calls, f"{operation} made no DynamoDB/SQS/SNS call"
    if hasattr(first, "status"):
        assert first.status < 300, first.body
    problems: list[str] = []
    for index in range(len(calls)):
        # When call ``index`` fails (before it is sent, or after it committed) and the client retries
        attempt = getattr(scenarios, operation)()
        with faults.watching(index):
            try:
                answer = attempt.act()
            except Exception as error:  # the relay/consumer may raise: Lambda would retry it
                answer = error
        call = faults.injected or f"(none; clean run's {calls[index]})"
        if hasattr(answer, "status") and answer.status >= 500 and answer.status != 503:
            problems.append(f"call {index} {call}: answered {answer.status} (a dependency fault is 503)")
        retried = attempt.retry()
        if hasattr(retried, "status") and retried.status >= 500:
            problems.append(f"call {index} {call}: the retry answered {retried.status}: {retried.body[:200]!r}")
        # Then the end state is the clean run's
        try:
            got = attempt.outcome()
        except AssertionError as error:
            problems.append(f"call {index} {call}: {str(error).splitlines()[0]}")
            continue
        if got != expected:
            problems.append(f"call {index} {call}: end state {got}, clean run {expected}")
    print(f"{operation}/{kind}: {len(calls)} calls {calls}")
    known = KNOWN.get((operation, kind))
    if known and problems:
        pytest.xfail(f"{known}: " + "; ".join(problems))
    assert not problems, f"{operation}, fault {kind}:\n" + "\n".join(problems)
    assert known is None, f"fixed, remove from KNOWN: {(operation, kind)}"
