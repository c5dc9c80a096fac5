"""Business webhooks end to end: a real receiver on 127.0.0.1, the outbox relay, the
"webhooks" queue and its consumer, driven with the injected clock (no real waits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import standardwebhooks.webhooks
from standardwebhooks import Webhook

from tests.support.fixtures_bookings import relogin


def _register(api: Any, salon: Any, url: str, **extra: Any) -> Any:
    return api.post(f"/v1/businesses/{salon.business_id}/webhooks", {"url": url, **extra}, headers=salon.owner.headers)


def _verify_at(monkeypatch: pytest.MonkeyPatch, clock: Any) -> None:
    """Webhook.verify checks the timestamp against the wall clock: let it read the injected one."""

    class InjectedNow(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return clock.now().astimezone(tz or UTC)

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", InjectedNow)


def _endpoint(api: Any, salon: Any) -> dict[str, Any]:
    [found] = api.get(f"/v1/businesses/{salon.business_id}/webhooks", headers=relogin(salon.owner)).json["items"]
    return found


def test_a_loopback_receiver_gets_each_event_once_per_attempt_with_a_valid_signature(
    api, salon, customer, notify, webhook_kit, clock, monkeypatch
):
    # Given an owner's endpoint on a receiver on 127.0.0.1 (a local stage allows loopback)
    _verify_at(monkeypatch, clock)
    created = _register(api, salon, webhook_kit.receiver.url)
    assert created.status == 201, created.body
    secret = created.json["secret"]
    assert secret.startswith("whsec_") and "secret" not in _endpoint(api, salon)
    # When a customer books, the owner confirms and marks the visit attended
    booking = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    base = f"/v1/businesses/{salon.business_id}/bookings/{booking['id']}"
    assert api.post(f"{base}/confirm", headers=salon.owner.headers).status == 200
    clock.advance(timedelta(days=1, hours=1, minutes=30))
    assert api.post(f"{base}/attended", headers=relogin(salon.owner)).status == 200
    notify.relay()  # the table stream -> the outbox relay -> the webhooks subscriber
    assert webhook_kit.run_once() == 3
    # Then the receiver got each event once, signed (Standard Webhooks), in a SHARE-1 payload
    got = webhook_kit.receiver.received
    assert [d.headers["webhook-id"] for d in got] == [
        f"{booking['id']}:created",
        f"{booking['id']}:confirmed",
        f"{booking['id']}:completed",
    ]
    bodies = [Webhook(secret).verify(d.body, d.headers) for d in got]
    assert [b["type"] for b in bodies] == ["booking.created", "booking.confirmed", "booking.completed"]
    # proves: SHARE-1
    assert bodies[0]["data"]["service_name"] == "Cut, wash; style" and bodies[0]["data"]["booking_id"] == booking["id"]
    for delivery in got:
        text = delivery.body.decode()
        assert customer.user_id not in text and customer.phone not in text and "Booking Customer" not in text
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=").verify(got[0].body, got[0].headers)
    # And the endpoint's log shows the success; nothing is left to deliver
    log = _endpoint(api, salon)
    assert log["last_status"] == 204 and log["consecutive_failures"] == 0 and log["status"] == "active"
    assert webhook_kit.pending() == []


def test_a_receiver_failing_three_times_gets_the_event_with_the_same_id_on_the_backoff_schedule(
    api, salon, customer, notify, webhook_kit, clock, monkeypatch
):
    # Given an endpoint whose receiver answers 500 three times, then 204
    _verify_at(monkeypatch, clock)
    secret = _register(api, salon, webhook_kit.receiver.url, kinds=["booking.created"]).json["secret"]
    webhook_kit.receiver.script = [500, 500, 500]
    booking = api.post("/v1/bookings", salon.body(salon.at(2, "10:00")), headers=customer.headers).json
    notify.relay()
    # When the consumer runs whenever a retry is due (the clock jumps to it; no real waiting)
    first = clock.now()
    attempts_at = []
    for _ in range(10):
        if not webhook_kit.pending():
            break
        due = webhook_kit.next_due()
        if due is not None and due > clock.now():
            assert webhook_kit.run_once() == 1 and len(webhook_kit.receiver.received) == len(attempts_at)  # too early
            clock.set(due)
        webhook_kit.run_once()
        attempts_at.append(clock.now())
        if len(attempts_at) == 3:
            failing = _endpoint(api, salon)
            assert failing["consecutive_failures"] == 3 and failing["last_status"] == 500
            assert failing["last_error"] == "http_500" and failing["status"] == "active"
    # Then it got the event four times, every time with the same id and a valid signature
    got = webhook_kit.receiver.received
    assert [d.answered for d in got] == [500, 500, 500, 204]
    assert {d.headers["webhook-id"] for d in got} == {f"{booking['id']}:created"}
    assert len({d.headers["webhook-timestamp"] for d in got}) == 4  # each attempt signs its own time
    for delivery, at in zip(got, attempts_at, strict=True):
        clock.set(at)
        assert Webhook(secret).verify(delivery.body, delivery.headers)["type"] == "booking.created"
    # And the attempts followed the schedule: 0, 5 s, 30 s, 2 min after the first
    schedule = [timedelta(0), timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2)]
    assert [at - first for at in attempts_at] == schedule
    log = _endpoint(api, salon)
    assert log["consecutive_failures"] == 0 and log["last_status"] == 204 and log["failing_since"] is None


def test_sustained_failure_disables_the_endpoint_and_tells_the_owner(api, salon, customer, notify, webhook_kit, clock):
    # Given a receiver that always fails
    _register(api, salon, webhook_kit.receiver.url, kinds=["booking.created"])
    webhook_kit.receiver.script = [503] * 20
    api.post("/v1/bookings", salon.body(salon.at(2, "10:00")), headers=customer.headers)
    notify.relay()
    first = clock.now()
    # When every retry of the 24-hour schedule runs and fails
    for _ in range(40):
        if not webhook_kit.pending():
            break
        due = webhook_kit.next_due()
        if due is not None and due > clock.now():
            clock.set(due)
        webhook_kit.run_once()
    # Then it was tried 10 times over 24 hours, then disabled with the owner told (account notice)
    assert len(webhook_kit.receiver.received) == 10 and clock.now() - first == timedelta(hours=24)
    log = _endpoint(api, salon)
    assert log["status"] == "disabled" and log["consecutive_failures"] == 10 and log["last_error"] == "http_503"
    notices = [json.loads(m["Body"]) for m in notify.receive()]
    [notice] = [n for n in notices if n["kind"] == "webhook.disabled"]
    assert notice["user_id"] == salon.owner.user_id and notice["params"]["host"] == "127.0.0.1"
    # And a later event is not delivered to it
    api.post("/v1/bookings", salon.body(salon.at(3, "10:00")), headers=relogin(customer))
    notify.relay()
    webhook_kit.run_once()
    assert len(webhook_kit.receiver.received) == 10


REFUSED = (
    "http://127.0.0.1/hooks",
    "https://127.0.0.1/hooks",
    "https://10.0.0.1/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:a9fe:a9fe]/hooks",
    "https://[fe80::1]/hooks",
    "https://metadata.attacker.example/hooks",  # resolves to 169.254.169.254
    "https://internal.attacker.example/hooks",  # resolves to 10.0.0.1
    "https://loop.attacker.example/hooks",  # resolves to 127.0.0.1
    "https://rebind.attacker.example/hooks",  # one public and one private answer
    "https://localhost/hooks",
    "https://nowhere.invalid/hooks",
)


def test_a_deployed_configuration_refuses_private_loopback_and_link_local_targets(api, salon, fake_dns):
    # Given the deployed-stage configuration (no loopback) and names resolving to internal addresses
    fake_dns.names.update(
        {
            "metadata.attacker.example": ["169.254.169.254"],
            "internal.attacker.example": ["10.0.0.1"],
            "loop.attacker.example": ["127.0.0.1"],
            "rebind.attacker.example": ["93.184.216.34", "10.0.0.1"],
        }
    )
    # When the owner registers each endpoint, then each is refused, and nothing is stored
    answers = {url: _register(api, salon, url).status for url in REFUSED}
    assert answers == dict.fromkeys(REFUSED, 403)
    assert api.get(f"/v1/businesses/{salon.business_id}/webhooks", headers=salon.owner.headers).json["items"] == []
    # And a public name is accepted
    assert _register(api, salon, "https://hooks.example.com/in").status == 201


def test_a_deployed_stage_refuses_loopback_even_when_configured_to_allow_it(monkeypatch):
    # Given a prod stage whose configuration (wrongly) allows loopback
    from chalicelib.services import webhooks
    from chalicelib.settings import Settings

    prod = Settings(stage="prod", webhooks_allow_loopback=True)
    monkeypatch.setattr("chalicelib.settings.get_settings", lambda: prod)
    # Then the setting does not apply: only local stages may allow loopback
    assert webhooks._allow_loopback() is False
    local = Settings(stage="local", webhooks_allow_loopback=True)
    monkeypatch.setattr("chalicelib.settings.get_settings", lambda: local)
    assert webhooks._allow_loopback() is True


def test_a_name_repointed_after_registration_is_refused_at_delivery(
    api, salon, customer, notify, fake_dns, monkeypatch
):
    # Given an endpoint registered while its name resolved to a public address
    from chalicelib.notify import webhook_http

    posted: list[Any] = []
    monkeypatch.setattr(webhook_http, "post", lambda *args: posted.append(args) or 204)
    assert _register(api, salon, "https://hooks.example.com/in").status == 201
    # When the name is re-pointed at the metadata service and an event is delivered
    fake_dns.names["hooks.example.com"] = ["169.254.169.254"]
    api.post("/v1/bookings", salon.body(salon.at(2, "10:00")), headers=customer.headers)
    notify.relay()
    from tests.support.fixtures_webhooks import WebhookKit

    WebhookKit(None, None).run_once()
    # Then no request was made and the attempt is logged as refused
    assert posted == []
    log = _endpoint(api, salon)
    assert log["last_error"] == "address_refused" and log["consecutive_failures"] == 1


def test_an_owner_manages_at_most_ten_endpoints_and_others_cannot(api, salon, staff):
    from chalicelib.domain.identity import Role

    manager = staff(salon.business_id, Role.MANAGER)
    assert _register(api, salon, "https://hooks.example.com/x", kinds=["booking.nope"]).status == 422
    assert (
        api.post(
            f"/v1/businesses/{salon.business_id}/webhooks",
            {"url": "https://hooks.example.com/m"},
            headers=manager.headers,
        ).status
        == 403
    )
    ids = [_register(api, salon, f"https://hooks.example.com/{n}").json["id"] for n in range(10)]
    assert _register(api, salon, "https://hooks.example.com/11").status == 409
    path = f"/v1/businesses/{salon.business_id}/webhooks/{ids[0]}"
    assert api.delete(path, headers=salon.owner.headers).status == 204
    assert api.delete(path, headers=salon.owner.headers).status == 404
    assert _register(api, salon, "https://hooks.example.com/11").status == 201
