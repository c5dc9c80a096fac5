"""Rights: access/portability export, erasure, privacy requests with due dates."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from chalicelib import queues
from chalicelib.aws_clients import client
from chalicelib.privacy import exports, jobs, requests, sweeps
from chalicelib.store import subjects as subject_store
from chalicelib.store import users

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "docs" / "export-schema.json").read_text())


def _drain_jobs() -> int:
    """Run the jobs worker over whatever is on the jobs queue (as Lambda would)."""
    sqs = client("sqs")
    handled = 0
    while True:
        received = sqs.receive_message(QueueUrl=queues.queue_url("jobs"), MaxNumberOfMessages=10)
        messages = received.get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            jobs.handle_event({"Records": [{"body": message["Body"]}]})
            sqs.delete_message(QueueUrl=queues.queue_url("jobs"), ReceiptHandle=message["ReceiptHandle"])
            handled += 1


def test_export_holds_every_category_of_my_data_and_nothing_about_anyone_else(api, signup, buckets):
    # proves: RIGHT-1
    # proves: RIGHT-2
    # Given two customers, one of whom has consents and a booking-free account
    me = signup(name="Agatha Export", email="agatha@example.org")
    other = signup(name="Bartholomew Other", email="bart@example.org")
    api.put("/v1/me/consents", {"location": True}, headers=me.headers)
    api.put("/v1/me/consents", {"location": True}, headers=other.headers)
    # When I ask for my export
    response = api.post("/v1/me/exports", headers=me.headers)
    # Then it comes back at once, structured as the published schema says
    assert response.status == 201
    body = response.json
    assert body["status"] == "ready"
    document = body["data"]
    Draft202012Validator(SCHEMA).validate(document)
    # And it holds my account, registration record and consents
    assert document["user_id"] == me.user_id
    assert document["records"]["User"][0]["name"] == "Agatha Export"
    assert document["records"]["User"][0]["phone"] == me.phone
    assert document["records"]["RegistrationRecord"][0]["terms_version"]
    assert document["records"]["ConsentState"][0]["kind"] == "location"
    assert {"account", "registration", "consent"} <= set(document["categories"])
    # And nothing about the other customer, and no secrets
    text = json.dumps(document)
    assert other.user_id not in text and "Bartholomew" not in text and other.phone not in text
    assert "_hash" not in text


def test_a_big_export_is_built_by_the_worker_behind_an_expiring_link_for_its_owner_only(
    api, signup, buckets, monkeypatch
):
    # proves: RIGHT-1
    # proves: RIGHT-2
    monkeypatch.setattr(exports, "INLINE_LIMIT_BYTES", 0)
    me = signup(name="Big Exporter")
    other = signup(name="Nosy Neighbour")
    # When I ask for an export that is too big to answer inline
    response = api.post("/v1/me/exports", headers=me.headers)
    assert response.status == 201 and response.json["status"] == "pending"
    export_id = response.json["export_id"]
    # And the jobs worker runs
    assert _drain_jobs() == 1
    # Then my export is ready behind a presigned link that expires
    ready = api.get(f"/v1/me/exports/{export_id}", headers=me.headers)
    assert ready.status == 200 and ready.json["status"] == "ready"
    assert "X-Amz-Expires=900" in ready.json["download_url"] or "Expires=" in ready.json["download_url"]
    stored = client("s3").get_object(Bucket=buckets["exports"], Key=f"exports/{me.user_id}/{export_id}.json")
    Draft202012Validator(SCHEMA).validate(json.loads(stored["Body"].read()))
    # And nobody else can see it
    assert api.get(f"/v1/me/exports/{export_id}", headers=other.headers).status == 404


def test_erasure_signs_out_everywhere_and_removes_personal_data_within_30_days(api, signup, clock, buckets, drain_jobs):
    # proves: RIGHT-4
    # proves: RET-1
    # proves: RET-3
    # Given a customer signed in on two devices, with consents
    me = signup(name="Erin Erase", email="erin@example.org")
    from chalicelib.services import sessions
    from chalicelib.store import users as user_store

    second = sessions.start(
        user_store.get_user(me.user_id),
        "register",
        sessions.ClientInfo(ip="fixture-2", user_agent="phone"),
        clock.now(),
    )
    second_device = {"Authorization": f"Bearer {second.access_token}"}
    assert api.get("/v1/me/consents", headers=second_device).status == 200
    api.put("/v1/me/consents", {"partner_marketing": [{"partner_id": "all", "granted": True}]}, headers=me.headers)
    # When they delete the account
    response = api.delete("/v1/me", headers=me.headers)
    assert response.status == 202
    assert response.json["status"] == "in_progress"
    assert response.json["personal_data_removed_by"].startswith((clock.now() + timedelta(days=30)).date().isoformat())
    # Then both sessions stop working at once
    assert api.get("/v1/me/consents", headers=me.headers).status == 401
    assert api.get("/v1/me/consents", headers=second_device).status == 401
    # And the account is closed at once, its e-mail and credentials gone
    profile = subject_store.get(users.user_pk(me.user_id), users.PROFILE)
    assert profile is not None and profile.values["active"] is False
    assert "email" not in profile.values and "password_hash" not in profile.values
    # And the phone can be registered again (the contact claim is freed)
    assert users.find_user_id("phone", me.phone) is None
    # And once the background job ran, the request is completed and the consents deleted
    assert [r.status for r in requests.mine(me.user_id, clock.now()) if r.kind == "erasure"] == ["in_progress"]
    assert drain_jobs() >= 1
    [erasure] = [r for r in requests.mine(me.user_id, clock.now()) if r.kind == "erasure"]
    assert erasure.request_id == response.json["request_id"]
    assert erasure.status == "completed" and erasure.completed_at == clock.now()
    remaining = {item.entity for item in subject_store.items_of(me.user_id)}
    assert "ConsentState" not in remaining and "ConsentEvent" not in remaining and "Session" not in remaining

    # When 30 days pass and the sweeps run
    clock.advance(timedelta(days=30, hours=1))
    sweeps.run(clock.now())
    # Then no personal data of the account is left, except the registration record (RET-3)
    left = subject_store.items_of(me.user_id)
    assert {item.entity for item in left} <= {"RegistrationRecord", "PrivacyRequest"}
    assert "Erin" not in _text(left) and me.phone not in _text(left)
    registration = subject_store.get(users.user_pk(me.user_id), "REGISTRATION")
    assert registration is not None
    deadline = datetime.strptime(registration.values["exp_sk"].split("#")[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert deadline.date() == (clock.now() - timedelta(days=30, hours=1) + timedelta(days=1826)).date()


def test_bookings_active_at_deletion_stay_30_days_for_the_business_then_are_anonymised(
    api, signup, salon, clock, buckets, drain_jobs
):
    # proves: RET-2
    # Given a customer with a booking next week, who then deletes the account
    me = signup(name="Bella Booker")
    start = salon.at(7, "10:00")
    made = api.post(
        "/v1/bookings", salon.body(start, salon.specialist_ids[0], notes="Quiet room please"), headers=me.headers
    )
    assert made.status == 201, made.body
    booking_id = made.json["id"]
    assert api.delete("/v1/me", headers=me.headers).status == 202
    assert drain_jobs() >= 1
    # Then for now the business still sees the booking, with who it is for
    booking = subject_store.get(f"BKG#{booking_id}", "BOOKING")
    assert booking.values["status"] in ("confirmed", "pending")
    assert booking.values["customer_user_id"] == me.user_id
    assert booking.values["notes"] == "Quiet room please"
    # When 29 days pass, the sweep leaves it alone
    clock.advance(timedelta(days=29))
    sweeps.run(clock.now())
    assert subject_store.get(f"BKG#{booking_id}", "BOOKING").values["customer_user_id"] == me.user_id
    # When 31 days have passed, the sweep anonymises it
    clock.advance(timedelta(days=2))
    sweeps.run(clock.now())
    anonymised = subject_store.get(f"BKG#{booking_id}", "BOOKING")
    assert anonymised is not None  # the business keeps its calendar history
    assert me.user_id not in _text([anonymised])
    assert "notes" not in anonymised.values and "gsi1pk" not in anonymised.values
    # And the profile is gone
    assert subject_store.get(users.user_pk(me.user_id), users.PROFILE) is None


def test_privacy_requests_carry_the_stricter_due_date_and_operators_see_them(api, signup, operator, clock):
    # proves: RIGHT-6
    me = signup(name="Quentin Query")
    # Given a request received on a Sunday (2026-11-22)
    assert clock.now().weekday() == 6
    response = api.post(
        "/v1/me/privacy-requests", {"kind": "access", "details": "What do you hold?"}, headers=me.headers
    )
    assert response.status == 201
    request = response.json
    # Then it is due 10 business days later (Friday 2026-12-04), earlier than one month
    assert request["status"] == "open"
    assert request["due_at"].startswith("2026-12-04")
    assert (
        api.get("/v1/me/privacy-requests", headers=me.headers).json["items"][0]["request_id"] == request["request_id"]
    )
    # And operators see it in their queue, not overdue yet
    queue = api.get("/v1/operator/privacy-requests?status=open", headers=operator.headers)
    assert queue.status == 200
    mine = [r for r in queue.json["items"] if r["request_id"] == request["request_id"]]
    assert mine and mine[0]["user_id"] == me.user_id and mine[0]["overdue"] is False
    # When the deadline passes unanswered, it shows as overdue
    from chalicelib.privacy import requests as privacy_requests

    later = clock.now() + timedelta(days=13)
    views, _ = privacy_requests.operator_queue(operator.user_id, "open", later, None)
    assert [privacy_requests.is_overdue(v, later) for v in views if v.request_id == request["request_id"]] == [True]
    # And an operator can close it, which records when
    closed = api.patch(
        f"/v1/operator/privacy-requests/{request['request_id']}", {"status": "completed"}, headers=operator.headers
    )
    assert closed.status == 200 and closed.json["completed_at"]
    assert (
        api.patch(
            f"/v1/operator/privacy-requests/{request['request_id']}", {"status": "completed"}, headers=operator.headers
        ).status
        == 409
    )


def test_customers_cannot_see_the_operator_queue(api, signup):
    # proves: RIGHT-6
    me = signup()
    assert api.get("/v1/operator/privacy-requests", headers=me.headers).status == 403


def test_an_objection_request_takes_effect_at_once(api, signup):
    # proves: RIGHT-5
    from chalicelib.privacy.consents import allows_partner_marketing

    me = signup()
    api.put("/v1/me/consents", {"partner_marketing": [{"partner_id": "all", "granted": True}]}, headers=me.headers)
    assert allows_partner_marketing(me.user_id, "biz1") is True
    response = api.post("/v1/me/privacy-requests", {"kind": "objection"}, headers=me.headers)
    assert response.json["status"] == "completed"
    assert allows_partner_marketing(me.user_id, "biz1") is False


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 12, 7, 9, tzinfo=UTC)),  # Monday -> Monday+2 weeks
        (datetime(2026, 11, 27, 9, tzinfo=UTC), datetime(2026, 12, 11, 9, tzinfo=UTC)),  # Friday
        (datetime(2026, 12, 24, 9, tzinfo=UTC), datetime(2027, 1, 7, 9, tzinfo=UTC)),  # across the year
    ],
)
def test_due_date_is_the_stricter_of_ten_business_days_and_one_month(received, due):
    # proves: RIGHT-6
    from chalicelib.privacy.requests import add_one_month, due_date

    assert due_date(received) == due
    assert add_one_month(datetime(2027, 1, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)


def _text(items: list) -> str:
    """Everything the stored items hold, as one text to search."""
    return json.dumps([asdict(item) for item in items], default=str)
