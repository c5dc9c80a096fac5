"""The store's one way to reach DynamoDB: reads, conditional writes, transactions, errors.

Every store module goes through these helpers; none catches SDK exceptions, builds a
connection or writes attribute-value dicts by hand (docs/architecture.md, "Store helpers").

- Items are PynamoDB models (chalicelib/store/table.py); instants use store/codec.py.
- ``get`` / ``put`` / ``update`` / ``delete``: one item, through PynamoDB. A failed
  condition raises ``ConditionFailed``; throttling, timeouts and DynamoDB's own faults
  raise ``errors.DependencyUnavailable``; anything else is a bug and propagates.
- ``Transaction``: writes from any module (each tagged with a *role*) committed as one
  TransactWriteItems. A cancellation raises ``TransactionCancelled`` naming the roles whose
  condition failed, so the caller can tell "slot taken" from "discount used up".
- Hot paths (availability over thousands of bookings, booking reads) use the low-level
  client through ``get_raw`` / ``batch_get_raw`` / ``query_raw`` and ``decoder``: keys,
  conditions and projections still come from the models and PynamoDB's expression
  builder, and ``decoder(Model)`` turns a raw item into the model's Python values without
  building a model instance.
- Generic writes by key, for code that handles items of any entity (the privacy engine's
  erasure and retention sweep, which also meet items whose model is not loaded) or needs
  what the write returned: ``update_raw`` / ``delete_raw`` (actions and conditions are
  PynamoDB expressions, e.g. ``TableItem.exp_sk == x`` or ``Path("notes").remove()``;
  ``update_raw`` can return the raw old/new item, and with ``old_on_failure`` the
  ``ConditionFailed`` carries the item as it was in ``.item``), and ``batch_write``
  (BatchWriteItem puts of models and deletes by key, 25 per call, unprocessed retried).

The client is ``chalicelib.aws_clients.client("dynamodb")`` and PynamoDB's connection is
configured from the same ``aws_clients.dynamodb_config()`` (endpoint, retries, timeouts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib import errors
from chalicelib.aws_clients import client as _client
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from chalicelib.store.table import TableItem

M = TypeVar("M", bound="TableItem")

# Error codes that mean "DynamoDB is not answering properly now", not "your request is wrong".
_UNAVAILABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
_CONDITION_FAILED = "ConditionalCheckFailedException"


class ConditionFailed(Exception):
    """A single write's condition did not hold (the item was not as expected).

    ``item`` is the raw item as it was, when the write asked for it (``old_on_failure``)
    and the database sent it; None otherwise."""

    def __init__(self, message: str = "", item: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.item = item


class TransactionCancelled(Exception):
    """A transaction did not commit. ``failed`` holds the roles whose condition failed;
    ``conflict`` is set when another transaction touched an item at the same time (or the
    database did not say why): re-reading and retrying may succeed."""

    def __init__(self, failed: frozenset[str], conflict: bool) -> None:
        super().__init__(f"transaction cancelled: failed={sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict


def client() -> Any:
    return _client("dynamodb")


def table_name() -> str:
    return get_settings().resolved_table_name()


# --- SDK errors -> store/domain errors ----------------------------------------------------------


def _code(exc: BaseException) -> str | None:
    """The DynamoDB error code behind a botocore or PynamoDB exception, if any."""
    from botocore.exceptions import ClientError

    for seen in _chain(exc):
        if isinstance(seen, ClientError):
            return str(seen.response.get("Error", {}).get("Code"))
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it (PynamoDB keeps the botocore error in ``.cause``)."""
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = getattr(seen, "cause", None) or seen.__cause__


def _old_item(exc: BaseException) -> dict[str, Any] | None:
    """The item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    from botocore.exceptions import ClientError

    for seen in _chain(exc):
        if isinstance(seen, ClientError):
            item: Any = seen.response.get("Item")
            return dict(item) if item else None
    return None


def _translate(exc: Exception) -> Exception | None:
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    code = _code(exc)
    if code == _CONDITION_FAILED:
        return ConditionFailed(str(exc), _old_item(exc))
    if code in _UNAVAILABLE:
        return errors.DependencyUnavailable("The database is busy; try again")
    if any(isinstance(cause, BotoConnectionError | HTTPClientError) for cause in _chain(exc)):
        return errors.DependencyUnavailable("The database is not reachable")
    return None


@contextmanager
def sdk_errors() -> Iterator[None]:
    """Run SDK calls, turning their errors into ConditionFailed / DependencyUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    try:
        yield
    except (ClientError, BotoCoreError, PynamoDBException) as exc:
        mapped = _translate(exc)
        if mapped is None:
            raise
        raise mapped from exc


