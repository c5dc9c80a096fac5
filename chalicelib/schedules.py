"""Scheduled functions (EventBridge): booking reminders, and the outbox safety net."""

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
