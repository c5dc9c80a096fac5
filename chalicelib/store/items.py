"""Items of any entity, as the manifest-driven privacy engine sees them (erasure, export, sweep).

The engine treats every entity alike, guided by the privacy manifest, so it cannot name
each model's attributes. It gets a typed generic view instead::

    StoredItem(pk, sk, entity, values)

``values`` holds the attributes present on the item, decoded through the entity's own
model (``db.decoder(model)``: instants are datetimes, numbers ints/floats, maps dicts),
keyed by attribute name. Attributes the model does not declare (or items whose entity has
no model, e.g. test stand-ins) are decoded by their DynamoDB type. ``entity`` is the
stored discriminator value; ``models()`` maps each one to its model class.

Writes go by key, each with an optional condition, through ``db.update_raw`` /
``db.delete_raw`` / ``db.batch_write``: conditions and actions are PynamoDB expressions, so
no attribute-value dict is written by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.store import codec, db
from chalicelib.store.table import TableItem, entity_models

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

# What a required text attribute holds once anonymised.
BLANK_TEXT = "[erased]"


@dataclass(frozen=True)
class StoredItem:
    """One stored item: its key, its entity and its attributes as Python values."""

    pk: str
    sk: str
    entity: str
    values: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.pk, self.sk

    def text(self, name: str) -> str:
        """The attribute as text ("" when absent or not text)."""
        value = self.values.get(name)
        return value if isinstance(value, str) else ""


@cache
def _load_store_models() -> None:
    """Import every store module once, so that every entity's model is registered."""
    import importlib
    import pkgutil

    import chalicelib.store

    for module in pkgutil.iter_modules(chalicelib.store.__path__, "chalicelib.store."):
        importlib.import_module(module.name)


def models() -> dict[str, type[TableItem]]:
    """Every model by the entity name it stores (its discriminator value)."""
    _load_store_models()
    return entity_models()


def model_for(entity: str) -> type[TableItem] | None:
    return models().get(entity)


def json_value(value: Any) -> Any:
    """A decoded value as plain JSON: instants and days as their stored text (the codec),
    sets as sorted lists, Decimals as ints or floats, mapping keys sorted."""
    if isinstance(value, datetime):
        return codec.encode(value)
    if isinstance(value, date):
        return codec.day(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json_value(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def decode(raw: Mapping[str, Any]) -> StoredItem:
    """A raw item (as the low-level client returns it) as a StoredItem."""
    from boto3.dynamodb.types import TypeDeserializer

    pk, sk = db.key_of(raw)
    entity_name = TableItem.entity.attr_name
    stored_entity = raw.get(entity_name)
    entity = str(TableItem.entity.get_value(stored_entity)) if stored_entity else ""
    model = model_for(entity) or TableItem
    by_stored_name = {attribute.attr_name: name for name, attribute in model.get_attributes().items()}
    # The discriminator is ``entity`` itself (an unknown one would not decode as a class).
    attributes = {stored: value for stored, value in raw.items() if stored != entity_name}
    generic = TypeDeserializer()
    try:
        decoded = db.decoder(model)(attributes)
    except (KeyError, ValueError, TypeError):
        decoded = _decode_each(model, attributes)  # some value is not of its model's type
    values: dict[str, Any] = {}
    for stored, value in attributes.items():
        name = by_stored_name.get(stored)
        if name is None or name not in decoded:
            values[name or stored] = _plain(generic.deserialize(value))
        else:
            values[name] = decoded[name]
    return StoredItem(pk, sk, entity, values)


def _decode_each(model: type[TableItem], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The slow path: attribute by attribute, leaving out (for the generic decoding) any
    value that is not of its declared type (e.g. a blanked or hand-written one)."""
    decoded: dict[str, Any] = {}
    for name, attribute in model.get_attributes().items():
        value = attributes.get(attribute.attr_name)
        if value is None or attribute.attr_type not in value:
            continue
        try:
            decoded[name] = attribute.deserialize(attribute.get_value(value))
        except (KeyError, ValueError, TypeError):
            continue
    return decoded


def get(pk: str, sk: str) -> StoredItem | None:
    """One consistent GetItem."""
    raw = db.get_raw(pk, sk)
    return decode(raw) if raw is not None else None


def query(key_condition: Condition, *, index: str | None = None, page_size: int | None = None) -> Iterator[StoredItem]:
    """Every item of a Query (page after page; consistent on the table, not on a GSI)."""
    for raw in db.query_raw_all(key_condition, index=index, limit=page_size, consistent=index is None):
        yield decode(raw)


def _path(name: str) -> Any:
    from pynamodb.expressions.operand import Path

    return Path([name])  # a list: the name is one attribute, dots and all


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return codec.encode(value)
    if isinstance(value, date):
        return codec.day(value)
    return value


def update(
    pk: str,
    sk: str,
    *,
    set_values: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
    condition: Condition | None = None,
) -> bool:
    """SET (instants through the codec) and REMOVE attributes by name, in one UpdateItem
    (``condition`` defaults to "the item exists"). False when the condition fails."""
    actions = [_path(name).set(_stored(value)) for name, value in sorted((set_values or {}).items())]
    actions += [_path(name).remove() for name in sorted(set(remove) - set(set_values or {}))]
    if not actions:
        return True
    try:
        db.update_raw(pk, sk, actions, condition=TableItem.pk.exists() if condition is None else condition)
    except db.ConditionFailed:
        return False
    return True


def delete(pk: str, sk: str, *, condition: Condition | None = None) -> bool:
    """One DeleteItem; False when ``condition`` fails."""
    try:
        db.delete_raw(pk, sk, condition=condition)
    except db.ConditionFailed:
        return False
    return True


def delete_many(keys: Iterable[tuple[str, str]]) -> int:
    """Unconditional deletes by key (BatchWriteItem, 25 per call); returns how many."""
    return db.batch_write(deletes=list(keys))


def blank_for(entity: str, name: str) -> Any | None:
    """A neutral value for a required attribute of the entity's model, of its type; None
    when the attribute may simply be removed (optional, or not declared by a model)."""
    from pynamodb.constants import BOOLEAN, LIST, MAP, NUMBER

    model = model_for(entity)
    attribute = model.get_attributes().get(name) if model else None
    if attribute is None or attribute.null:
        return None
    blanks: dict[str, Any] = {NUMBER: 0, BOOLEAN: False, MAP: {}, LIST: []}
    return blanks.get(attribute.attr_type, BLANK_TEXT)
