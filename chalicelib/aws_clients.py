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
def client(service: str, *, sdk_retries: bool = True) -> Any:
    """``sdk_retries=False``: one attempt per call, for requests that must not be repeated
    blindly (SNS Publish: SMS and push have no idempotency key; see ``answer_lost``). DynamoDB
    clients always use ``dynamodb_config()``."""
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
    once = None if sdk_retries else Config(retries={"mode": "standard", "total_max_attempts": 1})
    return session.client(service, region_name=settings.region, endpoint_url=settings.aws_endpoint, config=once)


def answer_lost(error: BaseException) -> bool:
    """The request may have reached the service, but its answer did not come back (read
    timeout, connection closed mid-response): the outcome is unknown. A connect error or an
    error answer (throttling, 5xx) says the request was not accepted instead."""
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError, ResponseStreamingError

    return isinstance(error, ReadTimeoutError | ConnectionClosedError | ResponseStreamingError)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or moto contexts)."""
    client.cache_clear()
