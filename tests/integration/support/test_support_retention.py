"""Retention of support correspondence (RET-6), by time travel: a call recording (record and
S3 object) is gone 3 months after its upload; a closed ticket's correspondence (ticket,
messages, attachments' records and files) stays 5 years from the close, then goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib.retention_rules import window
from tests.support.fixtures_bookings import relogin


@pytest.fixture(autouse=True)
def _short_lookback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each time-travelled run reads the last 3 days' deadlines rather than 60 (what is due
    here is due within a day of the run): the runs stay quick on moto."""
    from chalicelib.privacy import sweeps

    monkeypatch.setattr(sweeps, "FIRST_RUN_LOOKBACK_DAYS", 3)


TICKET = {"subject": "Rude staff", "category": "complaint", "message": "The receptionist shouted at me."}


def _partition(ticket_id: str) -> list[str]:
    from chalicelib.store import db
    from chalicelib.store.support import ticket_pk
    from chalicelib.store.table import TableItem

    return sorted(type(item).__name__ for item in db.query(TableItem, ticket_pk(ticket_id), consistent=True))


def _keys(bucket: str, prefix: str) -> list[str]:
    from chalicelib.store import objects

    return list(objects.keys_under(bucket, prefix))


def test_a_call_recording_is_gone_three_months_after_its_upload(api, customer, clock, buckets, tmp_path):
    # proves: RET-6
    from chalicelib.cli import support_recordings
    from chalicelib.privacy import sweeps

    # Given a ticket and a recording the operator tool uploaded (the sweep's cursor stays at
    # the real start: each time-travelled run looks back from its own now)
    start = clock.now()
    ticket_id = api.post("/v1/support/tickets", TICKET, headers=customer.headers).json["ticket"]["ticket_id"]
    audio = tmp_path / "call.mp3"
    audio.write_bytes(b"ID3" + b"\x00" * 64)
    assert support_recordings.main([ticket_id, str(audio), "--operator", "op-1"]) == 0
    assert "CallRecording" in _partition(ticket_id)
    assert len(_keys("recordings", f"recordings/{ticket_id}/")) == 1
    # And it is encrypted with the KMS key
    from chalicelib.aws_clients import client
    from chalicelib.store import objects

    [key] = _keys("recordings", f"recordings/{ticket_id}/")
    head = client("s3").head_object(Bucket=objects.bucket_name("recordings"), Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    # When the sweep runs a day before the window (3 months) ends, it stays
    assert window("call_recordings") == timedelta(days=90)
    clock.advance(window("call_recordings") - timedelta(days=1))
    sweeps.run(clock.now(), wall=start)
    assert "CallRecording" in _partition(ticket_id)
    # When the window has passed and the sweep runs
    clock.advance(timedelta(days=2))
    sweeps.run(clock.now(), wall=start)
    # Then neither the record nor the object remains; the ticket itself (still open) does
    assert "CallRecording" not in _partition(ticket_id)
    assert _keys("recordings", f"recordings/{ticket_id}/") == []
    assert "SupportTicket" in _partition(ticket_id)


def test_a_closed_tickets_correspondence_stays_five_years_then_goes(api, customer, clock, operator, buckets):
    # proves: RET-6
    from chalicelib.privacy import sweeps

    # Given a ticket with an operator reply and an attachment, then closed
    start = clock.now()
    ticket_id = api.post("/v1/support/tickets", TICKET, headers=customer.headers).json["ticket"]["ticket_id"]
    form = api.post(
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": "note.txt", "content_type": "text/plain", "size_bytes": 5},
        headers=customer.headers,
    ).json
    requests.post(form["url"], data=form["fields"], files={"file": ("n.txt", b"hello")}, timeout=10)
    complete = f"/v1/support/tickets/{ticket_id}/attachments/{form['attachment_id']}/complete"
    assert api.post(complete, headers=customer.headers).status == 200
    relogin(operator)
    api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "We are sorry."}, headers=operator.headers)
    # An open ticket has no deadline: a year on, the sweep leaves it alone
    clock.advance(timedelta(days=365))
    sweeps.run(clock.now(), wall=start)
    everything = ["SupportAttachment", "SupportMessage", "SupportMessage", "SupportTicket"]
    assert _partition(ticket_id) == everything
    relogin(operator)
    closed = api.post(
        f"/v1/operator/support/tickets/{ticket_id}/status", {"status": "closed"}, headers=operator.headers
    )
    assert closed.status == 200
    # When the sweep runs a day before 5 years after the close, everything stays
    assert window("correspondence") == timedelta(days=1826)
    clock.advance(window("correspondence") - timedelta(days=1))
    sweeps.run(clock.now(), wall=start)
    assert _partition(ticket_id) == everything
    assert len(_keys("documents", f"support/{ticket_id}/")) == 1
    # When the window has passed
    clock.advance(timedelta(days=2))
    sweeps.run(clock.now(), wall=start)
    # Then the ticket, its messages, the attachment's record and its file are gone
    assert _partition(ticket_id) == []
    assert _keys("documents", f"support/{ticket_id}/") == []


def test_the_recordings_bucket_expires_objects_on_the_manifest_window_with_kms():
    from infra import template as infra_template

    rules = infra_template._lifecycle("recordings")
    assert {"Id": "recordings-expire", "Status": "Enabled", "ExpirationInDays": 90} in rules
    assert infra_template.recordings_expire_days() == window("call_recordings").days
    built: dict[str, Any] = infra_template.buckets("test")
    bucket = built[infra_template.bucket_logical_id("recordings")]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "aws:kms"
