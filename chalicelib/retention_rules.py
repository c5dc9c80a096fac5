"""The named retention windows, readable from every layer: the one accessor is ``window(name)``.

The rules live in the privacy manifest (chalicelib/privacy/manifest/_retention.toml), which
owns them and generates docs/privacy-notice.md from them. This module only parses and
validates that one file, and sits beside settings and resources at the bottom of the
package, so the domain and the store derive their retention constants from the manifest
without importing chalicelib.privacy (which sits above them). Parsing happens on first use
(tomllib stays off the cold-start path of app.py) and is cached per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).parent / "privacy" / "manifest" / "_retention.toml"

TRIGGERS = frozenset(
    {
        "item",
        "created",
        "updated",
        "expired",
        "due",
        "covered_day",
        "account_deleted",
        "account_deactivated",
        "request_closed",
        "booking_started",
        "booking_ended",
    }
)
ACTIONS = frozenset({"delete", "anonymise", "archive"})
UNITS = ("days", "hours")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class RetentionRule:
    name: str
    description: str
    trigger: str
    days: int = 0
    hours: int = 0
    promises: tuple[str, ...] = ()
    action: str = "delete"

    @property
    def window(self) -> timedelta:
        """How long after the trigger an item under this rule is due."""
        return timedelta(days=self.days, hours=self.hours)


def _text(data: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: '{key}' must be a non-empty string")
        return ""
    return value


def _promises(data: dict[str, Any], where: str, problems: list[str]) -> tuple[str, ...]:
    value = data.get("promises")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: 'promises' must be a list of strings")
        return ()
    return tuple(value)


def _span(rule: dict[str, Any], where: str, problems: list[str]) -> dict[str, int]:
    """Exactly one of ``days`` / ``hours``, a whole number >= 0."""
    given = [unit for unit in UNITS if unit in rule]
    if len(given) != 1:
        problems.append(f"{where}: give exactly one of 'days' or 'hours'")
        return {}
    value = rule[given[0]]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        problems.append(f"{where}: '{given[0]}' must be a whole number >= 0")
        return {}
    return {given[0]: value}


def parse_rules(text: str, problems: list[str]) -> dict[str, RetentionRule]:
    """Every ``[rules.<name>]`` of a _retention.toml text; problems are collected, not raised."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"_retention.toml: not valid TOML ({exc})")
        return {}
    rules = {}
    for name, rule in data.get("rules", {}).items():
        where = f"_retention.toml [rules.{name}]"
        unknown = set(rule) - {"description", "trigger", "days", "hours", "promises", "action"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        trigger = _text(rule, "trigger", where, problems)
        if trigger and trigger not in TRIGGERS:
            problems.append(f"{where}: unknown trigger {trigger!r}")
        action = rule.get("action", "delete")
        if action not in ACTIONS:
            problems.append(f"{where}: unknown action {action!r} (known: {', '.join(sorted(ACTIONS))})")
        rules[name] = RetentionRule(
            name=name,
            description=_text(rule, "description", where, problems),
            trigger=trigger,
            promises=_promises(rule, where, problems),
            action=action,
            **_span(rule, where, problems),
        )
    return rules


@cache
def rules() -> dict[str, RetentionRule]:
    """The validated rules of the committed manifest (cached); raises on any problem."""
    problems: list[str] = []
    parsed = parse_rules(RULES_FILE.read_text(), problems)
    if problems:
        raise ManifestError("retention rule problems:\n- " + "\n- ".join(problems))
    return parsed


def rule(name: str) -> RetentionRule:
    try:
        return rules()[name]
    except KeyError:
        raise ManifestError(f"unknown retention rule {name!r}") from None


def window(name: str) -> timedelta:
    """How long data under the named rule is kept after its trigger, e.g. ``window("idempotency")``."""
    return rule(name).window
