"""The privacy manifest (DATA-8), loaded from the TOML files beside this module.

``load()`` parses and validates every file (known categories, legal bases and retention
rules); ``unclassified(models)`` lists the model attributes the manifest does not cover,
which the build treats as a failure. The sweeps and the erasure read retention windows
and the personal flag from here; docs/privacy-notice.md is generated from it.

Every window that decides how long stored data is kept is a named rule in _retention.toml;
code reads it through ``window(name)`` (a timedelta; chalicelib.retention_rules, which the
domain and the store can import too) and never spells a retention duration itself
(tests/unit/privacy/test_retention_source.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.retention_rules import ACTIONS as ACTIONS
from chalicelib.retention_rules import TRIGGERS as TRIGGERS
from chalicelib.retention_rules import ManifestError as ManifestError
from chalicelib.retention_rules import RetentionRule as RetentionRule
from chalicelib.retention_rules import parse_rules
from chalicelib.retention_rules import window as window

DIRECTORY = Path(__file__).parent
BASE = "_base"

CATEGORIES = frozenset(
    {
        "account",
        "registration",
        "booking",
        "business",
        "technical",
        "consent",
        "preference",
        "location",
        "telegram",
        "audit",
        "financial",
        "document",
        "review",
        "correspondence",
        "usage",
    }
)
LEGAL_BASES = frozenset({"contract", "consent", "legal_obligation", "legitimate_interest"})


@dataclass(frozen=True)
class AttributeClass:
    name: str
    category: str
    personal: bool
    purpose: str
    legal_basis: str
    recipients: tuple[str, ...]
    promises: tuple[str, ...] = ()
    identifying: bool = False  # anonymisation removes it (it links the record to a person)


@dataclass(frozen=True)
class EntityManifest:
    entity: str
    description: str
    retention: str
    attributes: dict[str, AttributeClass]
    source: str

    @property
    def personal_attributes(self) -> list[str]:
        return sorted(name for name, attr in self.attributes.items() if attr.personal)

    @property
    def anonymise_attributes(self) -> list[str]:
        """What anonymisation strips: the attributes marked ``identifying``, or, when the
        entity marks none, every personal attribute."""
        marked = sorted(name for name, attr in self.attributes.items() if attr.identifying)
        return marked or self.personal_attributes


@dataclass(frozen=True)
class Manifest:
    entities: dict[str, EntityManifest]
    rules: dict[str, RetentionRule]
    base: EntityManifest
    problems: list[str] = field(default_factory=list)

    def entity(self, name: str) -> EntityManifest:
        try:
            return self.entities[name]
        except KeyError:
            raise ManifestError(f"{name} is not in the privacy manifest") from None

    def rule(self, name: str) -> RetentionRule:
        try:
            return self.rules[name]
        except KeyError:
            raise ManifestError(f"unknown retention rule {name!r}") from None

    def rule_for(self, entity: str) -> RetentionRule:
        return self.rule(self.entity(entity).retention)

    def attribute(self, entity: str, name: str) -> AttributeClass | None:
        if name in self.base.attributes:
            return self.base.attributes[name]
        found = self.entities.get(entity)
        return found.attributes.get(name) if found else None


def _text(data: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: '{key}' must be a non-empty string")
        return ""
    return value


def _strings(data: dict[str, Any], key: str, where: str, problems: list[str], required: bool) -> tuple[str, ...]:
    value = data.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: '{key}' must be a list of strings")
        return ()
    return tuple(value)


def _attribute(name: str, data: dict[str, Any], where: str, problems: list[str]) -> AttributeClass:
    category = _text(data, "category", where, problems)
    if category and category not in CATEGORIES:
        problems.append(f"{where}: unknown category {category!r} (known: {', '.join(sorted(CATEGORIES))})")
    basis = _text(data, "legal_basis", where, problems)
    if basis and basis not in LEGAL_BASES:
        problems.append(f"{where}: unknown legal_basis {basis!r}")
    personal = data.get("personal")
    if not isinstance(personal, bool):
        problems.append(f"{where}: 'personal' must be true or false")
    identifying = data.get("identifying", False)
    if not isinstance(identifying, bool):
        problems.append(f"{where}: 'identifying' must be true or false")
    unknown = set(data) - {"category", "personal", "purpose", "legal_basis", "recipients", "promises", "identifying"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    return AttributeClass(
        name=name,
        category=category,
        personal=bool(personal),
        purpose=_text(data, "purpose", where, problems),
        legal_basis=basis,
        recipients=_strings(data, "recipients", where, problems, required=True),
        promises=_strings(data, "promises", where, problems, required=False),
        identifying=bool(identifying),
    )


def _rules(directory: Path, problems: list[str]) -> dict[str, RetentionRule]:
    return parse_rules((directory / "_retention.toml").read_text(), problems)


def _entity(path: Path, rules: dict[str, RetentionRule], problems: list[str]) -> EntityManifest:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path.name}: not valid TOML ({exc})")
        data = {}
    entity = _text(data, "entity", path.name, problems)
    if entity and entity != path.stem:
        problems.append(f"{path.name}: entity {entity!r} does not match the file name")
    retention = _text(data, "retention", path.name, problems)
    if retention and retention not in rules:
        problems.append(f"{path.name}: unknown retention rule {retention!r}")
    attributes = {
        name: _attribute(name, attr if isinstance(attr, dict) else {}, f"{path.name} [attributes.{name}]", problems)
        for name, attr in data.get("attributes", {}).items()
    }
    return EntityManifest(
        entity=path.stem,
        description=_text(data, "description", path.name, problems),
        retention=retention,
        attributes=attributes,
        source=path.name,
    )


def parse(directory: Path | None = None) -> Manifest:
    """Read every file; collect every problem rather than stopping at the first."""
    directory = directory or DIRECTORY
    problems: list[str] = []
    rules = _rules(directory, problems)
    entities: dict[str, EntityManifest] = {}
    base: EntityManifest | None = None
    for path in sorted(directory.glob("*.toml")):
        if path.name == "_retention.toml":
            continue
        entity = _entity(path, rules, problems)
        if path.stem == BASE:
            base = entity
        else:
            entities[path.stem] = entity
    if base is None:
        raise ManifestError("_base.toml is missing")
    for name, entity in entities.items():
        clash = set(entity.attributes) & set(base.attributes)
        if clash:
            problems.append(f"{name}.toml re-classifies base attributes {sorted(clash)}")
    return Manifest(entities=entities, rules=rules, base=base, problems=problems)


@cache
def load() -> Manifest:
    """The validated manifest (cached per process); raises on any problem."""
    manifest = parse()
    if manifest.problems:
        raise ManifestError("privacy manifest problems:\n- " + "\n- ".join(manifest.problems))
    return manifest


def unclassified(models: list[type[Any]], manifest: Manifest) -> list[str]:
    """Every ``Class.attribute`` of the given PynamoDB models that the manifest misses."""
    missing = []
    for model in models:
        entity = manifest.entities.get(model.__name__)
        for name in sorted(model.get_attributes()):
            if name in manifest.base.attributes:
                continue
            if entity is None or name not in entity.attributes:
                missing.append(f"{model.__name__}.{name}")
    return missing
