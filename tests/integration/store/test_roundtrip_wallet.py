"""Round trips through the wallet store (WAL-1): values -> store write -> read back -> equal,
at the extremes (instants in years 1, 0837 and late 99xx; zero and large amounts; empty and
full details). On moto and on DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.store import db
from chalicelib.store import wallet as store

# The entities these round trips write and read back (test_every_stored_entity_has_a_round_trip_test).
COVERS = (
    "WalletBalance",
    "WalletPointer",
    "LedgerEntry",
    "LedgerMovement",
    "LedgerReversal",
    "CardClaim",
    "TopUpIntent",
)

# Entries carry a 5-year deadline: the last instant leaves room for it before year 9999 ends.
INSTANTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC),
    datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    datetime(9990, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: str(at.year))
def test_wallet_entries_and_movements_round_trip(aws, at):
    # Given a wallet opened at an extreme instant
    balance_id, created = store.open_wallet("u-rt", "AZN", f"b{at.year}", at)
    assert created and store.wallet_balance_id("u-rt", "AZN") == balance_id
    # When a large credit with full details, then a debit reversed in full, are committed
    details = {"payment_id": "p" * 200, "ticket": "ü" * 50}
    for direction, amount, movement in (("credit", 9_999_999, "m1"), ("debit", 1, "m2")):
        tx = db.Transaction()
        entry = store.add_movement(
            tx,
            store.NewEntry(balance_id, f"e-{movement}", direction, "top_up", amount, "AZN", at, "top_up", movement,
                           means="kiosk_cash" if direction == "credit" else None,
                           details=details if direction == "credit" else {}),
        )  # fmt: skip
        tx.commit()
    tx = db.Transaction()
    reversal = store.add_movement(
        tx, store.NewEntry(balance_id, "e-m3", "credit", "refund", 1, "AZN", at, "refund", "m3", reversal_of=entry)
    )
    tx.commit()
    # Then every value reads back as written
    balance = store.get_balance(balance_id)
    assert balance is not None
    assert (balance.balance_minor, balance.entry_count, balance.opened_at) == (9_999_999, 3, at)
    read = {e.entry_id: e for e in store.all_entries(balance_id)}
    assert read["e-m1"].details == details and read["e-m1"].means == "kiosk_cash" and read["e-m1"].at == at
    assert read["e-m2"] == entry and read["e-m3"] == reversal and reversal.reversal_of == "e-m2"
    movement = store.get_movement("top_up", "m1")
    assert movement is not None and (movement.amount_minor, movement.entry_id, movement.at) == (9_999_999, "e-m1", at)


def test_card_claim_and_top_up_intent_round_trip(aws):
    at = INSTANTS[1]
    # Given a linked card and a pending top-up intent for it
    store.link_card("u-card", "h" * 64, "card1", "0042", "AZN", at)
    intent = store.Intent("i1", "u-card", "card1", "card", 10_000_000, "AZN", "pending", at, None)
    store.put_intent(intent)
    # Then both read back, the card's balance with its last 4 digits only
    assert store.card_claim("h" * 64) == ("card1", "u-card")
    assert store.claim_hash_of("u-card", "card1") == "h" * 64
    (card,) = store.cards_of("u-card")
    assert (card.balance_id, card.card_last4, card.kind, card.opened_at) == ("card1", "0042", "card", at)
    assert store.get_intent("i1") == intent
