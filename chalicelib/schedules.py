"""Scheduled functions (EventBridge): booking reminders, the outbox and audit safety nets,
and the stale-erasure check (RET-1)."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice


def register(app: Chalice) -> None:
    @app.schedule("rate(5 minutes)", name="send_reminders", description="Queue booking reminders that fell due")
    def send_reminders(event: Any) -> dict[str, int]:
        return run_reminders()

    @app.schedule(
        "rate(5 minutes)",
        name="relay_stranded_events",
        description="Relay outbox events the table stream did not deliver",
    )
    def relay_stranded_events(event: Any) -> dict[str, int]:
        return run_stranded_relay()

    @app.schedule(
        "rate(1 hour)",
        name="requeue_stale_erasures",
        description="Re-enqueue erasures still running after 24 hours; count them (RET-1)",
    )
    def requeue_stale_erasures(event: Any) -> dict[str, int]:
        return run_stale_erasures()

    @app.schedule(
        "rate(5 minutes)",
        name="seal_stranded_audit",
        description="Seal audit records the table stream did not deliver",
    )
    def seal_stranded_audit(event: Any) -> dict[str, int]:
        return run_stranded_seal()

    # --- wallet (docs/wallet.md) ---
    @app.schedule(
        "rate(1 hour)",
        name="reconcile_ledger",
        description="Recompute every wallet and card balance from its ledger entries; alarm on a difference",
    )
    def reconcile_ledger(event: Any) -> dict[str, int]:
        return run_ledger_reconciliation()


def run_reminders() -> dict[str, int]:
    from chalicelib import deps
    from chalicelib.notify import reminders

    result = reminders.send_due_reminders(deps.clock().now())
    return {"queued": result.queued, "skipped": result.skipped}


def run_stranded_relay() -> dict[str, int]:
    from chalicelib import deps
    from chalicelib.services import events
    from chalicelib.services.subscribers import SUBSCRIPTIONS

    return {"relayed": events.relay_stranded(deps.clock().now(), SUBSCRIPTIONS)}


STALE_ERASURES_METRIC = "StaleErasures"


def run_stale_erasures() -> dict[str, int]:
    """Erasures not complete 24 h after DELETE /v1/me (RET-1 allows 30 days): each gets its
    next step queued again (a duplicate of a live chain is harmless), and their number is
    the ``StaleErasures`` metric, alarmed on in infra/template.py. One GSI2 Query, no Scan."""
    from aws_lambda_powertools.metrics import MetricUnit

    from chalicelib import deps
    from chalicelib.observability import logger, metrics
    from chalicelib.privacy import erasure, jobs
    from chalicelib.settings import get_settings

    stale = erasure.stale(deps.clock().now())
    for view in stale:
        jobs.enqueue(erasure.job_message(view.request_id))
    metrics.add_dimension(name="stage", value=get_settings().stage)
    metrics.add_metric(name=STALE_ERASURES_METRIC, unit=MetricUnit.Count, value=len(stale))
    metrics.flush_metrics()
    if stale:
        logger.warning("stale erasures re-enqueued", extra={"count": len(stale)})
    return {"requeued": len(stale)}


def run_stranded_seal() -> dict[str, int]:
    from chalicelib import deps
    from chalicelib.privacy import audit

    return {"sealed": audit.seal_stranded(deps.clock().now())}


# --- wallet (docs/wallet.md) ---
LEDGER_DIFFERENCES_METRIC = "LedgerDifferences"


def run_ledger_reconciliation() -> dict[str, int]:
    """Every balance recomputed from its entries (services/wallet.reconcile: GSI2 Queries to
    enumerate balances, no Scan). The number that differ is the ``LedgerDifferences`` metric,
    alarmed on in infra/template.py; each one is logged by balance id (no personal data)."""
    from aws_lambda_powertools.metrics import MetricUnit

    from chalicelib.observability import logger, metrics
    from chalicelib.services import wallet
    from chalicelib.settings import get_settings

    report = wallet.reconcile()
    metrics.add_dimension(name="stage", value=get_settings().stage)
    metrics.add_metric(name=LEDGER_DIFFERENCES_METRIC, unit=MetricUnit.Count, value=len(report.differences))
    metrics.flush_metrics()
    for difference in report.differences:
        logger.error(
            "ledger balance differs from its entries",
            extra={
                "balance_id": difference.balance_id,
                "stored_minor": difference.stored_minor,
                "computed_minor": difference.computed_minor,
            },
        )
    return {"checked": report.checked, "differences": len(report.differences)}
