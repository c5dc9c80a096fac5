"""boto3 clients, built on first use and cached (boto3 is imported lazily: cold start)."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.settings import get_settings


@cache
def client(service: str) -> Any:
    import boto3

    settings = get_settings()
    # DynamoDB Local serves the Streams API on its own endpoint too.
    endpoint = settings.dynamodb_endpoint if service in ("dynamodb", "dynamodbstreams") else settings.aws_endpoint
    session: Any = boto3.session.Session()  # typed per service; callers use the client untyped
    return session.client(service, region_name=settings.region, endpoint_url=endpoint)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or moto contexts)."""
    client.cache_clear()
