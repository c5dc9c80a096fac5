"""A travel customer's rights: the export holds requests, threads, quotes and document
metadata with links to the files; the erasure removes documents (items and files) at once
and the rest of the requests with them."""

from __future__ import annotations

from datetime import timedelta

import requests

from chalicelib.store import objects
from tests.support.fixtures_bookings import table_items

TRAVEL = ("TravelRequestRecord", "TravelMessageRecord", "TravelQuoteRecord", "TravelDocumentRecord")


def _filled(api, desk) -> tuple[str, str]:
    request_id = desk.file()["id"]
    api.post(
        f"/v1/travel-requests/{request_id}/messages", {"body": "My passport is attached"}, headers=desk.customer.headers
    )
    api.post(desk.staff_path(request_id, "/messages"), {"body": "Thanks"}, headers=desk.owner.headers)
    line = {"description": "Visa", "quantity": 1, "unit_price": "80.00"}
    assert api.post(desk.staff_path(request_id, "/quotes"), {"lines": [line]}, headers=desk.owner.headers).status == 201
    document_id = desk.upload(request_id, b"%PDF passport")
    assert desk.register(request_id, document_id).status == 200
    return request_id, document_id


def test_the_export_holds_the_travel_data_and_links_to_the_files(api, travel_desk, clock):
    # proves: TRV-2
    from chalicelib.privacy import export_document

    desk = travel_desk
    request_id, document_id = _filled(api, desk)
    # When the customer's export is built
    records = export_document.build(desk.customer.user_id, clock.now())["records"]
    # Then it holds the request, both messages, the quote and the document's metadata
    assert [r["request_id"] for r in records["TravelRequestRecord"]] == [request_id]
    assert sorted(m["body"] for m in records["TravelMessageRecord"]) == ["My passport is attached", "Thanks"]
    assert records["TravelQuoteRecord"][0]["total"] == "80.00"
    [document] = records["TravelDocumentRecord"]
    assert document["document_id"] == document_id and document["filename"] == "passport.pdf"
    # and the file as a presigned link that downloads it,
    assert requests.get(document["download_url"], timeout=10).content == b"%PDF passport"
    # saying honestly that the link is short-lived (the export file lives 7 days) and where a
    # fresh one comes from: the owner's GET, which answers a working link
    assert document["download_url_expires_at"] == (clock.now() + timedelta(minutes=15)).isoformat(timespec="seconds")
    fresh = f"/v1/travel-requests/{request_id}/documents/{document_id}"
    assert document["fresh_download_url_from"] == f"GET {fresh}"
    renewed = api.get(fresh, headers=desk.customer.headers)
    assert renewed.status == 200, renewed.body
    assert requests.get(renewed.json["url"], timeout=10).content == b"%PDF passport"


def test_erasure_removes_documents_and_their_files_at_once_and_the_requests(api, travel_desk, clock):
    # proves: RET-9
    # proves: TRV-2
    from chalicelib.privacy import erasure

    desk = travel_desk
    request_id, document_id = _filled(api, desk)
    key = f"travel/{desk.business_id}/{request_id}/{document_id}"
    assert objects.object_info("documents", key) is not None
    # When the customer's account is erased (the job's steps, synchronously)
    erasure.apply_erasure(desk.customer.user_id, clock.now(), clock.now())
    # Then the file and every travel item of the customer are gone at once
    assert objects.object_info("documents", key) is None
    assert table_items(TRAVEL) == []
    # and the business's exchange rates are untouched
    assert table_items(["ExchangeRateTable"]) != []
