"""Is the platform able to serve? The table and every queue must answer."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import errors, queues, resources
from chalicelib.store import health as store_health


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    checks: dict[str, str]


def check() -> HealthReport:
    checks: dict[str, str] = {}
    try:
        checks["table"] = store_health.check_table().lower()
    except errors.DependencyUnavailable:
        checks["table"] = "unreachable"
    for spec in resources.QUEUES:
        try:
            checks[f"queue:{spec.logical_name}"] = queues.check_queue(spec.logical_name)
        except errors.DependencyUnavailable:
            checks[f"queue:{spec.logical_name}"] = "unreachable"
    healthy = checks["table"] == "active" and all(
        value == "ok" for key, value in checks.items() if key.startswith("queue:")
    )
    return HealthReport(healthy=healthy, checks=checks)
