"""Round trips of the travel store's entities (store/travel.py): values -> store write -> read
back -> equal, every field, at the extremes (instants at year 1 and 9999, long text, big
numbers and many-digit decimals), on moto and on DynamoDB Local."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.domain.travel import RequestStatus, ServiceType, Side, TravelRequest
from chalicelib.store import db
from chalicelib.store import travel as store

COVERS = (
    "TravelRequestRecord",
    "TravelMessageRecord",
    "TravelQuoteRecord",
    "TravelDocumentRecord",
    "ExchangeRateTable",
)
INSTANTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC),
    datetime(9999, 12, 1, 23, 59, 59, 999999, tzinfo=UTC),
]
LONG = "ü" * 2000


def _request(at: datetime, index: int) -> TravelRequest:
    return TravelRequest(
        request_id=f"r{index}",
        business_id="b1",
        customer_user_id="u1",
        service_type=ServiceType.VISA_SUPPORT,
        destination=LONG[:120],
        start_date=date(at.year, 1, 1),
        end_date=date(at.year, 12, 31),
        travellers=20,
        notes=LONG if index else None,
        status=RequestStatus.QUOTED,
        created_at=at,
        updated_at=at,
        first_response_due=at,
        version=2**53,
        assignee_user_id="s1" if index else None,
        first_response_at=at if index else None,
        closed_at=at if index else None,
        cancelled_by=Side.STAFF if index else None,
        latest_quote_id="q" * 32 if index else None,
        accepted_quote_id="q" * 32 if index else None,
        documents=20,
        messages=200,
        request_hash="f" * 64 if index else None,  # a keyed request (Idempotency-Key)
        message_keys={f"{n:032x}": at for n in range(200)} if index else {},
    )


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: str(at.year))
def test_travel_entities_round_trip(aws, at):
    # Given each entity written at an extreme instant
    for index in (0, 1):
        request = _request(at, index)
        tx = db.Transaction()
        store.add_request(tx, request)
        message = store.Message(
            f"m{index}", request.request_id, "u1", Side.CUSTOMER, LONG, at, "e" * 64 if index else None
        )
        store.add_message(tx, request, message)
        quote = store.Quote(
            quote_id=f"q{index}",
            request_id=request.request_id,
            business_id="b1",
            base_currency="IRR",
            lines=[{"description": LONG[:200], "quantity": 100, "unit_price": "999999999999.99", "amount": "1"}],
            total=Decimal("99999999999999.99"),
            displays=[{"currency": "TOMAN", "amount": "123456789012345", "approximate": True}],
            rate_version=2**31,
            rates={"USD": Decimal("0.00000001"), "EUR": Decimal("1000000000")},
            rates_effective_at=at,
            created_by="s1",
            created_at=at,
            expires_at=at,
            request_hash="d" * 64 if index else None,
        )
        store.add_quote(tx, request, quote)
        document = store.Document(
            document_id=f"d{index}",
            request_id=request.request_id,
            business_id="b1",
            customer_user_id="u1",
            kind="passport_scan",
            filename=LONG[:120],
            content_type="image/png",
            size_bytes=50 * 1024 * 1024,
            object_key=store.document_object_key("b1", request.request_id, f"d{index}"),
            uploaded_at=at,
        )
        store.add_document(tx, document)
        store.commit(tx)
        # When read back, Then every field is as written
        assert store.get_request(request.request_id) == request
        assert store.messages(request.request_id, 10, None)[0] == [message]
        assert store.get_message(request.request_id, message.message_id, at) == message
        assert store.get_quote(request.request_id, quote.quote_id) == quote
        assert store.get_document(request.request_id, document.document_id, datetime(1, 1, 1, tzinfo=UTC)) == document
    table = store.RateTable("b1", "EUR", 1, at, {"USD": Decimal("1.08250000"), "IRR": Decimal("455000")}, at)
    tx = db.Transaction()
    store.put_rates(tx, table, 0)
    store.commit(tx)
    assert store.get_rates("b1") == table
