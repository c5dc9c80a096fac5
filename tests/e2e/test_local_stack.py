"""`make run` as a newcomer gets it: real processes, real HTTP, data that survives a restart."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from chalicelib import resources
from tests.e2e.conftest import READY_WITHIN_SECONDS, LocalStack

LOCAL_TABLE = resources.table_name("local")


def test_health_and_openapi_are_served_within_a_minute(local_stack: LocalStack):
    # Given the stack was started from nothing (the fixture measured it)
    # Then health and the spec answered within the promised minute
    assert local_stack.ready_after_seconds < READY_WITHIN_SECONDS
    health = requests.get(f"{local_stack.api}/v1/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["checks"]["table"] == "active"
    assert all(health.json()["checks"][f"queue:{q.logical_name}"] == "ok" for q in resources.QUEUES)
    spec = requests.get(f"{local_stack.api}/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.1")
    assert "/v1/health" in spec["paths"]
    assert health.headers.get("X-Request-Id")


def test_unknown_route_is_a_404_problem_over_real_http(local_stack: LocalStack):
    # When a path no route serves is asked over HTTP
    response = requests.get(f"{local_stack.api}/v1/no-such-thing", timeout=5)
    # Then it is a problem+json 404, as the deployed API answers
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["instance"] == "/v1/no-such-thing"
    assert "Traceback" not in response.text


def test_malformed_json_is_a_400_problem_over_real_http(local_stack: LocalStack):
    # Given any route that takes a JSON body (from the served spec)
    spec = requests.get(f"{local_stack.api}/openapi.json", timeout=5).json()
    unauthenticated = [
        (path, method)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation and "security" not in operation and "{" not in path
    ]
    if not unauthenticated:
        pytest.skip("no unauthenticated route with a JSON body yet")
    path, method = unauthenticated[0]
    # When it gets a broken body over HTTP
    response = requests.request(
        method.upper(),
        f"{local_stack.api}{path}",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    # Then it is a 400 problem, not a stack trace
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_data_written_before_a_restart_is_read_back_after_it(local_stack: LocalStack):
    # Given an item written straight to the local table, and (when the route exists) an
    # account registered through the API
    key = {"pk": {"S": f"E2E#{uuid.uuid4().hex}"}, "sk": {"S": "RESTART"}}
    local_stack.aws_client("dynamodb").put_item(TableName=LOCAL_TABLE, Item={**key, "note": {"S": "kept"}})
    account = register(local_stack) if has_route(local_stack, "/v1/auth/register", "post") else None
    # And an item with personal data that was deleted (as erasure deletes), so only freed
    # pages of DynamoDB Local's file still hold it
    canary = f"Canary {uuid.uuid4().hex} +4915199887766 canary@example.org"
    erased = {"pk": {"S": f"E2E#{uuid.uuid4().hex}"}, "sk": {"S": "ERASED"}}
    # Large enough to fill pages of its own, which SQLite frees but does not overwrite
    note = " ".join([canary] * 2000)
    local_stack.aws_client("dynamodb").put_item(TableName=LOCAL_TABLE, Item={**erased, "note": {"S": note}})
    local_stack.aws_client("dynamodb").delete_item(TableName=LOCAL_TABLE, Key=erased)
    # When the stack is stopped (as Ctrl-C does) and started again on the same data dir
    local_stack.restart()
    # Then the stop compacted the data: no file in the data dir holds the deleted item's bytes
    holding = [p for p in local_stack.data_dir.rglob("*") if p.is_file() and canary.encode() in p.read_bytes()]
    assert holding == []
    # Then the item is still there, the account can sign in, and the stack is healthy again
    item = local_stack.aws_client("dynamodb").get_item(TableName=LOCAL_TABLE, Key=key).get("Item")
    assert item is not None and item["note"]["S"] == "kept"
    if account is not None:
        login = requests.post(
            f"{local_stack.api}/v1/auth/login",
            json={"login": account["phone"], "password": account["password"]},
            timeout=30,
        )
        assert login.status_code == 200, login.text
    assert requests.get(f"{local_stack.api}/v1/health", timeout=5).status_code == 200


def has_route(stack: LocalStack, path: str, method: str) -> bool:
    spec = requests.get(f"{stack.api}/openapi.json", timeout=5).json()
    return method in spec["paths"].get(path, {})


def random_phone() -> str:
    return f"+49151{uuid.uuid4().int % 10**8:08d}"  # a valid German mobile number


def register(stack: LocalStack) -> dict[str, str]:
    from chalicelib.settings import get_settings

    account = {"phone": random_phone(), "password": f"e2e-{uuid.uuid4().hex}"}
    response = requests.post(
        f"{stack.api}/v1/auth/register",
        json={
            "name": "Ada Lovelace",
            **account,
            "age_16_or_older": True,
            "terms_version": get_settings().terms_version,
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return account


def wait_for_sms(stack: LocalStack, phone: str, timeout: float = 30) -> str:
    """The newest SMS to ``phone`` in the outbox, waiting for the dispatcher to deliver it."""
    url = f"http://127.0.0.1:{stack.moto_port}/_local/outbox.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [e for e in requests.get(url, timeout=5).json() if e["channel"] == "sms" and e["to"] == phone]
        if sent:
            return str(sent[-1]["body"])
        time.sleep(0.5)
    pytest.fail(f"no SMS to {phone} reached the outbox:\n{stack.log_tail()}")


def test_phone_sign_in_over_http_with_the_code_from_the_outbox(local_stack: LocalStack):
    if not has_route(local_stack, "/v1/auth/otp/verify", "post"):
        pytest.skip("the OTP sign-in routes do not exist yet")
    # Given an account
    account = register(local_stack)
    # When a sign-in code is requested over HTTP
    sent = requests.post(f"{local_stack.api}/v1/auth/otp", json={"phone": account["phone"]}, timeout=30)
    assert sent.status_code == 202, sent.text
    # Then the dispatcher delivers the queued SMS, and its code signs the account in
    code = re.search(r"\b(\d{6})\b", wait_for_sms(local_stack, account["phone"]))
    assert code is not None
    verified = requests.post(
        f"{local_stack.api}/v1/auth/otp/verify", json={"phone": account["phone"], "code": code.group(1)}, timeout=30
    )
    assert verified.status_code == 200, verified.text
    me = requests.get(
        f"{local_stack.api}/v1/me", headers={"Authorization": f"Bearer {verified.json()['access_token']}"}, timeout=30
    )
    assert me.status_code == 200, me.text


def _has_notifications_consumer() -> bool:
    from chalice.app import SQSEventConfig

    from app import app

    return any(isinstance(source, SQSEventConfig) for source in app.event_sources)


def test_dispatcher_delivers_a_queued_notification_to_the_outbox(local_stack: LocalStack):
    if not _has_notifications_consumer():
        pytest.skip("no SQS consumer is wired in app.py yet")
    # Given a sign-in code queued for a phone number, as the producer sends it
    code = f"{uuid.uuid4().int % 1_000_000:06d}"
    message = {
        "notification_id": f"e2e-{uuid.uuid4().hex}",
        "kind": "otp",
        "category": "account",
        "to_phone": "+4915112345678",
        "channels": ["sms"],
        "params": {"code": code},
    }
    sqs = local_stack.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=resources.queue_name("local", "notifications"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
    # When the dispatcher picks it up, Then the SMS shows in the outbox and the queue is drained
    outbox_url = f"http://127.0.0.1:{local_stack.moto_port}/_local/outbox.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sent = requests.get(outbox_url, timeout=5).json()
        if any(entry["channel"] == "sms" and code in entry["body"] for entry in sent):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no SMS with the code reached the outbox:\n{local_stack.log_tail()}")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def sign_in(stack: LocalStack, account: dict[str, str]) -> dict[str, str]:
    login = requests.post(
        f"{stack.api}/v1/auth/login", json={"login": account["phone"], "password": account["password"]}, timeout=30
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def eventually(check: Callable[[], Any], what: str, stack: LocalStack, timeout: float = 60) -> Any:
    """``check()``'s first truthy answer, polling while the dispatcher works."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:.0f}s:\n{stack.log_tail()}")


