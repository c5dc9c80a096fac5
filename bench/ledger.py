"""The ledger's DynamoDB calls per movement (docs/wallet.md), counted with a botocore event
hook (tests/support/dynamo_calls.py: "before-call.dynamodb" on every client the app uses).

For each kind of movement (a top-up credit, a wallet debit, a card fare, a refund, a replay
of a movement id, a refused debit) it runs ``ITERATIONS`` movements through the ledger API and
reports the calls per movement by operation, the items in its TransactWriteItems (a
transactional write costs 2 WCU per item of up to 1 KB) and the mean time per movement.
Target: every movement is at most 1 read + 1 TransactWriteItems (a replay: + 2 reads).

Run: ``python -m bench.ledger`` (moto, in process) or ``python -m bench.ledger --ddblocal``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.sweeps import _backend, _fresh_table

ITERATIONS = 20
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MAX_CALLS = 2  # one GetItem (resolve) + one TransactWriteItems


def _transaction_items() -> Callable[[], list[int]]:
    """Record the item count of every TransactWriteItems (a before-call hook on our client)."""
    from chalicelib.aws_clients import client

    sizes: list[int] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params.get("TransactItems", [])))

    client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems", hook, unique_id="ledger-bench-items"
    )
    return lambda: sizes


def measure() -> list[dict[str, Any]]:
    from chalicelib.domain.wallet import InsufficientFunds
    from chalicelib.services import wallet
    from chalicelib.store import wallet as store
    from tests.support.dynamo_calls import counting

    _fresh_table()
    sizes = _transaction_items()
    wallet.open_wallet("bench-user", NOW)
    ref = wallet.BalanceRef.wallet("bench-user", "AZN")
    store.link_card("bench-user", "b" * 64, "c" * 32, "0000", "AZN", NOW)
    card = wallet.BalanceRef.card("c" * 32)
    wallet.credit(card, 1_000_000, "bench-card-seed", "top_up", NOW, {}, means="kiosk_cash")
    bought: list[Any] = []

    def top_up(i: int) -> None:
        wallet.credit(ref, 1_000, f"pay-{i}", "top_up", NOW, {"payment_id": f"pay-{i}"}, means="card")

    def purchase(i: int) -> None:
        bought.append(wallet.debit(ref, 100, f"bench-user:buy-{i}", "purchase", NOW, {"ticket_id": f"t{i}"}).entry)

    def fare(i: int) -> None:
        wallet.debit(card, 50, f"validator-1:scan-{i}", "fare", NOW, {"scan_id": f"s{i}"})

    def refund(i: int) -> None:
        wallet.credit(ref, 100, f"refund-{i}", "refund", NOW, {}, reverses=bought[i])

    def replay(i: int) -> None:
        assert wallet.credit(ref, 1_000, f"pay-{i}", "top_up", NOW, {}, means="card").replayed

    def refused(i: int) -> None:
        try:
            wallet.debit(ref, 10_000_000, f"bench-user:big-{i}", "purchase", NOW, {})
        except InsufficientFunds:
            return
        raise AssertionError("an overdraft was accepted")

    rows = []
    for name, run in (
        ("top-up (credit)", top_up),
        ("ticket purchase (wallet debit)", purchase),
        ("fare at a validator (card debit)", fare),
        ("refund (reversal)", refund),
        ("replayed movement id", replay),
        ("refused: insufficient funds", refused),
    ):
        before = len(sizes())
        started = time.perf_counter()
        with counting() as calls:
            for i in range(ITERATIONS):
                run(i)
        elapsed = time.perf_counter() - started
        written = sizes()[before:]
        rows.append(
            {
                "movement": name,
                "calls": {op: n / ITERATIONS for op, n in sorted(calls.items())},
                "calls_total": sum(calls.values()) / ITERATIONS,
                "tx_items": (sum(written) / len(written)) if written else 0.0,
                "ms": elapsed / ITERATIONS * 1000,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ddblocal", action="store_true", help="use DynamoDB Local instead of moto")
    args = parser.parse_args(argv)
    backend = "DynamoDB Local" if args.ddblocal else "moto"
    print(f"ledger, {backend}: DynamoDB calls per movement ({ITERATIONS} each; target <= {MAX_CALLS}, replay +2)")
    print(f"{'movement':<34} {'calls':>6} {'tx items':>9} {'WCU':>5} {'ms':>7}  by operation")
    with _backend(args.ddblocal):
        for row in measure():
            by_op = ", ".join(f"{op} {n:g}" for op, n in row["calls"].items())
            wcu = 2 * row["tx_items"]
            print(
                f"{row['movement']:<34} {row['calls_total']:>6.2f} {row['tx_items']:>9.1f} {wcu:>5.0f} "
                f"{row['ms']:>7.2f}  {by_op}"
            )
            limit = MAX_CALLS + (2 if row["movement"].startswith("replayed") else 0)
            assert row["calls_total"] <= limit, f"{row['movement']}: {row['calls_total']} calls per movement"


if __name__ == "__main__":
    main()
