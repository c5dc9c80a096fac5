"""boto3 clients, built on first use and cached (boto3 is imported lazily: cold start).

DynamoDB has one configuration, ``dynamodb_config()``: this module's client and PynamoDB's
connection (chalicelib/store/table.py ``bind``) both take endpoint, retries, timeouts and
pool size from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.settings import Settings, get_settings


@dataclass(frozen=True)
class DynamoConfig:
    endpoint: str | None
    region: str
    connect_timeout_seconds: int
    read_timeout_seconds: int
    max_attempts: int  # total, first try included ("standard" retry mode)
    max_pool_connections: int


def dynamodb_config(settings: Settings | None = None) -> DynamoConfig:
    settings = settings or get_settings()
    return DynamoConfig(
        endpoint=settings.dynamodb_endpoint,
        region=settings.region,
        connect_timeout_seconds=settings.dynamodb_connect_timeout_seconds,
        read_timeout_seconds=settings.dynamodb_read_timeout_seconds,
        max_attempts=settings.dynamodb_max_attempts,
        max_pool_connections=settings.dynamodb_max_pool_connections,
    )


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    settings = get_settings()
    session: Any = boto3.session.Session()  # typed per service; callers use the client untyped
    if service in ("dynamodb", "dynamodbstreams"):
        # DynamoDB Local serves the Streams API on its own endpoint too.
        dynamo = dynamodb_config()
        config = Config(
            connect_timeout=dynamo.connect_timeout_seconds,
            read_timeout=dynamo.read_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": dynamo.max_attempts},
            max_pool_connections=dynamo.max_pool_connections,
        )
        return session.client(service, region_name=dynamo.region, endpoint_url=dynamo.endpoint, config=config)
    return session.client(service, region_name=settings.region, endpoint_url=settings.aws_endpoint)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or moto contexts)."""
    client.cache_clear()