def outbox_items_of(stack: LocalStack, booking_id: str) -> list[dict[str, Any]]:
    """Outbox events (pk OUTBOX#...) that name the booking, straight from the local table."""
    pages = (
        stack.aws_client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=LOCAL_TABLE,
            FilterExpression="begins_with(pk, :outbox) AND contains(pk, :booking)",
            ExpressionAttributeValues={":outbox": {"S": resources.OUTBOX_KEY_PREFIX}, ":booking": {"S": booking_id}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def test_a_booking_over_http_is_notified_through_the_table_stream(local_stack: LocalStack):
    api = local_stack.api
    # Given a signed-in customer and the first free haircut at the demo salon in the coming week
    account = register(local_stack)
    headers = sign_in(local_stack, account)
    venues = requests.get(f"{api}/v1/venues", params={"city": "Baku", "category": "hair"}, headers=headers, timeout=30)
    assert venues.status_code == 200, venues.text
    venue = next(v for v in venues.json()["items"] if v["name"].startswith("Studio Nizami"))
    page = requests.get(f"{api}/v1/venues/{venue['id']}", headers=headers, timeout=30).json()
    service = next(s for s in page["services"] if s["name"] == "Haircut & styling")
    today = datetime.now(ZoneInfo(page["timezone"])).date()
    free = requests.get(
        f"{api}/v1/venues/{venue['id']}/availability",
        params={
            "service_id": service["id"],
            "from": str(today + timedelta(days=1)),
            "to": str(today + timedelta(days=7)),
        },
        headers=headers,
        timeout=30,
    )
    assert free.status_code == 200, free.text
    start = free.json()["slots"][0]["start"]
    # When the customer books it over HTTP
    booked = requests.post(
        f"{api}/v1/bookings",
        json={"venue_id": venue["id"], "service_id": service["id"], "start": start},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["id"]
    # Then its booking.created SMS reaches the outbox: the request wrote only an outbox item;
    # the dispatcher read it off the table stream, the outbox relay queued the message and
    # the notifications consumer sent it. The stranded-event schedule leaves items younger
    # than two minutes alone, so within this wait only the stream path can deliver it.
    sms = eventually(
        lambda: [
            entry
            for entry in requests.get(f"http://127.0.0.1:{local_stack.moto_port}/_local/outbox.json", timeout=5).json()
            if entry["channel"] == "sms" and entry["to"] == account["phone"] and venue["name"] in entry["body"]
        ],
        f"no booking SMS to {account['phone']} reached the outbox",
        local_stack,
    )
    # And the relay deleted the outbox item it published, and the SMS went out once
    eventually(lambda: outbox_items_of(local_stack, booking_id) == [], "the outbox item was not removed", local_stack)
    sent = requests.get(f"http://127.0.0.1:{local_stack.moto_port}/_local/outbox.json", timeout=5).json()
    assert [e["body"] for e in sent if e["to"] == account["phone"] and venue["name"] in e["body"]] == [sms[0]["body"]]


def link_telegram(stack: LocalStack, headers: dict[str, str], telegram_id: int) -> None:
    """Telegram sign-in while signed in links the chat; initData signed with the stack's
    (local-only, default) bot token, as Telegram signs it."""
    from urllib.parse import urlencode

    from chalicelib.security import telegram
    from chalicelib.settings import Settings

    fields = {"auth_date": str(int(time.time())), "user": json.dumps({"id": telegram_id, "first_name": "Ada"})}
    fields["hash"] = telegram.sign(fields, Settings().telegram_bot_token.get_secret_value())
    linked = requests.post(
        f"{stack.api}/v1/auth/telegram", json={"init_data": urlencode(fields)}, headers=headers, timeout=30
    )
    assert linked.status_code == 200, linked.text


def first_free_haircut(stack: LocalStack, headers: dict[str, str]) -> tuple[str, str, str, str]:
    """(venue id, venue name, service id, start) of a free haircut at the demo salon, from tomorrow."""
    api = stack.api
    venues = requests.get(f"{api}/v1/venues", params={"city": "Baku", "category": "hair"}, headers=headers, timeout=30)
    venue = next(v for v in venues.json()["items"] if v["name"].startswith("Studio Nizami"))
    page = requests.get(f"{api}/v1/venues/{venue['id']}", headers=headers, timeout=30).json()
    service = next(s for s in page["services"] if s["name"] == "Haircut & styling")
    today = datetime.now(ZoneInfo(page["timezone"])).date()
    free = requests.get(
        f"{api}/v1/venues/{venue['id']}/availability",
        params={"service_id": service["id"], "from": str(today + timedelta(days=1)), "to": str(today + timedelta(7))},
        headers=headers,
        timeout=30,
    )
    assert free.status_code == 200, free.text
    return venue["id"], venue["name"], service["id"], free.json()["slots"][0]["start"]


def test_a_registered_device_and_a_linked_telegram_chat_receive_the_booking_in_the_outbox(local_stack: LocalStack):
    api = local_stack.api
    # Given a signed-in customer with Telegram linked and a phone registered for push
    account = register(local_stack)
    headers = sign_in(local_stack, account)
    telegram_id = uuid.uuid4().int % 10**9
    link_telegram(local_stack, headers, telegram_id)
    device = requests.post(
        f"{api}/v1/me/devices",
        json={"platform": "fcm", "token": f"fcm-{uuid.uuid4().hex}"},
        headers=headers,
        timeout=30,
    )
    assert device.status_code == 201, device.text  # the stack created the SNS platform applications
    # When the customer books a haircut
    venue_id, venue_name, service_id, start = first_free_haircut(local_stack, headers)
    booked = requests.post(
        f"{api}/v1/bookings",
        json={"venue_id": venue_id, "service_id": service_id, "start": start},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    assert booked.status_code == 201, booked.text

    # Then the booking's push reaches the device's endpoint and its Telegram message the
    # linked chat, both in the local outbox (the fake Bot API on loopback, never Telegram)
    def sent() -> dict[str, dict[str, Any]]:
        mine = {
            entry["channel"]: entry
            for entry in local_stack.outbox()
            if venue_name in entry["body"]
            and entry["channel"] in ("push", "telegram")
            and (entry["channel"] == "push" or entry["to"] == str(telegram_id))
        }
        return mine if len(mine) == 2 else {}

    messages = eventually(sent, "no push and Telegram message for the booking reached the outbox", local_stack)
    assert messages["push"]["to"].startswith("arn:aws:sns:") and messages["push"]["subject"] == "Booking received"
    assert messages["telegram"]["body"].startswith("Booked:")


def walk_through() -> str:
    """The README's curl walk-through, exactly as a newcomer copies it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    found = re.search(r"<!-- walk-through:[^>]*-->\n```sh\n(.*?)\n```", readme, re.DOTALL)
    assert found, "the README lost its marked walk-through block"
    return found.group(1)


def test_the_readme_walk_through_runs_as_written_on_other_ports(local_stack: LocalStack):
    import os
    import shutil
    import subprocess
    import sys

    # Given the stack on non-default ports, and only API and the data dir told to the shell
    # (make finds the stack's moto port in the data dir; this interpreter stands in for .venv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOKING_", "AWS_", "MOTO_"))}
    env |= {
        "API": local_stack.api,
        "LOCAL_DATA_DIR": str(local_stack.data_dir),
        "MAKEFLAGS": f"PY={sys.executable} STAMP=",
    }
    # When the walk-through runs, stopping at the first failing command
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(  # noqa: S603 - our own README, the point of the test
        [bash, "-e", "-c", walk_through()],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    # Then every step worked: signed in with the code from the outbox, booked and cancelled
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert re.search(r'"status":\s*"cancelled"', done.stdout), done.stdout[-3000:]
    # And the business booked a walk-in (a customer record, no account) and the customer a
    # two-service visit, both parts at the venue (docs/bookings.md)
    assert re.search(r'"status":\s*"confirmed".*"customer":\s*\{"name":\s*"Ben"', done.stdout), done.stdout[-3000:]
    visit = re.search(r'^\{"id":\s*"[0-9a-f]+",\s*"bookings":\s*\[(.*)\]\}$', done.stdout, re.MULTILINE)
    assert visit and re.findall(r'"service_name":\s*"([^"]+)"', visit.group(1)) == ["Haircut", "Beard trim"]
    # And the operator's ticket, bought from the wallet, admitted once at the gate; the second
    # scan was refused as already used, saying where (docs/wallet.md)
    assert "operator granted" in done.stdout
    assert re.search(r'"product_name":\s*"Metro single ride".*"status":\s*"valid"', done.stdout)
    assert re.search(r"^<svg ", done.stdout, re.MULTILINE)
    scans = re.findall(r'^\{"accepted":\s*(true|false),\s*"reason":\s*("already_used"|null)', done.stdout, re.MULTILINE)
    assert scans == [("true", "null"), ("false", '"already_used"')], done.stdout[-3000:]
    assert re.search(r'"reason":\s*"already_used".*"used_place":\s*"28 May station"', done.stdout)
    # And the travel quote showed its total in Toman, and accepting it confirmed the request (docs/travel.md)
    assert re.search(r'"currency":\s*"TOMAN",\s*"label":\s*"Toman",\s*"amount":\s*"61440000"', done.stdout)
    assert re.search(r'"destination":\s*"Isfahan".*"status":\s*"confirmed"', done.stdout), done.stdout[-3000:]
    # And the operator saw the customer's ticket in the support queue and replied (docs/support.md)
    assert re.search(r'"items":\s*\[.*"subject":\s*"Wrong time"', done.stdout), done.stdout[-3000:]
    assert re.search(r'"author":\s*"operator",\s*"body":\s*"Cancelled for you', done.stdout), done.stdout[-3000:]
    # And `make outbox` listed the sign-in code and the booking's push
    assert "SMS   to +4915112345678" in done.stdout and "Your sign-in code is" in done.stdout
    assert "PUSH  to arn:aws:sns:" in done.stdout
    # And the top-up paid on the fake provider was credited by its signed webhook, the kiosk's
    # cash landed on the card (wallet, docs/wallet.md)
    assert re.search(r'"kind":\s*"top_up"', done.stdout) and re.search(r'"delivered":\s*200', done.stdout)
    assert re.search(r'"last4":\s*"5678",\s*"currency":\s*"AZN",\s*"balance_minor":\s*300', done.stdout)
    # And the operator's audit check found the platform's chains intact
    assert re.search(r"^OK: \d+ sealed records checked for platform", done.stdout, re.MULTILINE), done.stdout[-3000:]
