"""The single table as PynamoDB models.

Every entity subclasses ``TableItem`` with a discriminator, so one table holds them all.
Keys are built in this package only. ``bind()`` points every model at the table named in
settings (and at DynamoDB Local when an endpoint is set); it runs once at import.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import DiscriminatorAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import resources
from chalicelib.settings import Settings, get_settings


def _index_meta(name: str) -> type:
    return type("Meta", (), {"index_name": name, "projection": AllProjection()})


class GSI1(GlobalSecondaryIndex["TableItem"]):
    Meta = _index_meta("GSI1")
    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class GSI2(GlobalSecondaryIndex["TableItem"]):
    Meta = _index_meta("GSI2")
    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class GSI3(GlobalSecondaryIndex["TableItem"]):
    Meta = _index_meta("GSI3")
    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class ByExpiry(GlobalSecondaryIndex["TableItem"]):
    Meta = _index_meta("ByExpiry")
    exp_pk = UnicodeAttribute(hash_key=True)
    exp_sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta:
        table_name = resources.table_name("local")  # replaced by bind()
        region = "eu-central-1"
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    exp_pk = UnicodeAttribute(null=True)
    exp_sk = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()
    by_expiry = ByExpiry()


def _all_models(root: type[Model]) -> list[type[Model]]:
    found = [root]
    for sub in root.__subclasses__():
        found += _all_models(sub)
    return found


def entity_models() -> dict[str, type[TableItem]]:
    """Every loaded model by the discriminator value it stores in ``entity``.

    Walks TableItem's subclasses and asks the discriminator attribute (its public
    ``get_discriminator``) for each one's value; classes without one are left out."""
    discriminator = TableItem.get_attributes()["entity"]
    if not isinstance(discriminator, DiscriminatorAttribute):
        raise TypeError("TableItem.entity must be the discriminator")
    found: dict[str, type[TableItem]] = {}
    for model in _all_models(TableItem):
        value = discriminator.get_discriminator(model)
        if value is not None:
            found[str(value)] = model  # type: ignore[assignment]
    return found


def bind(settings: Settings | None = None) -> None:
    """Point every model at the configured table, with the one DynamoDB configuration
    (aws_clients.dynamodb_config: endpoint, retries, timeouts, pool). Call again after a change."""
    from chalicelib.aws_clients import dynamodb_config

    settings = settings or get_settings()
    config = dynamodb_config(settings)
    for model in _all_models(TableItem):
        meta = model.Meta
        meta.table_name = settings.resolved_table_name()
        meta.region = config.region
        meta.host = config.endpoint
        meta.connect_timeout_seconds = config.connect_timeout_seconds
        meta.read_timeout_seconds = config.read_timeout_seconds
        meta.max_retry_attempts = config.max_attempts - 1  # PynamoDB counts retries, botocore attempts
        meta.max_pool_connections = config.max_pool_connections
        model._connection = None


def describe() -> dict[str, Any]:
    """DescribeTable: used by the health check (one call, no data read)."""
    result: dict[str, Any] = TableItem.describe_table()
    return result


bind()
