"""The canary: after erasure + 30 days + sweeps, no trace of the user is left anywhere.

A user with a unique canary name, phone and e-mail uses every feature there is, then
deletes the account; the clock moves 30 days, the schedules and consumers run. A scan of
the whole table and its indexes, every queue and DLQ, every S3
object and all log output captured during the test finds no canary string.

Reviews: the canary reviews an attended visit and reports another customer's review; after
the erasure neither is left, and the venue's aggregate no longer counts the canary's review.

Travel: the canary files a travel request with a thread, a quote and a document whose file
holds the canary; after the erasure none of it is left, in the table or in S3.

Surveys and support (REV-3, RET-6): the canary answers a survey and opens a ticket (with an
attachment, an operator reply and a call recording); afterwards only what docs/privacy.md
says is kept remains: the correspondence's text and files (RET-6, 5 years), with no link to
the account (the user id is in none of it), and nothing of the recording after 3 months.

Not covered (no such feature yet): wallet/tickets.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import queues, resources
from chalicelib.aws_clients import client
from chalicelib.privacy import exports, jobs, sweeps
from chalicelib.settings import get_settings
from tests.support.fixtures_accounts import unique_phone


def _letters(n: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(n))


class _Collect(logging.Handler):
    """Every log record, formatted by the app's own (redacting) formatter when it has one."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _drain(logical: str, handler: Any) -> int:
    """Run a consumer over its queue until it is empty, as Lambda would."""
    sqs = client("sqs")
    url = queues.queue_url(logical)
    handled = 0
    for _ in range(50):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        if not messages:
            break
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        try:
            handler(event)
        except Exception:  # a failing record stays on the queue; the scan below will see it
            logging.getLogger("canary").exception("consumer failed")
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(messages)
    return handled


def _run_consumers(notify: Any) -> None:
    notify.drain()
    _drain("jobs", jobs.handle_event)


def _everything_stored() -> list[tuple[str, str]]:
    """(where, text) for every item of the table and its indexes, every message on every
    queue and DLQ, and every S3 object."""
    settings = get_settings()
    dynamodb = client("dynamodb")
    found: list[tuple[str, str]] = []
    for table in (settings.resolved_table_name(),):
        indexes = [None] + [
            i["IndexName"] for i in dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        ]
        for index in indexes:
            kwargs = {"TableName": table, **({"IndexName": index} if index else {})}
            for page in dynamodb.get_paginator("scan").paginate(**kwargs):
                found += [(f"{table}/{index or 'table'}", json.dumps(item)) for item in page["Items"]]
    sqs = client("sqs")
    for spec in resources.QUEUES:
        for name in (
            resources.queue_name(settings.stage, spec.logical_name),
            resources.dlq_name(settings.stage, spec.logical_name),
        ):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            for _ in range(20):
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
                    "Messages", []
                )
                if not messages:
                    break
                found += [(f"sqs/{name}", m["Body"] + json.dumps(m.get("MessageAttributes", {}))) for m in messages]
    s3 = client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=entry["Key"])["Body"].read()
                found.append((f"s3/{bucket['Name']}/{entry['Key']}", entry["Key"] + body.decode("utf-8", "replace")))
    return found


