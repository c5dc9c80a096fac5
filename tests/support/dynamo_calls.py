"""Count DynamoDB API calls with a botocore event hook ("before-call.dynamodb").

The app talks to DynamoDB through two kinds of clients: the boto3 client of
chalicelib.aws_clients and the botocore clients PynamoDB builds per model. ``counting()``
hooks every one of them and yields a Counter of operation names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _all_clients() -> list[Any]:
    from chalicelib.aws_clients import client
    from chalicelib.store.table import TableItem

    found: dict[int, Any] = {}
    ours = client("dynamodb")
    found[id(ours)] = ours
    pending = [TableItem]
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        botocore_client = model._get_connection().connection.client
        found[id(botocore_client)] = botocore_client
    return list(found.values())


@contextmanager
def counting() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    clients = _all_clients()
    for each in clients:
        each.meta.events.register("before-call.dynamodb", hook, unique_id="dynamo-call-counter")
    try:
        yield calls
    finally:
        for each in clients:
            each.meta.events.unregister("before-call.dynamodb", unique_id="dynamo-call-counter")
