"""Scheduled functions (EventBridge): booking reminders every five minutes."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice


def register(app: Chalice) -> None:
    @app.schedule("rate(5 minutes)", name="send_reminders", description="Queue booking reminders that fell due")
    def send_reminders(event: Any) -> dict[str, int]:
        return run_reminders()


def run_reminders() -> dict[str, int]:
    from chalicelib import deps
    from chalicelib.notify import reminders

    result = reminders.send_due_reminders(deps.clock().now())
    return {"queued": result.queued, "skipped": result.skipped}
