"""Scheduled functions (EventBridge): booking reminders, and the outbox and audit safety nets."""

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
        "rate(5 minutes)",
        name="seal_stranded_audit",
        description="Seal audit records the table stream did not deliver",
    )
    def seal_stranded_audit(event: Any) -> dict[str, int]:
        return run_stranded_seal()


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


def run_stranded_seal() -> dict[str, int]:
    from chalicelib import deps
    from chalicelib.privacy import audit

    return {"sealed": audit.seal_stranded(deps.clock().now())}
