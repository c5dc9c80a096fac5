"""Every DynamoDB, SQS and SNS call of the write paths fails in turn; a client's retry converges.

For each operation, a clean run counts its SDK calls; then, for every call index and both fault
kinds (an error before the call: nothing applied; a read timeout after it: applied, answer
lost), a fresh instance of the operation runs with that one call failing, the client retries
as a real one would (the same Idempotency-Key for a create and a reschedule, a plain retry
otherwise), the outbox
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

# Part of `make test`; `make test-faults` runs it alone. It was left out while a full run made
# its clean reschedule count no SMS and the next file on its worker miss one: fixture phone
# numbers come from one counter per process and moto treats numbers ending in 99 as opted
# out (unique_phone now skips them; the last test below keeps it so).
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


def _audit_actions(items: list[dict[str, Any]], actor: str) -> list[str]:
    """The audit records this person's actions left (SEC-6: each booking change has one)."""
    return sorted(
        item["action"]["S"]
        for item in items
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
        from tests.support.fixtures_bookings import INVARIANT_ENTITIES, table_items

        self.settle()
        items = table_items((*INVARIANT_ENTITIES, "AuditRecord"))  # one read for both checks
        assert_booking_invariants(items)
        return {
            "bookings": _live_bookings_of(self.api, person),
            "sms": _sms_to(self.notify, person.phone),
            "audit": _audit_actions(items, person.user_id),
        }

    def create(self) -> Attempt:
        person = self.signup(name="Fault Customer")
        start, _ = self._slot()
        key = f"create-{self.round}"

        def send() -> Any:
            return self._book(person, start, key)

        return Attempt(send, send, lambda: self._booking_outcome(person))

    def _change(self, path: str, body: dict[str, Any] | None, key: str | None = None) -> Attempt:
        person, booking_id, later = self._booked()
        payload = {"start": later.isoformat()} if body is not None else None
        headers = {**person.headers, "Idempotency-Key": f"{key}-{self.round}"} if key else person.headers

        def send() -> Any:
            return self.api.post(path.format(id=booking_id), payload, headers=headers)

        return Attempt(send, send, lambda: self._booking_outcome(person))

    def cancel(self) -> Attempt:
        return self._change("/v1/bookings/{id}/cancel", None)

    def reschedule(self) -> Attempt:
        return self._change("/v1/bookings/{id}/reschedule", {}, key="reschedule")

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

    def delivery(self) -> Attempt:
        """The outbox was relayed cleanly; the consumer meets the fault, delivering by SMS and
        to a push device (SNS platform endpoint)."""
        from chalicelib.store import preferences as profiles

        person = self.signup(name="Fault Customer")
        start, _ = self._slot()
        token = f"{self.round:08x}" * 8
        device = self.api.post("/v1/me/devices", {"platform": "apns", "token": token}, headers=person.headers)
        assert device.status == 201, device.body
        [registered] = profiles.load(person.user_id).devices
        made = self._book(person, start, f"delivery-{self.round}")
        assert made.status == 201, made.body
        self.notify.relay()  # the notification is in the queue before the watched part starts

        def deliver() -> Any:
            return self.notify.drain()

        def outcome() -> dict[str, Any]:
            return {**self._booking_outcome(person), "push": len(self.notify.outbox.pushes(registered.endpoint_arn))}

        return Attempt(deliver, self.settle, outcome)

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
# Empty: a reschedule whose commit answer was lost is retried with its Idempotency-Key and
# replays (its record committed with the move), so one move and one booking.rescheduled record.
KNOWN: dict[tuple[str, str], str] = {}

OPERATIONS = ["create", "cancel", "reschedule", "register", "erase", "relay", "delivery"]
# Bounded by count: one faulted attempt per call of the clean run, at most this many.
MAX_CALLS = 40


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
    from chalicelib import queues

    faults = Faults(kind)
    install(monkeypatch, faults)
    # A failed batch comes back after the visibility timeout, as on SQS (past a claim's lease).
    notify.redelivery_advances_clock = True
    scenarios = Scenarios(api, salon, signup, notify)
    notify.relay()  # the stream poller's first pass (DescribeTable...) is not part of any operation
    # Given a clean run, which says which SDK calls the operation makes and how it ends
    clean = getattr(scenarios, operation)()
    queues.reset()  # every attempt starts cold (no cached queue URL): the same calls each time
    with faults.watching(None):
        first = clean.act()
    calls = list(faults.calls)
    expected = clean.outcome()
    assert calls, f"{operation} made no DynamoDB/SQS/SNS call"
    assert len(calls) <= MAX_CALLS, f"{operation}: {len(calls)} calls, more than the bound {MAX_CALLS}"
    if hasattr(first, "status"):
        assert first.status < 300, first.body
    problems: list[str] = []
    for index in range(len(calls)):
        # When call ``index`` fails (before it is sent, or after it committed) and the client retries
        attempt = getattr(scenarios, operation)()
        queues.reset()
        with faults.watching(index):
            try:
                answer = attempt.act()
            except Exception as error:  # the relay/consumer may raise: Lambda would retry it
                answer = error
        call = faults.injected or f"(none; clean run's {calls[index]})"
        if faults.calls[:index] != calls[:index] or faults.injected != calls[index]:
            # the attempt did not repeat the clean run's calls: this call went untested
            problems.append(f"call {index} {calls[index]}: not reached, the attempt made {faults.calls}")
            continue
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
    dead = notify.receive(dlq=True)
    if dead:  # a notification given up on is a lost one
        problems.append(f"{len(dead)} notification(s) in the dead-letter queue: {[m['Body'][:80] for m in dead]}")
    print(f"{operation}/{kind}: {len(calls)} calls {calls}")
    known = KNOWN.get((operation, kind))
    if known and problems:
        pytest.xfail(f"{known}: " + "; ".join(problems))
    assert not problems, f"{operation}, fault {kind}:\n" + "\n".join(problems)
    assert known is None, f"fixed, remove from KNOWN: {(operation, kind)}"


def test_fixture_phone_numbers_are_never_opted_out_at_moto(aws: str) -> None:
    # The leak that kept this file out of `make test`: moto's SNS reports every number ending
    # in 99 as opted out, and fixture numbers come from one counter per process, so a test got
    # one (and lost its SMS) depending on how many numbers earlier tests had drawn.
    from chalicelib.aws_clients import client
    from tests.support.fixtures_accounts import unique_phone

    # Given more numbers than a hundred (every last-two-digit pair comes round)
    numbers = [unique_phone() for _ in range(150)]
    # Then none of them is one SNS would refuse to text
    sns = client("sns")
    assert not [n for n in numbers if sns.check_if_phone_number_is_opted_out(phoneNumber=n)["isOptedOut"]]
