"""Travel documents (TRV-2, RET-9): uploads bounded by the signed policy and re-checked before
registration, read only by the owner and the staff who need them (each staff read audited),
and deleted with their files after the request closes."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import requests

from chalicelib.domain.identity import Role
from chalicelib.store import objects
from tests.support.fixtures_bookings import make_salon


def _document_reads(business_id: str) -> list[tuple[str, str]]:
    from chalicelib.store.audit import list_records

    return sorted((r.actor, r.target_id) for r in list_records(business_id) if r.target_entity == "TravelDocument")


def _object_key(desk, request_id: str, document_id: str) -> str:
    return f"travel/{desk.business_id}/{request_id}/{document_id}"


def test_only_the_owner_and_the_staff_who_need_it_get_a_link_and_each_staff_read_is_audited(
    api, travel_desk, staff, signup, clock
):
    # proves: TRV-2
    # proves: SEC-6
    desk = travel_desk
    assigned = staff(desk.business_id, Role.SPECIALIST, name="Assigned Agent")
    unassigned = staff(desk.business_id, Role.SPECIALIST, name="Other Agent")
    elsewhere_owner = signup(name="Other Agency Owner")
    make_salon(elsewhere_owner, clock.now())
    other_customer = signup(name="Other Customer")
    # Given a request assigned to one agent, with a registered passport scan
    request_id = desk.file()["id"]
    api.post(desk.staff_path(request_id, "/assign"), {"user_id": assigned.user_id}, headers=desk.owner.headers)
    document_id = desk.upload(request_id, b"%PDF-1.7 passport of the customer")
    registered = desk.register(request_id, document_id)
    assert registered.status == 200, registered.body
    assert registered.json["size_bytes"] == len(b"%PDF-1.7 passport of the customer")
    customer_path = f"/v1/travel-requests/{request_id}/documents/{document_id}"
    staff_path = desk.staff_path(request_id, f"/documents/{document_id}")

    # When each of them asks for the document
    # Then another business's staff, an unassigned specialist and another customer get 404, no URL
    for who, path in (
        (elsewhere_owner, staff_path),
        (unassigned, staff_path),
        (other_customer, staff_path),
        (other_customer, customer_path),
        (unassigned, desk.staff_path(request_id, "/documents")),
    ):
        answer = api.get(path, headers=who.headers)
        assert answer.status == 404, (who.name, path, answer.body)
        assert "url" not in answer.body.decode() and "X-Amz" not in answer.body.decode()
    assert _document_reads(desk.business_id) == []
    # and the owner of the document, the assigned agent and the business owner get a short-lived link
    links = {}
    for who, path in ((desk.customer, customer_path), (assigned, staff_path), (desk.owner, staff_path)):
        answer = api.get(path, headers=who.headers)
        assert answer.status == 200, (who.name, answer.body)
        links[who.name] = answer.json["url"]
        assert answer.json["url_expires_at"] <= (clock.now() + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    fetched = requests.get(links["Assigned Agent"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == b"%PDF-1.7 passport of the customer"
    # and each staff read (not the customer's own) has its audit record
    assert _document_reads(desk.business_id) == sorted(
        [(assigned.user_id, document_id), (desk.owner.user_id, document_id)]
    )


def test_the_signed_policy_bounds_type_size_and_encryption_of_an_upload(api, travel_desk):
    # proves: TRV-2
    desk = travel_desk
    request_id = desk.file()["id"]
    # When the customer asks for an upload form
    form = api.post(
        f"/v1/travel-requests/{request_id}/documents", {"content_type": "image/png"}, headers=desk.customer.headers
    )
    assert form.status == 201
    policy = json.loads(base64.b64decode(form.json["fields"]["policy"]))
    conditions = policy["conditions"]
    # Then S3 would refuse another type, a body outside 1 byte..the limit, no KMS, another key
    assert ["content-length-range", 1, form.json["max_bytes"]] in conditions
    assert form.json["max_bytes"] == 10 * 1024 * 1024
    assert {"Content-Type": "image/png"} in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"key": _object_key(desk, request_id, form.json["document_id"])} in conditions
    # and a type that is not a document is refused before any form is signed
    refused = api.post(
        f"/v1/travel-requests/{request_id}/documents", {"content_type": "text/html"}, headers=desk.customer.headers
    )
    assert refused.status == 422


def test_a_mismatching_upload_is_refused_deleted_and_registers_nothing(api, travel_desk, monkeypatch):
    # proves: TRV-2
    from chalicelib.services import travel
    from chalicelib.settings import get_settings

    desk = travel_desk
    request_id = desk.file()["id"]
    monkeypatch.setattr(
        travel, "_settings", lambda: get_settings().model_copy(update={"travel_upload_max_bytes": 2048})
    )
    # Given a file of another type than the form's, and one over the size limit (moto takes both)
    wrong_type = desk.upload(request_id, b"<html>not a pdf</html>", sent_type="text/html")
    too_big = desk.upload(request_id, b"%PDF" + b"x" * 4096)
    nothing = "0" * 32
    # When the customer registers them
    for document_id in (wrong_type, too_big):
        answer = desk.register(request_id, document_id)
        # Then each is refused (409 upload-mismatch) and its object deleted
        assert answer.status == 409 and answer.json["type"].endswith("upload-mismatch"), answer.body
        assert objects.object_info("documents", _object_key(desk, request_id, document_id)) is None
    assert desk.register(request_id, nothing).status == 409  # nothing uploaded under that id
    # and nothing is registered
    listed = api.get(f"/v1/travel-requests/{request_id}/documents", headers=desk.customer.headers)
    assert listed.json["items"] == []
    assert api.get(f"/v1/travel-requests/{request_id}", headers=desk.customer.headers).json["documents"] == 0


@pytest.mark.timeout(120)
def test_a_closed_requests_documents_and_files_are_gone_after_the_window(api, travel_desk, clock, monkeypatch):
    # proves: RET-9
    from chalicelib.privacy import sweeps
    from tests.support.fixtures_bookings import relogin

    monkeypatch.setattr(sweeps, "FIRST_RUN_LOOKBACK_DAYS", 3)  # a short walk: the deadlines are days ahead

    desk = travel_desk
    request_id = desk.file()["id"]
    document_id = desk.upload(request_id)
    assert desk.register(request_id, document_id).status == 200
    key = _object_key(desk, request_id, document_id)
    # Given the request closes (the customer cancels it)
    closed_at = clock.now()
    assert api.post(f"/v1/travel-requests/{request_id}/cancel", headers=desk.customer.headers).status == 200
    listed = api.get(f"/v1/travel-requests/{request_id}/documents", headers=desk.customer.headers).json["items"]
    assert listed[0]["delete_after"].startswith((closed_at + timedelta(days=30)).date().isoformat())
    # When 29 days pass and the sweep runs, the document is still there
    clock.advance(timedelta(days=29))
    sweeps.run(clock.now())
    assert objects.object_info("documents", key) is not None
    # When the window (30 days) has passed and the sweep runs
    clock.advance(timedelta(days=1, hours=1))
    sweeps.run(clock.now())
    # Then the item and its file are gone
    assert objects.object_info("documents", key) is None
    from tests.support.fixtures_bookings import table_items

    assert table_items(["TravelDocumentRecord"]) == []
    gone = api.get(f"/v1/travel-requests/{request_id}/documents/{document_id}", headers=relogin(desk.customer))
    assert gone.status == 404