def _use_travel(api: Any, clock: Any, salon: Any, me: dict[str, str], name: str, phone: str, email: str) -> None:
    import requests

    owner = salon.owner.headers
    rates = {
        "base_currency": "EUR",
        "expected_version": 0,
        "effective_at": clock.now().isoformat(),
        "rates": {"IRR": "455000"},
    }
    assert api.put(f"/v1/businesses/{salon.business_id}/exchange-rates", rates, headers=owner).status == 200
    today = clock.now().date()
    filed = api.post(
        "/v1/travel-requests",
        {
            "business_id": salon.business_id,
            "service_type": "visa_support",
            "destination": f"Tehran with {name}",
            "start_date": (today + timedelta(days=20)).isoformat(),
            "end_date": (today + timedelta(days=25)).isoformat(),
            "travellers": 1,
            "notes": f"Passport holder {name}, reach me at {phone} or {email}",
        },
        headers=me,
    )
    assert filed.status == 201, filed.body
    request_id = filed.json["id"]
    staff_path = f"/v1/businesses/{salon.business_id}/travel-requests/{request_id}"
    assert api.post(f"/v1/travel-requests/{request_id}/messages", {"body": f"I am {name}"}, headers=me).status == 201
    assert api.post(f"{staff_path}/messages", {"body": f"Dear {name}, noted"}, headers=owner).status == 201
    quote = {
        "lines": [{"description": f"Visa for {name}", "quantity": 1, "unit_price": "80.00"}],
        "display_currencies": ["TOMAN"],
    }
    assert api.post(f"{staff_path}/quotes", quote, headers=owner).status == 201
    form = api.post(f"/v1/travel-requests/{request_id}/documents", {"content_type": "application/pdf"}, headers=me)
    assert form.status == 201, form.body
    content = f"%PDF passport of {name}, {phone}, {email}".encode()
    posted = requests.post(form.json["url"], data=form.json["fields"], files={"file": ("p.pdf", content)}, timeout=10)
    assert posted.status_code in (200, 201, 204)
    document = f"/v1/travel-requests/{request_id}/documents/{form.json['document_id']}"
    registered = api.put(
        document, {"kind": "passport_scan", "filename": f"{name}.pdf", "content_type": "application/pdf"}, headers=me
    )
    assert registered.status == 200, registered.body
    # (the business owner reads the document and the thread: audited staff reads)
    assert api.get(f"{staff_path}/documents/{form.json['document_id']}", headers=owner).status == 200
    assert api.get(f"{staff_path}/messages", headers=owner).status == 200


# What docs/privacy.md ("Surveys and support") keeps after erasure: the correspondence's text
# and files, pseudonymous (checked below: the user id is in none of it).
KEPT_CORRESPONDENCE = ('"SupportTicket"', '"SupportMessage"', '"SupportAttachment"')


def _kept(where: str, text: str) -> bool:
    if where.startswith("s3/") and "/support/" in where:
        return True  # an attachment's file (documents bucket, support/ prefix)
    return not where.startswith(("s3/", "sqs/", "logs", "std")) and any(kind in text for kind in KEPT_CORRESPONDENCE)


def _surveys_and_support(
    api: Any,
    clock: Any,
    notify: Any,
    salon: Any,
    operator: Any,
    login: dict[str, str],
    canary: dict[str, str],
    tmp_path: Any,
) -> dict[str, str]:
    """The canary answers a survey of an attended visit and opens a ticket with an attachment,
    an operator reply and a call recording; returns fresh headers (the clock moved)."""
    import re
    import urllib.parse

    import requests

    from chalicelib.cli import support_recordings
    from tests.support.fixtures_bookings import relogin

    me = {"Authorization": f"Bearer {api.post('/v1/auth/login', login).json['access_token']}"}
    visit = api.post("/v1/bookings", salon.body(salon.at(1, "16:00"), salon.specialist_ids[2]), headers=me)
    assert visit.status == 201, visit.body
    clock.advance(timedelta(days=1, hours=12))
    me = {"Authorization": f"Bearer {api.post('/v1/auth/login', login).json['access_token']}"}
    relogin(salon.owner), relogin(operator)
    path = f"/v1/businesses/{salon.business_id}/bookings/{visit.json['id']}/attended"
    assert api.post(path, headers=salon.owner.headers).status == 200
    notify.drain()
    [link] = [u for _, body in notify.outbox.sms() for u in re.findall(r"https?://\S+/v1/survey\?token=\S+", body)]
    token = urllib.parse.quote(urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0])
    answer = {
        "attended": True,
        "feedback": f"{canary['name']} liked it",
        "prices": {"offered_minor": 3500, "paid_minor": 3500, "currency": "EUR"},
    }
    assert api.post(f"/v1/survey?token={token}", answer).status == 201
    ticket = api.post(
        "/v1/support/tickets",
        {
            "subject": f"Help for {canary['name']}",
            "category": "booking",
            "message": f"Call me at {canary['phone']}",
            "booking_id": visit.json["id"],
        },
        headers=me,
    )
    assert ticket.status == 201, ticket.body
    ticket_id = ticket.json["ticket"]["ticket_id"]
    form = api.post(
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": f"{canary['name']}.txt", "content_type": "text/plain", "size_bytes": 100},
        headers=me,
    ).json
    requests.post(form["url"], data=form["fields"], files={"file": ("c.txt", canary["email"].encode())}, timeout=10)
    assert (
        api.post(f"/v1/support/tickets/{ticket_id}/attachments/{form['attachment_id']}/complete", headers=me).status
        == 200
    )
    assert (
        api.post(
            f"/v1/support/tickets/{ticket_id}/messages", {"body": "We will call back."}, headers=operator.headers
        ).status
        == 201
    )
    assert api.get(f"/v1/support/tickets/{ticket_id}", headers=operator.headers).status == 200
    recording = tmp_path / "call.mp3"
    recording.write_bytes(f"ID3 {canary['name']} {canary['phone']}".encode())
    assert support_recordings.main([ticket_id, str(recording), "--operator", operator.user_id]) == 0
    return me


