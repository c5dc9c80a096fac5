"""Support correspondence (RET-6): tickets, messages, the operators' queue, assignment, status
changes (audited, SEC-6) and attachments through presigned S3 POST."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import requests

from tests.support.fixtures_bookings import relogin

TICKET = {"subject": "Charged twice", "category": "payment", "message": "The venue charged me twice for one visit."}


def _audit(action: str) -> list[Any]:
    from chalicelib.store.audit import list_records

    return [r for r in list_records("platform") if r.action == action]


def _open(api: Any, person: Any, **extra: Any) -> dict[str, Any]:
    opened = api.post("/v1/support/tickets", {**TICKET, **extra}, headers=person.headers)
    assert opened.status == 201, opened.body
    return dict(opened.json)


def test_a_customer_and_operators_exchange_messages_through_the_states(api, salon, customer, clock, operator, signup):
    # proves: RET-6
    # Given a customer's booking, another customer, and an operator
    booking = api.post("/v1/bookings", salon.body(salon.at(1, "10:00")), headers=customer.headers).json
    stranger = signup(name="Stranger")
    # When the customer opens a ticket about their booking
    opened = _open(api, customer, booking_id=booking["id"])
    ticket_id = opened["ticket"]["ticket_id"]
    assert opened["ticket"]["status"] == "open" and opened["operator"] is None
    assert [m["author"] for m in opened["messages"]] == ["requester"]
    # Then a booking that is not theirs (nor their business's) is refused, naming the field
    theirs = api.post("/v1/support/tickets", {**TICKET, "booking_id": booking["id"]}, headers=stranger.headers)
    assert theirs.status == 422 and theirs.json["errors"][0]["field"] == "body.booking_id"
    # And the salon's owner may reference it (their business's booking)
    assert (
        api.post("/v1/support/tickets", {**TICKET, "booking_id": booking["id"]}, headers=salon.owner.headers).status
        == 201
    )
    # And it is in the customer's list, not the stranger's, who cannot read it either
    assert [t["ticket_id"] for t in api.get("/v1/support/tickets", headers=customer.headers).json["items"]] == [
        ticket_id
    ]
    assert api.get("/v1/support/tickets", headers=stranger.headers).json["items"] == []
    assert api.get(f"/v1/support/tickets/{ticket_id}", headers=stranger.headers).status == 404
    assert api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "hi"}, headers=stranger.headers).status == 404
    # When an operator looks at the queue: the ticket with its first-response due date (24 h)
    relogin(operator)
    queue = api.get("/v1/operator/support/tickets?status=open", headers=operator.headers)
    assert queue.status == 200
    [queued] = [t for t in queue.json["items"] if t["ticket_id"] == ticket_id]
    assert queued["operator"]["first_response_due"].startswith((clock.now() + timedelta(hours=24)).isoformat()[:16])
    assert queued["operator"]["opened_by"] == customer.user_id
    assert api.get("/v1/operator/support/tickets", headers=customer.headers).status == 403
    # When the operator reads it: the read is audited (SEC-6)
    read = api.get(f"/v1/support/tickets/{ticket_id}", headers=operator.headers)
    assert read.status == 200 and read.json["operator"]["opened_by"] == customer.user_id
    assert [r.target_id for r in _audit("support.ticket_read")] == [ticket_id]
    # When the operator assigns it to themself, answers and waits on the customer
    assigned = api.post(f"/v1/operator/support/tickets/{ticket_id}/assign", {}, headers=operator.headers)
    assert assigned.status == 200 and assigned.json["operator"]["assignee_id"] == operator.user_id
    clock.advance(timedelta(hours=2))
    relogin(operator), relogin(customer)
    reply = api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "Which day?"}, headers=operator.headers)
    assert reply.status == 201 and reply.json["author"] == "operator"
    waiting = api.post(
        f"/v1/operator/support/tickets/{ticket_id}/status", {"status": "waiting_on_customer"}, headers=operator.headers
    )
    assert waiting.status == 200 and waiting.json["status"] == "waiting_on_customer"
    assert waiting.json["operator"]["first_response_at"] is not None
    # Then the customer's answer reopens it
    clock.advance(timedelta(minutes=5))
    answer = api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "Last Tuesday."}, headers=customer.headers)
    assert answer.status == 201 and answer.json["author"] == "requester"
    view = api.get(f"/v1/support/tickets/{ticket_id}", headers=customer.headers).json
    assert view["ticket"]["status"] == "open" and view["ticket"]["message_count"] == 3
    assert [m["author"] for m in view["messages"]] == ["requester", "operator", "requester"]
    # When it is resolved and closed; a move the table does not list is a 409
    path = f"/v1/operator/support/tickets/{ticket_id}/status"
    assert api.post(path, {"status": "resolved"}, headers=operator.headers).status == 200
    assert api.post(path, {"status": "closed"}, headers=operator.headers).json["status"] == "closed"
    refused = api.post(path, {"status": "open"}, headers=operator.headers)
    assert refused.status == 409 and refused.json["type"] == "/problems/ticket-state"
    late = api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "One more thing"}, headers=customer.headers)
    assert late.status == 409 and late.json["type"] == "/problems/ticket-closed"
    # And every status change and the assignment were audited with the change
    moves = [r.summary.as_dict()["to"] for r in _audit("support.ticket_status") if r.target_id == ticket_id]
    assert sorted(moves) == sorted(["waiting_on_customer", "open", "resolved", "closed"])
    assert [r.target_id for r in _audit("support.ticket_assigned")] == [ticket_id]


def test_attachments_are_bounded_checked_before_registering_and_downloadable_only_by_the_parties(
    api, customer, operator, signup, buckets
):
    # proves: RET-6
    ticket_id = _open(api, customer)["ticket"]["ticket_id"]
    stranger = signup(name="Stranger")
    # When the customer asks to attach a 10-byte PDF
    asked = api.post(
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": "receipt.pdf", "content_type": "application/pdf", "size_bytes": 10},
        headers=customer.headers,
    )
    assert asked.status == 201, asked.body
    form = asked.json
    # Then the signed policy bounds size and type, demands KMS, and names the support/ key
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, 10] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in policy["conditions"]
    assert form["fields"]["key"] == f"support/{ticket_id}/{form['attachment_id']}"
    # And nothing uploaded yet cannot be completed
    complete = f"/v1/support/tickets/{ticket_id}/attachments/{form['attachment_id']}/complete"
    assert api.post(complete, headers=customer.headers).status == 409
    # When the file is posted and completed
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("r.pdf", b"%PDF-1.7 x")}, timeout=10)
    assert posted.status_code in (200, 201, 204)
    done = api.post(complete, headers=customer.headers)
    assert done.status == 200 and done.json["state"] == "ready" and done.json["size_bytes"] == 10
    # Then the parties get a short-lived link, nobody else does
    download = f"/v1/support/tickets/{ticket_id}/attachments/{form['attachment_id']}"
    link = api.get(download, headers=customer.headers)
    assert link.status == 200 and link.json["expires_in_seconds"] == 300 and "Expires=" in link.json["url"]
    relogin(operator)
    assert api.get(download, headers=operator.headers).status == 200
    assert api.get(download, headers=stranger.headers).status == 404
    # When an upload does not match its form (moto does not enforce the policy; S3 would)
    second = api.post(
        f"/v1/support/tickets/{ticket_id}/attachments",
        {"file_name": "photo.png", "content_type": "image/png", "size_bytes": 5},
        headers=customer.headers,
    ).json
    requests.post(
        second["url"], data=second["fields"], files={"file": ("p.png", b"far more than five bytes")}, timeout=10
    )
    from chalicelib.store import objects

    key = second["fields"]["key"]
    assert objects.object_info("documents", key) is not None
    bad = api.post(
        f"/v1/support/tickets/{ticket_id}/attachments/{second['attachment_id']}/complete", headers=customer.headers
    )
    # Then it is refused, the object deleted and the record gone
    assert bad.status == 422
    assert objects.object_info("documents", key) is None
    assert (
        api.get(f"/v1/support/tickets/{ticket_id}", headers=customer.headers).json["attachments"][0]["state"] == "ready"
    )
    assert len(api.get(f"/v1/support/tickets/{ticket_id}", headers=customer.headers).json["attachments"]) == 1


def test_the_contract_states_exactly_the_attachment_types_the_domain_accepts():
    from typing import get_args

    from chalicelib.domain.support import ATTACHMENT_TYPES
    from chalicelib.schemas.support import AttachmentType

    assert set(get_args(AttachmentType)) == ATTACHMENT_TYPES


def test_the_requester_is_told_of_each_operator_reply_once_without_its_text(api, customer, operator, notify):
    # Given a customer's ticket
    ticket_id = _open(api, customer)["ticket"]["ticket_id"]
    before = len(notify.outbox.sms())
    # When an operator replies twice and the customer answers once
    relogin(operator)
    for body in ("Which day was it?", "Refund on its way"):
        sent = api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": body}, headers=operator.headers)
        assert sent.status == 201
    assert (
        api.post(f"/v1/support/tickets/{ticket_id}/messages", {"body": "Tuesday"}, headers=customer.headers).status
        == 201
    )
    notify.drain()
    notify.drain()  # a second relay of the same events sends nothing more
    # Then the customer got exactly two notices, naming no text of the thread (SHARE-2)
    notices = [body for _, body in notify.outbox.sms()[before:]]
    assert len(notices) == 2, notices
    assert all("support" in body.lower() for body in notices)
    assert not any(text in body for body in notices for text in ("Which day", "Refund", "Tuesday"))
