"""Buying and refunding QR tickets through the ledger (WAL-2): one transaction each, once."""

from __future__ import annotations

import pytest

from tests.integration.tickets.helpers import auth, define_product, register_validator


def _fund(user_id: str, amount: int, now) -> str:
    """The user's AZN wallet, topped up by ``amount`` (the wallet's own credit)."""
    from chalicelib.services import wallet

    opened = wallet.open_wallet(user_id, now, "AZN")
    wallet.credit(wallet.BalanceRef.wallet(user_id, "AZN"), amount, f"test-topup:{user_id}", "top_up", now, {})
    return opened.balance_id


def _balance(balance_id: str) -> int:
    from chalicelib.store import wallet as ledger

    found = ledger.get_balance(balance_id)
    assert found is not None
    return found.balance_minor


def _entries_sum(balance_id: str) -> int:
    from chalicelib.store import wallet as ledger

    return sum(e.amount_minor if e.direction == "credit" else -e.amount_minor for e in ledger.all_entries(balance_id))


@pytest.mark.ddblocal
def test_a_ticket_is_bought_from_the_balance_in_one_transaction_and_a_retry_buys_nothing_more(
    api, clock, operator, signup
):
    # proves: WAL-2
    # Given a wallet holding 1.20 AZN and a 0.50 AZN single ride
    buyer = signup()
    balance_id = _fund(buyer.user_id, 120, clock.now())
    product_id = define_product(api, operator, price=50)
    key = {"Idempotency-Key": "buy-1", **buyer.headers}

    # When the buyer buys it, and the request is retried with the same key
    first = api.post("/v1/me/tickets", {"product_id": product_id}, headers=key)
    retry = api.post("/v1/me/tickets", {"product_id": product_id}, headers=key)
    # Then one ticket exists, both answers name it, and 0.50 was debited once
    assert first.status == 201, first.json
    assert retry.status == 201 and retry.json["id"] == first.json["id"]
    assert retry.header("Idempotent-Replayed") == "true"
    assert [t["id"] for t in api.get("/v1/me/tickets", headers=buyer.headers).json["items"]] == [first.json["id"]]
    assert _balance(balance_id) == 70 == _entries_sum(balance_id)
    # And the answer carries the QR code a validator admits
    validator = register_validator(api, operator)
    scanned = api.post(
        "/v1/validators/scans", {"scan_id": "b-1", "payload": first.json["qr_payload"]}, headers=auth(validator)
    )
    assert scanned.json["accepted"] is True

    # When the buyer buys two more with new keys, the second no longer covered
    second = api.post("/v1/me/tickets", {"product_id": product_id}, headers={**buyer.headers, "Idempotency-Key": "b2"})
    third = api.post("/v1/me/tickets", {"product_id": product_id}, headers={**buyer.headers, "Idempotency-Key": "b3"})
    # Then the first succeeds and the other is a clear 409 with no ticket and no debit
    assert second.status == 201
    assert third.status == 409 and third.json["type"] == "/problems/insufficient-funds", third.json
    assert len(api.get("/v1/me/tickets", headers=buyer.headers).json["items"]) == 2
    assert _balance(balance_id) == 20 == _entries_sum(balance_id)


def test_an_unused_ticket_is_refunded_once_and_goes_on_the_revocation_list(api, clock, operator, signup):
    # proves: WAL-2
    # Given a bought ticket
    buyer = signup()
    balance_id = _fund(buyer.user_id, 100, clock.now())
    product_id = define_product(api, operator, price=60)
    bought = api.post("/v1/me/tickets", {"product_id": product_id}, headers=buyer.headers).json
    assert _balance(balance_id) == 40

    # When the holder refunds it, twice
    refunded = api.post(f"/v1/me/tickets/{bought['id']}/refund", headers=buyer.headers)
    again = api.post(f"/v1/me/tickets/{bought['id']}/refund", headers=buyer.headers)
    # Then the price is back once (a reversal entry), the ticket is refunded and listed as revoked
    assert refunded.status == 200 and refunded.json["status"] == "refunded"
    assert again.status == 409
    assert _balance(balance_id) == 100 == _entries_sum(balance_id)
    validator = register_validator(api, operator)
    listed = api.get("/v1/validators/revocations", headers=auth(validator)).json["items"]
    assert [entry["ticket_id"] for entry in listed] == [bought["id"]]
    # And a validator refuses it
    scan = api.post("/v1/validators/scans", {"scan_id": "r", "payload": bought["qr_payload"]}, headers=auth(validator))
    assert scan.json["reason"] == "revoked"
    # And someone else cannot refund or even see it
    other = signup()
    assert api.post(f"/v1/me/tickets/{bought['id']}/refund", headers=other.headers).status == 404


def test_a_used_ticket_cannot_be_refunded_and_an_operator_revoke_refunds_an_unused_one(api, clock, operator, signup):
    # proves: WAL-2
    # Given two bought tickets, one of them used
    buyer = signup()
    balance_id = _fund(buyer.user_id, 100, clock.now())
    product_id = define_product(api, operator, price=30)
    used = api.post("/v1/me/tickets", {"product_id": product_id}, headers={**buyer.headers, "Idempotency-Key": "1"})
    kept = api.post("/v1/me/tickets", {"product_id": product_id}, headers={**buyer.headers, "Idempotency-Key": "2"})
    validator = register_validator(api, operator)
    api.post("/v1/validators/scans", {"scan_id": "u", "payload": used.json["qr_payload"]}, headers=auth(validator))
    # When the holder tries to refund the used one
    refused = api.post(f"/v1/me/tickets/{used.json['id']}/refund", headers=buyer.headers)
    # Then it is refused and nothing moves
    assert refused.status == 409
    assert _balance(balance_id) == 40
    # When an operator revokes the unused one
    revoked = api.post(
        f"/v1/operator/tickets/{kept.json['id']}/revoke", {"reason": "line closed"}, headers=operator.headers
    )
    # Then it is revoked and its price is back
    assert revoked.status == 200 and revoked.json["status"] == "revoked"
    assert _balance(balance_id) == 70 == _entries_sum(balance_id)