@pytest.mark.timeout(600)  # every feature used, then 30 + 60 days of sweeps: ~150 s on a shared machine
def test_no_trace_of_a_deleted_user_is_left_anywhere(
    api, clock, notify, salon, buckets, monkeypatch, capfd, signup, operator, tmp_path
):
    # proves: RET-1
    # proves: RET-7
    # proves: RET-2
    # proves: RET-9
    # proves: RIGHT-4
    # proves: SEC-6
    # proves: TRV-2
    from chalicelib.observability import logger as app_logger

    powertools_handler = app_logger.registered_handler
    collected = _Collect(powertools_handler.formatter)
    logging.getLogger().addHandler(collected)
    app_logger.addHandler(collected)

    # Given a canary user with a unique name, phone and e-mail
    suffix = _letters(10)
    name = f"Canary{suffix.capitalize()} Zyxwort"
    renamed = f"Canary{suffix.capitalize()} Quillbeck"
    phone = unique_phone()
    email = f"canary.{suffix}@example.org"
    canaries = [name, renamed, f"Canary{suffix.capitalize()}", phone, phone.lstrip("+"), email, suffix]

    registered = api.post(
        "/v1/auth/register",
        {
            "name": name,
            "phone": phone,
            "email": email,
            "password": f"pw-{suffix}-long-enough",
            "age_16_or_older": True,
            "terms_version": get_settings().terms_version,
        },
    )
    assert registered.status == 201, registered.body
    me = {"Authorization": f"Bearer {registered.json['access_token']}"}

    # When they use every feature there is
    assert api.post("/v1/auth/login", {"login": email, "password": f"pw-{suffix}-long-enough"}).status == 200
    assert api.post("/v1/auth/otp", {"phone": phone}).status in (200, 202)
    assert api.patch("/v1/me", {"name": renamed}, headers=me).status == 200
    assert api.get("/v1/me", headers=me).status == 200
    assert (
        api.put(
            "/v1/me/consents",
            {
                "location": True,
                "partner_marketing": [
                    {"partner_id": "all", "granted": True},
                    {"partner_id": salon.business_id, "granted": True},
                ],
            },
            headers=me,
        ).status
        == 200
    )
    assert (
        api.put(
            "/v1/me/notification-preferences",
            {"choices": [{"category": "reminders", "channel": "email", "enabled": True}]},
            headers=me,
        ).status
        == 200
    )
    device = api.post("/v1/me/devices", {"platform": "fcm", "token": f"fcm-token-{suffix}"}, headers=me)
    assert device.status in (200, 201), device.body
    assert api.put(f"/v1/me/favorites/{salon.venue_id}", headers=me).status in (200, 201, 204)
    start = salon.at(3, "10:00")
    booked = api.post(
        "/v1/bookings", salon.body(start, salon.specialist_ids[0], notes=f"Please call {name} at {phone}"), headers=me
    )
    assert booked.status == 201, booked.body
    booking_id = booked.json["id"]
    assert (
        api.post(
            f"/v1/bookings/{booking_id}/reschedule", {"start": salon.at(4, "11:00").isoformat()}, headers=me
        ).status
        == 200
    )
    assert api.get(f"/v1/bookings/{booking_id}/calendar.ics", headers=me).status == 200
    second = api.post("/v1/bookings", salon.body(salon.at(5, "12:00"), salon.specialist_ids[1]), headers=me)
    assert second.status == 201
    assert api.post(f"/v1/bookings/{second.json['id']}/cancel", headers=me).status == 200
    assert api.get("/v1/me/bookings", headers=me).status == 200
    # (the business reads the booking: a staff read of customer data, audited)
    assert (
        api.get(f"/v1/businesses/{salon.business_id}/bookings/{booking_id}", headers=salon.owner.headers).status == 200
    )
    assert api.post("/v1/me/exports", headers=me).status == 201
    monkeypatch.setattr(exports, "INLINE_LIMIT_BYTES", 0)
    assert api.post("/v1/me/exports", headers=me).status == 201
    assert (
        api.post(
            "/v1/me/privacy-requests", {"kind": "rectification", "details": f"I am {name}, {email}"}, headers=me
        ).status
        == 201
    )
    # (reviews: an attended visit reviewed with text naming them, and another customer's review reported)
    from chalicelib.store import reviews as review_store
    from tests.support.fixtures_reviews import seed_visit

    me_id = api.get("/v1/me", headers=me).json["user_id"]
    visit = seed_visit(salon, me_id, clock.now() - timedelta(hours=1))
    reviewed = api.post(
        f"/v1/bookings/{visit.booking_id}/review",
        {"ratings": {"overall": 5, "staff": 4}, "text": f"{name} loved it; call {phone}"},
        headers=me,
    )
    assert reviewed.status == 201, reviewed.body
    other = signup(name="Other Reviewer")
    other_visit = seed_visit(salon, other.user_id, clock.now() - timedelta(hours=1))
    other_review = api.post(
        f"/v1/bookings/{other_visit.booking_id}/review", {"ratings": {"overall": 2}}, headers=other.headers
    )
    assert other_review.status == 201, other_review.body
    reported = api.post(
        f"/v1/reviews/{other_review.json['id']}/reports", {"reason": "other", "text": f"{email} says no"}, headers=me
    )
    assert reported.status == 201, reported.body
    aggregate = review_store.aggregate(salon.business_id, "venue", salon.venue_id)
    assert aggregate is not None and aggregate.totals.count == 2

    # (travel: a request with the canary in its notes, a thread, a quote, and a document whose
    # file holds the canary; the salon's business publishes rates to take travel requests)
    _use_travel(api, clock, salon, me, name, phone, email)
    _run_consumers(notify)
    from chalicelib.schedules import run_reminders

    run_reminders()
    # proves: REV-3
    # proves: RET-6
    login = {"login": email, "password": f"pw-{suffix}-long-enough"}
    me = _surveys_and_support(
        api, clock, notify, salon, operator, login, {"name": name, "phone": phone, "email": email}, tmp_path
    )
    user_id = api.get("/v1/me", headers=me).json["user_id"]

    # (the scan below can see the canary: it is in the table, S3 and the export before erasure)
    before = {where.split("/")[0] for where, text in _everything_stored() if any(c in text for c in canaries)}
    assert {"s3"} <= before and any(where.startswith(get_settings().resolved_table_name()) for where in before)

    # And then delete the account
    assert api.delete("/v1/me", headers=me).status == 202  # the rest runs as a background job
    # When the clock moves 30 days and the schedules and consumers run
    for days in (1, 7, 7, 7, 8):
        clock.advance(timedelta(days=days))
        run_reminders()
        sweeps.run(clock.now())
        _run_consumers(notify)
    clock.advance(timedelta(hours=1))
    sweeps.run(clock.now())
    # (and past the call recording's 3 months)
    clock.advance(timedelta(days=60))
    sweeps.run(clock.now())

    # Then no canary string is anywhere: table, indexes, queues, DLQs, S3, logs
    out, err = capfd.readouterr()
    logs = [("logs", line) for line in collected.lines] + [("stdout", out), ("stderr", err)]
    assert collected.lines, "no log output was captured: the log scan would prove nothing"
    logging.getLogger().removeHandler(collected)
    app_logger.removeHandler(collected)
    stored = _everything_stored()
    leaks = [
        (where, canary, text[:300])
        for where, text in stored + logs
        for canary in canaries
        if canary in text and not _kept(where, text)
    ]
    # And what is kept of the correspondence is there, with no link to the account
    kept = [(where, text) for where, text in stored if _kept(where, text)]
    assert any('"SupportMessage"' in text for _, text in kept) and any("/support/" in where for where, _ in kept)
    assert not [where for where, text in kept if user_id in text], "the kept correspondence still names the account"
    assert not [where for where, text in stored if '"SurveyAnswer"' in text or "/recordings/" in where]
    assert not leaks, "canary found:\n" + "\n".join(f"{w}: {c!r} in {t}" for w, c, t in leaks[:20])
    # And the venue's rating counts only the other customer's review (the erasure moved it)
    aggregate = review_store.aggregate(salon.business_id, "venue", salon.venue_id)
    assert aggregate is not None and (aggregate.totals.count, aggregate.totals.overall_sum) == (1, 2)
    assert aggregate.totals.criteria_count["staff"] == 0
