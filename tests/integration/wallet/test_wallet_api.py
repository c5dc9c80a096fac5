"""The wallet over HTTP (WAL-1): the e-wallet, transit cards, entries, top-ups by signed
webhook, operator adjustments, and the pushes for them (NOTE-4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.wallet.helpers import CARD_NUMBER, deliver, payment


def _balance(api, user) -> int:
    return int(api.get("/v1/me/wallet", headers=user.headers).json["balance_minor"])


def _top_up(api, user, clock, amount: int, **target: str):
    started = api.post("/v1/me/wallet/top-ups", {"amount_minor": amount, **target}, headers=user.headers)
    assert started.status == 201, started.body
    intent = started.json
    body = payment(f"pay-{intent['intent_id']}", amount, {"intent_id": intent["intent_id"]}, clock.now())
    return intent, body


def test_a_wallet_opens_on_first_use_in_the_deployment_currency(api, signup):
    # proves: WAL-1
    # Given a new account
    user = signup()
    # When it reads its wallet twice
    first = api.get("/v1/me/wallet", headers=user.headers)
    second = api.get("/v1/me/wallet", headers=user.headers)
    # Then it has one AZN wallet (2 minor digits) with nothing on it
    assert first.status == 200 and first.json == second.json
    assert (first.json["currency"], first.json["minor_digits"], first.json["balance_minor"]) == ("AZN", 2, 0)


def test_a_webhook_delivered_5_times_credits_once(api, signup, clock):
    # proves: WAL-1
    # Given a user who started a top-up of 5.00 AZN
    user = signup()
    intent, body = _top_up(api, user, clock, 500)
    assert intent["payment_url"].startswith("http://") and intent["intent_id"] in intent["payment_url"]
    # When the provider delivers its signed webhook 5 times (each delivery signed anew)
    answers = [deliver(api, body, clock.now()) for _ in range(5)]
    # Then the first credits and the other four answer the same entry as replays
    assert [a.status for a in answers] == [200] * 5
    assert len({a.json["entry_id"] for a in answers}) == 1
    assert [a.json["replayed"] for a in answers] == [False, True, True, True, True]
    # And the wallet holds 5.00 once, with one top-up entry recording amount, time and means
    assert _balance(api, user) == 500
    entries = api.get("/v1/me/wallet/entries", headers=user.headers).json["items"]
    assert [(e["kind"], e["direction"], e["amount_minor"], e["means"]) for e in entries] == [
        ("top_up", "credit", 500, "card")
    ]
    assert entries[0]["details"]["payment_id"] == body["data"]["payment_id"]
    # And the same payment id with another amount is a 409, crediting nothing
    body["data"]["amount_minor"] = 400
    reused = deliver(api, body, clock.now())
    assert reused.status in (409, 422) and _balance(api, user) == 500


@pytest.mark.parametrize("attack", ["forged", "wrong_key", "stale", "future", "unsigned"])
def test_a_forged_wrongly_keyed_or_stale_webhook_is_refused_and_credits_nothing(api, signup, clock, attack):
    # proves: WAL-1
    # Given a pending top-up
    user = signup()
    _, body = _top_up(api, user, clock, 700)
    # When a webhook arrives forged (body changed after signing), signed with another key,
    # signed 6 minutes ago or 6 minutes ahead, or with no signature at all
    if attack == "forged":
        answer = deliver(api, body, clock.now(), tamper=True)
    elif attack == "wrong_key":
        answer = deliver(api, body, clock.now(), secret="whsec_" + "QUJD" * 8)
    elif attack == "stale":
        answer = deliver(api, body, clock.now() - timedelta(minutes=6))
    elif attack == "future":
        answer = deliver(api, body, clock.now() + timedelta(minutes=6))
    else:
        answer = api.post("/v1/payments/webhook", body)
    # Then it is a 401 problem and nothing is credited
    assert answer.status == 401, answer.body
    assert answer.json["type"] == "/problems/webhook-signature-invalid"
    assert _balance(api, user) == 0
    assert api.get("/v1/me/wallet/entries", headers=user.headers).json["items"] == []
    # And a webhook signed 4 minutes ago is still accepted
    assert deliver(api, body, clock.now() - timedelta(minutes=4)).status == 200
    assert _balance(api, user) == 700


def test_cards_link_once_per_account_keep_their_own_balance_and_unlink_only_when_empty(api, signup, clock):
    # proves: WAL-1
    # Given two accounts
    ada, bob = signup(name="Ada"), signup(name="Bob")
    # When Ada links a card (typed with spaces), twice, and Bob tries the same card
    linked = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=ada.headers)
    again = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=ada.headers)
    taken = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=bob.headers)
    # Then Ada holds it once, shown by its last 4 digits, and Bob gets a 409
    assert linked.status == 201 and again.json["card_id"] == linked.json["card_id"]
    assert linked.json["last4"] == CARD_NUMBER[-4:]
    assert taken.status == 409 and taken.json["type"] == "/problems/card-already-linked"
    card_id = linked.json["card_id"]
    assert [c["card_id"] for c in api.get("/v1/me/cards", headers=ada.headers).json["items"]] == [card_id]
    assert api.get("/v1/me/cards", headers=bob.headers).json["items"] == []
    # And a malformed number is a 422 naming the field
    bad = api.post("/v1/me/cards", {"card_number": "1234"}, headers=ada.headers)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "body.card_number"
    # When a kiosk tops the card up with cash (the same webhook, means kiosk_cash)
    kiosk = payment("kiosk-1", 300, {"card_number": CARD_NUMBER}, clock.now(), means="kiosk_cash")
    assert deliver(api, kiosk, clock.now()).status == 200
    # Then the card holds it, not the wallet, and its entries say how it was paid
    [card] = api.get("/v1/me/cards", headers=ada.headers).json["items"]
    assert card["balance_minor"] == 300 and _balance(api, ada) == 0
    entries = api.get(f"/v1/me/wallet/entries?card_id={card_id}", headers=ada.headers).json["items"]
    assert [(e["kind"], e["means"]) for e in entries] == [("top_up", "kiosk_cash")]
    assert api.get(f"/v1/me/wallet/entries?card_id={card_id}", headers=bob.headers).status == 404
    # And unlinking is refused while money is on it, and Bob cannot unlink it at all
    refused = api.delete(f"/v1/me/cards/{card_id}", headers=ada.headers)
    assert refused.status == 409 and refused.json["type"] == "/problems/card-balance-not-zero"
    assert api.delete(f"/v1/me/cards/{card_id}", headers=bob.headers).status == 404
    # When the card's money is spent (a fare), it unlinks, and Bob may link it then
    from chalicelib.services import wallet

    wallet.debit(wallet.BalanceRef.card(card_id), 300, "validator-1:scan-1", "fare", clock.now(), {"scan": "1"})
    assert api.delete(f"/v1/me/cards/{card_id}", headers=ada.headers).status == 204
    assert api.get("/v1/me/cards", headers=ada.headers).json["items"] == []
    assert api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=bob.headers).status == 201


def test_a_card_link_and_unlink_are_audited_with_the_change_and_a_refusal_leaves_none(api, signup):
    # proves: SEC-6
    from chalicelib.privacy import audit
    from chalicelib.store.audit import list_records

    def card_records() -> list[tuple[str, str, str]]:
        return sorted(
            (r.action, r.actor, r.target_id) for r in list_records(audit.PLATFORM) if r.target_entity == "TransitCard"
        )

    # Given Ada links a card and Bob tries the same one
    ada, bob = signup(name="Ada"), signup(name="Bob")
    card_id = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=ada.headers).json["card_id"]
    assert api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=bob.headers).status == 409
    # When Ada unlinks it
    assert api.delete(f"/v1/me/cards/{card_id}", headers=ada.headers).status == 204
    # Then exactly her two changes are in the audit log; Bob's refused link left nothing
    assert card_records() == [("card.linked", ada.user_id, card_id), ("card.unlinked", ada.user_id, card_id)]


def test_the_card_number_is_never_at_rest(api, signup, aws):
    # proves: WAL-1
    # Given a linked card
    user = signup()
    assert api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=user.headers).status == 201
    # Then no item of the table holds the full number (only a keyed hash and the last 4)
    from chalicelib.aws_clients import client
    from chalicelib.settings import get_settings

    items = client("dynamodb").scan(TableName=get_settings().resolved_table_name())["Items"]
    assert items and CARD_NUMBER not in str(items)
    assert CARD_NUMBER[-4:] in str(items)


def test_entries_page_newest_first_with_a_cursor(api, signup, clock):
    # proves: WAL-1
    # Given a wallet with three top-ups a minute apart
    user = signup()
    for amount in (100, 200, 300):
        _, body = _top_up(api, user, clock, amount)
        assert deliver(api, body, clock.now()).status == 200
        clock.advance(timedelta(minutes=1))
    # When the entries are read two at a time
    first = api.get("/v1/me/wallet/entries?limit=2", headers=user.headers).json
    second = api.get(f"/v1/me/wallet/entries?limit=2&cursor={first['next_cursor']}", headers=user.headers).json
    # Then they come newest first across both pages
    assert [e["amount_minor"] for e in first["items"] + second["items"]] == [300, 200, 100]


def test_operator_adjustments_are_audited_and_idempotent(api, signup, operator, clock):
    # proves: SEC-6
    # Given a customer's wallet and an operator
    user = signup()
    wallet_id = api.get("/v1/me/wallet", headers=user.headers).json["wallet_id"]
    body = {"direction": "credit", "amount_minor": 250, "movement_id": "ticket-4711", "reason": "Goodwill refund"}
    # When the operator credits it twice with the same movement id, and a customer tries too
    url = f"/v1/operator/wallets/{wallet_id}/adjustments"
    first = api.post(url, body, headers=operator.headers)
    second = api.post(url, body, headers=operator.headers)
    assert api.post(url, body, headers=user.headers).status == 403
    # Then it is credited once
    assert first.status == 201 and first.json["balance_minor"] == 250 and not first.json["replayed"]
    assert second.json["replayed"] and second.json["entry"]["entry_id"] == first.json["entry"]["entry_id"]
    assert _balance(api, user) == 250
    # And a debit beyond the balance is refused as insufficient funds
    overdraw = {**body, "direction": "debit", "amount_minor": 251, "movement_id": "x"}
    over = api.post(url, overdraw, headers=operator.headers)
    assert over.status == 409 and over.json["type"] == "/problems/insufficient-funds"
    # And the credit has its audit record, naming the operator and the balance
    from chalicelib.privacy import audit
    from chalicelib.store.audit import list_records

    records = [r for r in list_records(audit.PLATFORM) if r.action == "wallet.adjusted.credit"]
    assert [(r.actor, r.target_id) for r in records] == [(operator.user_id, wallet_id)]


def test_top_up_and_payment_pushes_each_have_their_category(api, signup, clock, notify):
    # proves: NOTE-4
    # Given a user with a push device who turned off payment pushes by push only
    user = signup()
    assert api.post("/v1/me/devices", {"platform": "fcm", "token": "f" * 40}, headers=user.headers).status == 201
    off = {"choices": [{"category": "wallet_payments", "channel": "push", "enabled": False}]}
    assert api.put("/v1/me/notification-preferences", off, headers=user.headers).status == 200
    # When a top-up is credited (delivered twice) and a payment is made
    _, body = _top_up(api, user, clock, 500)
    deliver(api, body, clock.now())
    deliver(api, body, clock.now())
    from chalicelib.services import wallet

    ref = wallet.BalanceRef.wallet(user.user_id, "AZN")
    wallet.debit(ref, 150, f"{user.user_id}:buy-1", "purchase", clock.now(), {})
    notify.drain()
    # Then the top-up push arrives once, saying the amount, and the payment push does not
    from chalicelib.store import preferences as profiles

    [device] = profiles.load(user.user_id).devices
    pushes = notify.outbox.pushes(device.endpoint_arn)
    assert len(pushes) == 1 and "5.00 AZN" in str(pushes[0]) and "Top-up credited" in str(pushes[0])
    # And the payment went out on the other channels its category allows (SMS here)
    assert any("1.50 AZN" in text for _, text in notify.outbox.sms())
