"""Shared bits of the accounts tests: request bodies, reading codes from the outbox queue."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import queues
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings

ORIGIN = "http://localhost:3000"  # in settings.allowed_origins by default


def register_body(phone: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Ada Example",
        "phone": phone,
        "age_16_or_older": True,
        "terms_version": get_settings().terms_version,
    }
    body.update(overrides)
    return body


def queued_messages() -> list[dict[str, Any]]:
    """Drain the notifications queue (moto): the SMS/e-mail the consumer would send."""
    sqs = client("sqs")
    url = queues.queue_url("notifications")
    found: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        batch = answer.get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def last_code(to_phone: str | None = None, to_email: str | None = None) -> str:
    codes = [
        m["params"]["code"]
        for m in queued_messages()
        if m["kind"] == "otp"
        and (to_phone is None or m.get("to_phone") == to_phone)
        and (to_email is None or m.get("to_email") == to_email)
    ]
    assert codes, "no code was queued"
    return str(codes[-1])


def set_cookies(response: Any) -> list[str]:
    value = response.header("Set-Cookie")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def cookie_jar(response: Any) -> dict[str, str]:
    jar = {}
    for cookie in set_cookies(response):
        name, _, rest = cookie.partition("=")
        jar[name] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def scan_all() -> list[dict[str, Any]]:
    """Every raw item in the main table (tests may Scan)."""
    paginator = client("dynamodb").get_paginator("scan")
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(TableName=get_settings().resolved_table_name()):
        items.extend(page["Items"])
    return items