# --- one item, through the models -----------------------------------------------------------------


def get(model: type[M], hash_key: str, range_key: str, *, consistent: bool = True) -> M | None:
    """One GetItem; None when absent."""
    with sdk_errors():
        try:
            return model.get(hash_key, range_key, consistent_read=consistent)
        except model.DoesNotExist:
            return None


def put(item: TableItem, *, condition: Condition | None = None) -> None:
    """One PutItem (ConditionFailed when ``condition`` does not hold)."""
    with sdk_errors():
        item.save(condition=condition, add_version_condition=False)


def update(item: TableItem, actions: Sequence[Action], *, condition: Condition | None = None) -> None:
    """One UpdateItem on ``item``'s key; ``item`` is refreshed with the new values (ALL_NEW)."""
    with sdk_errors():
        item.update(actions=list(actions), condition=condition, add_version_condition=False)


def delete(item: TableItem, *, condition: Condition | None = None) -> None:
    """One DeleteItem (ConditionFailed when ``condition`` does not hold)."""
    with sdk_errors():
        item.delete(condition=condition, add_version_condition=False)


def query(
    model: type[M],
    hash_key: str,
    range_key_condition: Condition | None = None,
    *,
    index: str | None = None,
    filter_condition: Condition | None = None,
    limit: int | None = None,
    ascending: bool = True,
    consistent: bool = False,
    start_key: dict[str, Any] | None = None,
    page_size: int | None = None,
) -> Iterator[M]:
    """Query the table (or a GSI, by name) for ``model`` items; yields model instances."""
    with sdk_errors():
        if index is None:
            source: Any = model
        else:
            source = getattr(model, _INDEX_ATTRIBUTE[index])
        yield from source.query(
            hash_key,
            range_key_condition,
            filter_condition=filter_condition,
            limit=limit,
            scan_index_forward=ascending,
            consistent_read=consistent,
            last_evaluated_key=start_key,
            page_size=page_size,
        )


_INDEX_ATTRIBUTE = {"GSI1": "gsi1", "GSI2": "gsi2", "GSI3": "gsi3", "ByExpiry": "by_expiry"}


# --- transactions ---------------------------------------------------------------------------------


@dataclass
class Transaction:
    """Writes from any store module, committed together as one TransactWriteItems.

    Store functions add their items (``tx.put(...)``) and return; the caller commits once.
    Nothing SDK-shaped leaves the store: services hold a Transaction and role names."""

    _items: list[dict[str, Any]] = field(default_factory=list)
    _roles: list[str] = field(default_factory=list)

    def put(self, item: TableItem, *, role: str, condition: Condition | None = None) -> None:
        self._add("Put", item.get_save_kwargs_from_instance(condition=condition), role)

    def update(
        self, item: TableItem, actions: Sequence[Action], *, role: str, condition: Condition | None = None
    ) -> None:
        operation = item.get_update_kwargs_from_instance(
            actions=list(actions), condition=condition, add_version_condition=False
        )
        self._add("Update", operation, role)

    def delete(self, item: TableItem, *, role: str, condition: Condition | None = None) -> None:
        self._add(
            "Delete", item.get_delete_kwargs_from_instance(condition=condition, add_version_condition=False), role
        )

    def check(self, item: TableItem, condition: Condition, *, role: str) -> None:
        """A ConditionCheck on ``item``'s key: the transaction commits only if it holds."""
        operation = item.get_delete_kwargs_from_instance(condition=condition, add_version_condition=False)
        self._add("ConditionCheck", operation, role)

    def _add(self, kind: str, operation: dict[str, Any], role: str) -> None:
        operation.pop("ReturnValues", None)
        self._items.append({kind: operation})
        self._roles.append(role)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self._roles)

    def commit(self) -> None:
        """One TransactWriteItems (nothing when empty). Raises TransactionCancelled."""
        if not self._items:
            return
        from botocore.exceptions import ClientError

        try:
            with sdk_errors():
                client().transact_write_items(TransactItems=self._items)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "TransactionConflictException":
                raise TransactionCancelled(frozenset(), conflict=True) from exc
            if code != "TransactionCanceledException":
                raise
            raise self._cancelled(exc.response.get("CancellationReasons") or []) from exc

    def _cancelled(self, reasons: Sequence[Any]) -> Exception:
        codes = [(reason or {}).get("Code") for reason in reasons]
        codes = [None if c in (None, "None") else c for c in codes]
        failed = frozenset(role for c, role in zip(codes, self._roles, strict=False) if c == "ConditionalCheckFailed")
        if not failed and any(c in ("ThrottlingError", "ProvisionedThroughputExceeded") for c in codes):
            return errors.DependencyUnavailable("The database is busy; try again")
        # Emulators do not always itemise the reasons: treat that as a concurrent writer.
        conflict = "TransactionConflict" in codes or not any(codes)
        return TransactionCancelled(failed, conflict)


