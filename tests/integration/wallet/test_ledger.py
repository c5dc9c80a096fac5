"""The ledger (WAL-1): every movement an immutable entry committed with its balance, debits
conditioned on the balance, one movement per id, reversals once."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.domain.wallet import AlreadyReversed, InsufficientFunds, MovementReused
from chalicelib.services import wallet
from chalicelib.store import db
from chalicelib.store import wallet as store


def _funded(user_id: str, clock: Any, amount: int) -> wallet.BalanceRef:
    wallet.open_wallet(user_id, clock.now())
    ref = wallet.BalanceRef.wallet(user_id, "AZN")
    wallet.credit(ref, amount, f"seed-{user_id}", "top_up", clock.now(), {}, means="card")
    return ref


def _sum_of_entries(balance_id: str) -> int:
    return sum(e.amount_minor if e.direction == "credit" else -e.amount_minor for e in store.all_entries(balance_id))


def test_opening_a_wallet_is_idempotent(aws, clock):
    # proves: WAL-1
    # Given an account without a wallet
    # When it opens its wallet twice
    first = wallet.open_wallet("u-open", clock.now())
    second = wallet.open_wallet("u-open", clock.now())
    # Then there is one wallet, in the deployment's currency, with a zero balance
    assert first.created and not second.created
    assert first.balance_id == second.balance_id
    assert (second.currency, second.balance_minor) == ("AZN", 0)


@pytest.mark.ddblocal
def test_100_concurrent_debits_of_1_against_10_give_exactly_10(aws, clock):
    # proves: WAL-1
    if aws == "moto":
        pytest.skip("moto applies a transaction without isolation; DynamoDB Local runs this one")
    # Given a wallet holding 10 minor units
    ref = _funded("u-race", clock, 10)
    balance_id = wallet.resolve(ref).balance_id
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # samples the balance while the debits run: never below zero
        while not stop.is_set():
            current = store.get_balance(balance_id)
            assert current is not None
            seen.append(current.balance_minor)

    def pay(i: int) -> str:
        try:
            wallet.debit(ref, 1, f"scan-{i}", "fare", clock.now(), {"scan": str(i)})
        except InsufficientFunds as refused:
            return refused.slug
        return "ok"

    # When 100 debits of 1 unit run at once on 50 threads
    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(pay, range(100)))
    stop.set()
    watcher.join()
    # Then exactly 10 succeed and 90 are refused as insufficient funds (a 409 problem)
    assert outcomes == {"ok": 10, "insufficient-funds": 90}, outcomes
    # And the balance is 0, equal to the sum of its entries: the credit and 10 debits, no more
    final = store.get_balance(balance_id)
    assert final is not None and final.balance_minor == 0
    entries = list(store.all_entries(balance_id))
    assert Counter(e.direction for e in entries) == {"credit": 1, "debit": 10}
    assert _sum_of_entries(balance_id) == 0 and final.entry_count == 11
    assert seen and min(seen) >= 0


def test_a_replayed_movement_answers_the_original_entry_and_moves_nothing(aws, clock):
    # proves: WAL-1
    # Given a funded wallet and one debit under movement id "scan-1"
    ref = _funded("u-replay", clock, 500)
    first = wallet.debit(ref, 120, "scan-1", "fare", clock.now(), {})
    # When the same movement is sent again, then with another amount
    again = wallet.debit(ref, 120, "scan-1", "fare", clock.now(), {})
    with pytest.raises(MovementReused):
        wallet.debit(ref, 121, "scan-1", "fare", clock.now(), {})
    # Then the replay is the original entry, and the balance moved once
    assert again.replayed and again.entry.entry_id == first.entry.entry_id
    balance = store.get_balance(first.entry.balance_id)
    assert balance is not None and balance.balance_minor == 380 == _sum_of_entries(first.entry.balance_id)


def test_a_refund_is_a_reversal_entry_that_happens_once(aws, clock):
    # proves: WAL-1
    # Given a purchase of 300 from a wallet of 500
    ref = _funded("u-refund", clock, 500)
    bought = wallet.debit(ref, 300, "order-1", "purchase", clock.now(), {"ticket_id": "t1"}).entry
    # When it is refunded, then refunded again under another id
    refund = wallet.credit(ref, 300, "refund-1", "refund", clock.now(), {}, reverses=bought).entry
    with pytest.raises(AlreadyReversed):
        wallet.credit(ref, 300, "refund-2", "refund", clock.now(), {}, reverses=bought)
    # Then one reversal entry references the purchase, which is unchanged, and the money is back
    assert refund.reversal_of == bought.entry_id
    stored = store.get_entry(bought.balance_id, bought.sort_key)
    assert stored is not None and stored.amount_minor == 300 and stored.direction == "debit"
    balance = store.get_balance(bought.balance_id)
    assert balance is not None and balance.balance_minor == 500 == _sum_of_entries(bought.balance_id)


def test_debit_in_joins_the_callers_transaction_and_maps_its_cancellation(aws, clock):
    # proves: WAL-1
    # Given a wallet of 50 and a caller's transaction holding a debit of 80
    ref = _funded("u-join", clock, 50)
    tx = db.Transaction()
    wallet.debit_in(tx, balance=ref, amount_minor=80, movement_id="buy-1", kind="purchase", at=clock.now(), details={})
    # When the caller commits it
    with pytest.raises(db.TransactionCancelled) as cancelled:
        tx.commit()
    # Then the cancellation maps to insufficient funds (409) and nothing moved
    error = wallet.cancelled_error(cancelled.value)
    assert isinstance(error, InsufficientFunds) and isinstance(error, errors.Conflict)
    assert error.slug == "insufficient-funds"
    assert _sum_of_entries(wallet.resolve(ref).balance_id) == 50


def test_reconciliation_recomputes_every_balance_and_reports_a_difference(aws, clock, monkeypatch):
    # proves: WAL-1
    from chalicelib import observability, schedules

    # Given three wallets whose balances match their entries
    refs = [_funded(f"u-rec-{i}", clock, 100 * (i + 1)) for i in range(3)]
    wallet.debit(refs[0], 40, "rec-debit", "fare", clock.now(), {})
    assert wallet.reconcile() == wallet.Reconciliation(checked=3, differences=[])
    # When one balance is changed behind the ledger's back (no entry)
    broken = wallet.resolve(refs[1]).balance_id
    db.update_raw(store.balance_pk(broken), store.BALANCE_SK, [store.WalletBalance.balance_minor.add(7)])
    emitted: list[tuple[str, float]] = []
    real_add = observability.metrics.add_metric

    def add_metric(name: str, unit: Any, value: float, **kwargs: Any) -> None:
        emitted.append((name, value))
        real_add(name=name, unit=unit, value=value, **kwargs)

    monkeypatch.setattr(observability.metrics, "add_metric", add_metric)
    # Then the schedule finds exactly that one, and its metric (alarmed on) counts it
    assert schedules.run_ledger_reconciliation() == {"checked": 3, "differences": 1}
    assert emitted == [(schedules.LEDGER_DIFFERENCES_METRIC, 1)]
    assert wallet.reconcile().differences == [wallet.Difference(broken, 207, 200)]
