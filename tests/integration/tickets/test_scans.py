"""QR tickets at validators (WAL-2): online single use, offline uploads and double use, tampered
and expired codes, the revocation list, validator credentials, the "ticket used" push (NOTE-4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.tickets import Refusal, public_keys, verify_payload
from tests.integration.tickets.helpers import auth, define_product, issue_ticket, payload_of, register_validator


def _keys(api):
    import base64

    listed = api.get("/v1/tickets/keys").json["keys"]
    raw = {k["key_id"]: base64.urlsafe_b64decode(k["public_key"] + "=" * (-len(k["public_key"]) % 4)) for k in listed}
    return public_keys(raw)


@pytest.mark.ddblocal
def test_a_ticket_scanned_twice_online_is_refused_the_second_time_saying_when_and_where(api, clock, operator, signup):
    # proves: WAL-2
    # Given a single-ride ticket and two validators at different places
    holder = signup(name="Rider")
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    payload = payload_of(api, holder, ticket_id)
    first = register_validator(api, operator, "Koroglu station, gate 1")
    second = register_validator(api, operator, "28 May station, gate 3")

    # When the first validator scans it
    admitted = api.post("/v1/validators/scans", {"scan_id": "a-1", "payload": payload}, headers=auth(first))
    # Then it is admitted
    assert admitted.status == 200 and admitted.json["accepted"] is True, admitted.json

    # When the second validator scans it a minute later
    clock.advance(timedelta(minutes=1))
    again = api.post("/v1/validators/scans", {"scan_id": "b-1", "payload": payload}, headers=auth(second))
    # Then it is refused, saying when and at which validator it was used
    assert again.status == 200
    assert again.json["accepted"] is False and again.json["reason"] == "already_used"
    assert again.json["used_validator_id"] == first["id"]
    assert again.json["used_place"] == "Koroglu station, gate 1"
    assert again.json["used_at"].startswith((clock.now() - timedelta(minutes=1)).isoformat()[:16])

    # And the first validator retrying its own scan id gets its first answer back, not a refusal
    retry = api.post("/v1/validators/scans", {"scan_id": "a-1", "payload": payload}, headers=auth(first))
    assert retry.json["accepted"] is True and retry.json["replayed"] is True
    # And the holder sees the ticket used, once
    mine = api.get(f"/v1/me/tickets/{ticket_id}", headers=holder.headers).json
    assert mine["status"] == "used" and mine["use_count"] == 1


@pytest.mark.ddblocal
def test_concurrent_online_scans_admit_a_single_use_ticket_once(concurrent_api, clock, operator, signup):
    # proves: WAL-2
    # Given one ticket and 8 validators scanning it at the same moment
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.services import tickets
    from chalicelib.store import tickets as store

    api = concurrent_api
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    payload = payload_of(api, holder, ticket_id)
    validators = []
    for n in range(8):
        created = register_validator(api, operator, f"Gate {n}")
        found = store.get_validator(created["id"])
        assert found is not None
        validators.append(found)

    # When they all redeem it at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda v: tickets.scan_online(v, "s-1", payload, clock.now()), validators))
    # Then exactly one admits it; every other says it was used
    assert sum(r.accepted for r in results) == 1
    assert all(r.reason == Refusal.ALREADY_USED for r in results if not r.accepted)


def test_scans_on_two_offline_validators_are_both_kept_and_the_double_use_is_flagged_at_upload(
    api, clock, operator, signup
):
    # proves: WAL-2
    # Given a ticket whose QR code two offline validators verify with the published keys alone
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    payload = payload_of(api, holder, ticket_id)
    keys = _keys(api)
    east, west = register_validator(api, operator, "East gate"), register_validator(api, operator, "West gate")
    at_east = clock.now()
    at_west = at_east + timedelta(minutes=3)
    assert verify_payload(payload, keys, at_east).accepted
    assert verify_payload(payload, keys, at_west).accepted  # offline, nothing tells West it was used

    # When East uploads, then West uploads
    scan = {"payload": payload, "accepted": True}
    clock.advance(timedelta(minutes=10))
    east_up = api.post(
        "/v1/validators/scans/batch",
        {"scans": [{**scan, "scan_id": "e-1", "scanned_at": at_east.isoformat()}]},
        headers=auth(east),
    )
    west_up = api.post(
        "/v1/validators/scans/batch",
        {"scans": [{**scan, "scan_id": "w-1", "scanned_at": at_west.isoformat()}]},
        headers=auth(west),
    )
    # Then East's is recorded as the admission and West's is flagged as a double use
    assert east_up.json["results"][0]["status"] == "recorded", east_up.json
    assert west_up.json["results"][0] == {
        "scan_id": "w-1",
        "status": "flagged",
        "reason": "double_use",
        "ticket_id": ticket_id,
    }
    # And uploading West's batch again records nothing twice
    again = api.post(
        "/v1/validators/scans/batch",
        {"scans": [{**scan, "scan_id": "w-1", "scanned_at": at_west.isoformat()}]},
        headers=auth(west),
    )
    assert again.json["results"][0]["status"] == "duplicate"
    # And both scans are kept as usage records, and operators see the flagged ticket
    from chalicelib.store import tickets as store

    assert store.get_usage(holder.user_id, east["id"], "e-1").outcome == "accepted"
    assert store.get_usage(holder.user_id, west["id"], "w-1").outcome == "double_use"
    flags = api.get("/v1/operator/ticket-flags", headers=operator.headers).json["items"]
    assert [(f["ticket_id"], f["flag_reason"], f["used_place"]) for f in flags] == [
        (ticket_id, "double_use", "East gate")
    ]


def test_a_tampered_or_expired_qr_code_is_refused_online_and_offline(api, clock, operator, signup):
    # proves: WAL-2
    # Given a 30-minute ticket and its QR code
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator, minutes=30))
    payload = payload_of(api, holder, ticket_id)
    keys = _keys(api)
    validator = register_validator(api, operator)
    raw = bytearray(__import__("base64").urlsafe_b64decode(payload))

    # When any single byte of it is changed
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        text = __import__("base64").urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode()
        # Then the offline check refuses it
        verdict = verify_payload(text, keys, clock.now())
        assert not verdict.accepted and verdict.refusal in (
            Refusal.BAD_SIGNATURE,
            Refusal.UNKNOWN_KEY,
            Refusal.MALFORMED,
        ), position
    tampered = bytearray(raw)
    tampered[30] ^= 0x80  # inside the product id
    text = __import__("base64").urlsafe_b64encode(bytes(tampered)).rstrip(b"=").decode()
    # And so does the server
    answer = api.post("/v1/validators/scans", {"scan_id": "t-1", "payload": text}, headers=auth(validator))
    assert answer.json == {**answer.json, "accepted": False, "reason": "bad_signature"}

    # When the ticket's window has passed
    clock.advance(timedelta(minutes=31))
    # Then both refuse it as expired
    assert verify_payload(payload, keys, clock.now()).refusal == Refusal.EXPIRED
    late = api.post("/v1/validators/scans", {"scan_id": "t-2", "payload": payload}, headers=auth(validator))
    assert late.json["accepted"] is False and late.json["reason"] == "expired"


def test_a_revoked_ticket_is_refused_by_a_validator_that_has_the_revocation_list(api, clock, operator, signup):
    # proves: WAL-2
    # Given a ticket an offline validator would admit
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    payload = payload_of(api, holder, ticket_id)
    validator = register_validator(api, operator)
    keys = _keys(api)
    assert verify_payload(payload, keys, clock.now()).accepted

    # When an operator revokes it (once: a second revoke is refused)
    revoked = api.post(
        f"/v1/operator/tickets/{ticket_id}/revoke", {"reason": "reported stolen"}, headers=operator.headers
    )
    assert revoked.status == 200 and revoked.json["status"] == "revoked"
    twice = api.post(f"/v1/operator/tickets/{ticket_id}/revoke", {"reason": "again"}, headers=operator.headers)
    assert twice.status == 409
    # And the validator downloads the revocation list a few minutes later
    clock.advance(timedelta(minutes=3))
    listed = api.get("/v1/validators/revocations", headers=auth(validator)).json
    revoked_ids = {entry["ticket_id"] for entry in listed["items"]}
    # Then the ticket is on it, and the validator refuses it offline
    assert revoked_ids == {ticket_id}
    assert verify_payload(payload, keys, clock.now(), revoked_ids).refusal == Refusal.REVOKED
    # And online it is refused too
    online = api.post("/v1/validators/scans", {"scan_id": "r-1", "payload": payload}, headers=auth(validator))
    assert online.json["accepted"] is False and online.json["reason"] == "revoked"
    # And a later download from as_of (a minute back, so nothing committing meanwhile is missed)
    # does not list it again
    clock.advance(timedelta(minutes=5))
    later = api.get(f"/v1/validators/revocations?since={listed['as_of']}", headers=auth(validator)).json
    assert later["items"] == []


def test_validator_routes_need_the_validators_own_credentials(api, clock, operator, signup):
    # Given a registered validator
    validator = register_validator(api, operator)
    scan = {"scan_id": "x", "payload": "A" * 156}
    # When a wrong secret, a customer's session or nothing is sent
    wrong = {"Authorization": f"Validator {validator['id']}:not-the-secret"}
    for headers in (wrong, signup().headers, {}):
        # Then every validator route answers 401
        assert api.post("/v1/validators/scans", scan, headers=headers).status == 401
        assert api.get("/v1/validators/revocations", headers=headers).status == 401
    # And the right one is accepted (a malformed payload is a refusal, not an error)
    answer = api.post("/v1/validators/scans", scan, headers=auth(validator))
    assert answer.status == 200 and answer.json["reason"] == "malformed"
    # And only operators register validators or define products
    customer = signup()
    assert api.post("/v1/operator/validators", {"name": "G", "place": "P"}, headers=customer.headers).status == 403


def test_a_used_ticket_pushes_a_ticket_used_message_to_its_holder(api, clock, operator, signup, notify):
    # proves: NOTE-4
    # Given a holder with a push device and a ticket
    holder = signup()
    device = api.post("/v1/me/devices", {"platform": "fcm", "token": "ab" * 32}, headers=holder.headers)
    assert device.status in (200, 201), device.json
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    validator = register_validator(api, operator, "Sahil station")
    # When it is scanned, the event relayed and the queue drained
    payload = payload_of(api, holder, ticket_id)
    assert api.post("/v1/validators/scans", {"scan_id": "p-1", "payload": payload}, headers=auth(validator)).json[
        "accepted"
    ]
    notify.drain()
    # Then the holder's device got "ticket used" with the place, once
    from chalicelib.store import preferences

    endpoints = [d.endpoint_arn for d in preferences.load(holder.user_id).devices]
    pushed = [p for arn in endpoints for p in notify.outbox.pushes(arn)]
    assert len(pushed) == 1 and "Sahil station" in str(pushed[0]), pushed

    # When the holder turns the category off for push, a second ticket's use pushes nothing
    off = api.put(
        "/v1/me/notification-preferences",
        {"choices": [{"category": "ticket_uses", "channel": "push", "enabled": False}]},
        headers=holder.headers,
    )
    assert off.status == 200, off.json
    second = issue_ticket(holder.user_id, define_product(api, operator))
    api.post(
        "/v1/validators/scans", {"scan_id": "p-2", "payload": payload_of(api, holder, second)}, headers=auth(validator)
    )
    notify.drain()
    assert len([p for arn in endpoints for p in notify.outbox.pushes(arn)]) == 1


def test_a_card_tap_deducts_the_fare_once_per_scan_and_is_a_usage_record(api, clock, operator, signup):
    # proves: RET-8
    # Given a linked card holding 0.60 AZN and a validator charging 0.40
    from chalicelib.services import wallet
    from chalicelib.store import tickets as store
    from chalicelib.store import wallet as ledger

    holder = signup()
    card = wallet.link_card(holder.user_id, "4169 7388 1234 5678", clock.now())
    wallet.credit(wallet.BalanceRef.card(card.balance_id), 60, "kiosk-1", "top_up", clock.now(), {}, means="kiosk_cash")
    validator = register_validator(api, operator, "Bus 5, front door")
    tap = {"scan_id": "tap-1", "card_number": "4169738812345678", "fare_minor": 40}
    # When it is tapped, and the validator retries the same tap
    first = api.post("/v1/validators/taps", tap, headers=auth(validator))
    retry = api.post("/v1/validators/taps", tap, headers=auth(validator))
    # Then the fare is deducted once
    assert first.json["accepted"] is True and first.json["card_last4"] == "5678", first.json
    assert retry.json["accepted"] is True and retry.json["replayed"] is True
    assert ledger.get_balance(card.balance_id).balance_minor == 20
    # And a second tap the balance no longer covers is refused, moving nothing
    second = api.post("/v1/validators/taps", {**tap, "scan_id": "tap-2"}, headers=auth(validator))
    assert second.json == {**second.json, "accepted": False, "reason": "insufficient_funds"}
    assert ledger.get_balance(card.balance_id).balance_minor == 20
    # And both taps are usage records of the card's holder (validator, place, time, card, fare)
    usage = store.get_usage(holder.user_id, validator["id"], "tap-1")
    assert usage is not None and (usage.card_id, usage.fare_minor, usage.scan.place) == (
        card.balance_id,
        40,
        "Bus 5, front door",
    )
    refused = store.get_usage(holder.user_id, validator["id"], "tap-2")
    assert refused is not None and refused.outcome == "refused"
    # And an unknown card is refused
    unknown = api.post(
        "/v1/validators/taps", {**tap, "scan_id": "t3", "card_number": "1" * 16}, headers=auth(validator)
    )
    assert unknown.json["reason"] == "unknown_card"
