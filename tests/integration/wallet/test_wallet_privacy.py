"""Money and privacy (RET-4): financial entries outlive the account without its person, for
5 years, then go; the user's export holds their balances and entries."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.aws_clients import client
from chalicelib.privacy import export_document, sweeps
from chalicelib.services import wallet
from chalicelib.settings import get_settings
from chalicelib.store import wallet as store
from tests.integration.wallet.helpers import CARD_NUMBER, deliver, payment
from tests.support.fixtures_privacy import run_jobs

WALLET_ENTITIES = {
    "WalletBalance",
    "LedgerEntry",
    "LedgerMovement",
    "LedgerReversal",
    "TopUpIntent",
    "CardClaim",
    "WalletPointer",
}


def _wallet_items() -> list[dict]:
    items = client("dynamodb").scan(TableName=get_settings().resolved_table_name())["Items"]
    return [item for item in items if item["entity"]["S"] in WALLET_ENTITIES]


def _money(api, user, clock) -> tuple[str, str]:
    """A wallet top-up (5.00, by card), a linked card topped up at a kiosk (3.00) and a fare (1.00)."""
    started = api.post("/v1/me/wallet/top-ups", {"amount_minor": 500}, headers=user.headers).json
    assert (
        deliver(api, payment("pay-1", 500, {"intent_id": started["intent_id"]}, clock.now()), clock.now()).status == 200
    )
    card_id = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=user.headers).json["card_id"]
    kiosk = payment("kiosk-1", 300, {"card_number": CARD_NUMBER}, clock.now(), means="kiosk_cash")
    assert deliver(api, kiosk, clock.now()).status == 200
    wallet.debit(wallet.BalanceRef.card(card_id), 100, "validator-7:scan-1", "fare", clock.now(), {"scan": "s1"})
    wallet_id = api.get("/v1/me/wallet", headers=user.headers).json["wallet_id"]
    return wallet_id, card_id


def test_financial_entries_survive_erasure_without_the_person_and_go_after_5_years(api, signup, clock, buckets):
    # proves: RET-4
    # Given a customer with a wallet and a card, a top-up, a kiosk cash top-up and a fare
    person = signup(name="Zebulon Quartermain")
    phone = api.get("/v1/me", headers=person.headers).json["phone"]
    wallet_id, card_id = _money(api, person, clock)
    # When the account is deleted and its erasure job runs
    assert api.delete("/v1/me", headers=person.headers).status == 202
    run_jobs()
    # Then the three entries are still there, with amount, currency, time, means and kind
    entries = {e.kind: e for b in (wallet_id, card_id) for e in store.all_entries(b)}
    assert set(entries) == {"top_up", "fare"} and len(list(store.all_entries(card_id))) == 2
    assert (entries["fare"].amount_minor, entries["fare"].currency) == (100, "AZN")
    assert {e.means for e in store.all_entries(card_id)} == {"kiosk_cash", None}
    # And no wallet item holds the person's id, name, phone, card number or its last digits
    text = str(_wallet_items())
    for secret in (person.user_id, "Zebulon", phone, CARD_NUMBER, CARD_NUMBER[-4:]):
        assert secret not in text, secret
    # And the money stays on pseudonymous balances (reconciled like any other)
    card = store.get_balance(card_id)
    assert card is not None and card.balance_minor == 200 and card.owner_user_id is None
    assert wallet.reconcile().differences == []
    # When the sweep runs one day before the 5 years are up, nothing financial goes
    five_years = store.FINANCIAL
    sweeps.run(clock.now() + five_years - timedelta(days=1))
    assert len(list(store.all_entries(card_id))) == 2
    # And when it runs a day after, the entries and the rest of the wallet's items are gone
    sweeps.run(clock.now() + five_years + timedelta(days=1))
    assert list(store.all_entries(card_id)) == [] and list(store.all_entries(wallet_id)) == []
    assert _wallet_items() == []


def test_the_export_holds_my_balances_and_entries(api, signup, clock):
    # proves: RET-4
    # Given a customer with a wallet top-up, a card, a kiosk top-up and a fare
    person = signup()
    wallet_id, card_id = _money(api, person, clock)
    # When the export document is built
    document = export_document.build(person.user_id, clock.now())
    # Then it lists both balances and the three entries (never the card number)
    records = document["records"]
    assert sorted(b["balance_id"] for b in records["WalletBalance"]) == sorted([wallet_id, card_id])
    assert sorted((e["kind"], e["amount_minor"]) for e in records["LedgerEntry"]) == [
        ("fare", 100),
        ("top_up", 300),
        ("top_up", 500),
    ]
    assert CARD_NUMBER not in str(document)