# --- the low-level fast path ----------------------------------------------------------------------


def key(hash_key: str, range_key: str) -> dict[str, Any]:
    """A primary key as the low-level client takes it, from TableItem's key attributes."""
    from chalicelib.store.table import TableItem

    pk, sk = TableItem.pk, TableItem.sk
    return {pk.attr_name: {pk.attr_type: hash_key}, sk.attr_name: {sk.attr_type: range_key}}


def key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """The (pk, sk) of a raw item."""
    return item["pk"]["S"], item["sk"]["S"]


def key_of_partition(item: Mapping[str, Any]) -> str:
    """The pk of a raw item (e.g. a Query projected to ``pk``)."""
    return str(item["pk"]["S"])


def get_raw(
    hash_key: str, range_key: str, *, consistent: bool = True, projection: Sequence[str] | None = None
) -> dict[str, Any] | None:
    """One GetItem through the low-level client; the raw item or None (decode with ``decoder``).
    ``projection`` reads only the named attributes."""
    kwargs: dict[str, Any] = {"TableName": table_name(), "Key": key(hash_key, range_key), "ConsistentRead": consistent}
    if projection:
        from pynamodb.expressions.projection import create_projection_expression

        names: dict[str, str] = {}
        kwargs["ProjectionExpression"] = create_projection_expression(list(projection), names)
        kwargs["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    with sdk_errors():
        answer = client().get_item(**kwargs)
    item: dict[str, Any] | None = answer.get("Item")
    return item


BATCH_GET_LIMIT = 100


def batch_get_raw(keys: Sequence[tuple[str, str]], *, consistent: bool = True) -> dict[tuple[str, str], dict[str, Any]]:
    """BatchGetItem of (pk, sk) keys, following UnprocessedKeys: ceil(n/100) calls or more.
    Returns the raw items found, by key."""
    table = table_name()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for offset in range(0, len(keys), BATCH_GET_LIMIT):
        chunk = [key(pk, sk) for pk, sk in keys[offset : offset + BATCH_GET_LIMIT]]
        request: dict[str, Any] = {table: {"Keys": chunk, "ConsistentRead": consistent}}
        while request:
            with sdk_errors():
                answer = client().batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[key_of(item)] = item
            request = answer.get("UnprocessedKeys") or {}
    return found


def query_raw(
    key_condition: Condition,
    *,
    index: str | None = None,
    projection: Sequence[str] | None = None,
    limit: int | None = None,
    ascending: bool = True,
    start_key: dict[str, Any] | None = None,
    consistent: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query page through the low-level client. ``key_condition`` is a PynamoDB
    condition on the models' attributes (e.g. ``(TableItem.gsi1pk == p) & TableItem.gsi1sk.between(a, b)``)."""
    from pynamodb.expressions.projection import create_projection_expression

    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": key_condition.serialize(names, values),
        "ScanIndexForward": ascending,
    }
    if projection:
        kwargs["ProjectionExpression"] = create_projection_expression(list(projection), names)
    kwargs["ExpressionAttributeNames"] = {placeholder: name for name, placeholder in names.items()}
    kwargs["ExpressionAttributeValues"] = values
    if index is not None:
        kwargs["IndexName"] = index
    if limit is not None:
        kwargs["Limit"] = limit
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    if consistent:
        kwargs["ConsistentRead"] = True
    with sdk_errors():
        answer = client().query(**kwargs)
    return answer.get("Items", []), answer.get("LastEvaluatedKey")


def query_raw_all(key_condition: Condition, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every raw item of a Query, page after page."""
    start_key = kwargs.pop("start_key", None)
    while True:
        items, start_key = query_raw(key_condition, start_key=start_key, **kwargs)
        yield from items
        if not start_key:
            return


def _number(text: str) -> int | float:
    """A DynamoDB number as PynamoDB's NumberAttribute reads it (json.loads), without json."""
    try:
        return int(text)
    except ValueError:
        return float(text)


@cache
def decoder(
    model: type[TableItem], names: tuple[str, ...] | None = None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function from a raw item to ``{python attribute name: value}`` for ``model`` (only
    ``names`` when given), compiled once from the model's attribute declarations (missing ->
    the default/None). Plain text and numbers skip PynamoDB's per-value call (hot reads)."""
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute

    plan = []
    for name, attribute in model.get_attributes().items():
        if names is not None and name not in names:
            continue
        if type(attribute) is UnicodeAttribute:
            read: Callable[[Any], Any] | None = None
        elif type(attribute) is NumberAttribute:
            read = _number
        else:
            read = attribute.deserialize
        plan.append((name, attribute.attr_name, attribute.attr_type, read, attribute.default))

    def decode(item: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, stored_as, attr_type, read, default in plan:
            raw = item.get(stored_as)
            if raw is None or "NULL" in raw:
                values[name] = default() if callable(default) else default
            else:
                value = raw[attr_type]
                values[name] = value if read is None else read(value)
        return values

    return decode


# --- generic writes by key (any entity) -----------------------------------------------------------


def _names(names: dict[str, str]) -> dict[str, str]:
    return {placeholder: name for name, placeholder in names.items()}


def update_raw(
    hash_key: str,
    range_key: str,
    actions: Sequence[Action],
    *,
    condition: Condition | None = None,
    return_values: str | None = None,
    old_on_failure: bool = False,
) -> dict[str, Any] | None:
    """One UpdateItem on a key, whatever the item's entity; nothing is decoded.

    ``return_values`` (e.g. ``"ALL_NEW"``, ``"UPDATED_OLD"``) returns those raw attributes.
    A failed condition raises ``ConditionFailed`` (with the old item when ``old_on_failure``)."""
    from pynamodb.expressions.update import Update

    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "Key": key(hash_key, range_key),
        "UpdateExpression": Update(*actions).serialize(names, values),
    }
    if condition is not None:
        kwargs["ConditionExpression"] = condition.serialize(names, values)
    kwargs["ExpressionAttributeNames"] = _names(names)
    if values:
        kwargs["ExpressionAttributeValues"] = values
    if return_values:
        kwargs["ReturnValues"] = return_values
    if old_on_failure:
        kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with sdk_errors():
        answer = client().update_item(**kwargs)
    attributes: dict[str, Any] | None = answer.get("Attributes") if return_values else None
    return attributes


def delete_raw(hash_key: str, range_key: str, *, condition: Condition | None = None) -> None:
    """One DeleteItem on a key, whatever the item's entity (ConditionFailed when ``condition`` fails)."""
    kwargs: dict[str, Any] = {"TableName": table_name(), "Key": key(hash_key, range_key)}
    if condition is not None:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        kwargs["ConditionExpression"] = condition.serialize(names, values)
        kwargs["ExpressionAttributeNames"] = _names(names)
        if values:
            kwargs["ExpressionAttributeValues"] = values
    with sdk_errors():
        client().delete_item(**kwargs)


BATCH_WRITE_LIMIT = 25
BATCH_WRITE_ATTEMPTS = 5


def batch_write(puts: Sequence[TableItem] = (), deletes: Sequence[tuple[str, str]] = ()) -> int:
    """BatchWriteItem: put the models and delete the (pk, sk) keys, 25 per call, retrying
    unprocessed requests (up to BATCH_WRITE_ATTEMPTS calls per chunk, then
    DependencyUnavailable). Unconditional, like BatchWriteItem itself. Returns the count."""
    table = table_name()
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item.serialize()}} for item in puts]
    requests += [{"DeleteRequest": {"Key": key(pk, sk)}} for pk, sk in deletes]
    for offset in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending = requests[offset : offset + BATCH_WRITE_LIMIT]
        for _ in range(BATCH_WRITE_ATTEMPTS):
            with sdk_errors():
                answer = client().batch_write_item(RequestItems={table: pending})
            pending = (answer.get("UnprocessedItems") or {}).get(table, [])
            if not pending:
                break
        else:
            raise errors.DependencyUnavailable(f"{len(pending)} writes were not processed; try again")
    return len(requests)
