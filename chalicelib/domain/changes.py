"""Partial changes (PATCH): a field left ``UNSET`` is not changed; ``None`` is a value.

A command of changes is a frozen dataclass whose fields default to ``UNSET``::

    @dataclass(frozen=True, kw_only=True)
    class VenueChanges:
        name: str | Unset | None = UNSET

``VenueChanges(name=None)`` asks to clear the name (which a service may refuse);
``VenueChanges()`` changes nothing. ``sent(changes)`` lists the fields that were given.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Final


class Unset(Enum):
    """The type of ``UNSET``: "not given", as distinct from ``None``."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def sent(changes: Any) -> dict[str, Any]:
    """The fields of a dataclass of changes that are not ``UNSET``, by name, in field order."""
    values = {f.name: getattr(changes, f.name) for f in dataclasses.fields(changes)}
    return {name: value for name, value in values.items() if value is not UNSET}
