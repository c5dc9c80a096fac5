"""Travel requests, their threads, quotes and documents, and businesses' exchange rates.

- request: ``TRV#<r>`` / ``REQUEST``; GSI1 ``USER#<customer>`` / ``TRV#<created>#<r>`` (the
  customer's list); GSI2 ``BIZ#<b>#TRV#<status>`` / ``<created>#<r>`` (the business's, by status)
- message: ``TRV#<r>`` / ``MSG#<sent>#<m>``; GSI1 ``USER#<customer>`` / ``TRVMSG#<r>#<sent>#<m>``
- quote: ``TRV#<r>`` / ``QUOTE#<q>``; GSI1 ``USER#<customer>`` / ``TRVQUOTE#<r>#<q>``
- document: ``TRV#<r>`` / ``DOC#<d>``; GSI1 ``USER#<customer>`` / ``TRVDOC#<r>#<d>``; ByExpiry
  once the request closed (RET-9)
- rate table: ``BIZ#<b>`` / ``FXRATES`` (current) and ``FXRATES#<version:08d>`` (each version)

Every item of a request carries the customer's GSI1 key, so the customer's export and
erasure find all of it (chalicelib/store/subjects.py walks GSI1 ``USER#<u>``); the request's
own partition holds its thread, quotes and documents (one Query each). Every change to a
request is a put conditional on the ``version`` read (the service re-reads and retries), so a
document registered while the request closes cannot escape the closing's expiry stamp.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.travel import RequestStatus, ServiceType, Side, TravelRequest
from chalicelib.store import codec, db, retention
from chalicelib.store.codec import DayAttribute, InstantAttribute
from chalicelib.store.table import TableItem

REQUEST_SK = "REQUEST"
RATES_SK = "FXRATES"
REQUEST_ROLE = "travel-request"
NEW_REQUEST_ROLE = "travel-request-new"  # a create: its failure means the id exists (a keyed retry)


class TravelRequestRecord(TableItem, discriminator="TravelRequestRecord"):
    request_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    customer_user_id = UnicodeAttribute()
    service_type = UnicodeAttribute()
    destination = UnicodeAttribute()
    start_date = DayAttribute()
    end_date = DayAttribute()
    travellers = NumberAttribute()
    notes = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    assignee_user_id = UnicodeAttribute(null=True)
    first_response_due = InstantAttribute()
    first_response_at = InstantAttribute(null=True)
    closed_at = InstantAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    latest_quote_id = UnicodeAttribute(null=True)
    accepted_quote_id = UnicodeAttribute(null=True)
    documents = NumberAttribute(default=0)
    messages = NumberAttribute(default=0)
    created_at = InstantAttribute()
    updated_at = InstantAttribute()
    version = NumberAttribute()
    # Filed with an Idempotency-Key: the request it is bound to (the id derives from the key).
    request_hash = UnicodeAttribute(null=True)
    # JSON {message id: sent instant}: the messages posted with an Idempotency-Key (bounded)
    message_keys = UnicodeAttribute(null=True)


class TravelMessageRecord(TableItem, discriminator="TravelMessageRecord"):
    message_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    author_user_id = UnicodeAttribute()
    author_side = UnicodeAttribute()
    body = UnicodeAttribute()
    sent_at = InstantAttribute()
    # Posted with an Idempotency-Key: the request it is bound to (the id derives from the key).
    request_hash = UnicodeAttribute(null=True)


class TravelQuoteRecord(TableItem, discriminator="TravelQuoteRecord"):
    quote_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    base_currency = UnicodeAttribute()
    lines = UnicodeAttribute()  # JSON: [{"description", "quantity", "unit_price", "amount"}]
    total = UnicodeAttribute()  # decimal text in the base currency
    displays = UnicodeAttribute()  # JSON: the converted amounts as computed at quoting time
    rate_version = NumberAttribute()
    rates = UnicodeAttribute()  # JSON snapshot {code: decimal text} of the version used
    rates_effective_at = InstantAttribute()
    created_by = UnicodeAttribute()
    created_at = InstantAttribute()
    expires_at = InstantAttribute()
    accepted_at = InstantAttribute(null=True)
    # Made with an Idempotency-Key: the request it is bound to (the id derives from the key).
    request_hash = UnicodeAttribute(null=True)


class TravelDocumentRecord(TableItem, discriminator="TravelDocumentRecord"):
    document_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    customer_user_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    object_key = UnicodeAttribute()
    uploaded_at = InstantAttribute()


class ExchangeRateTable(TableItem, discriminator="ExchangeRateTable"):
    """The current table (``FXRATES``) and, under ``FXRATES#<version>``, every version."""

    business_id = UnicodeAttribute()
    base_currency = UnicodeAttribute()
    version = NumberAttribute()
    effective_at = InstantAttribute()
    rates = UnicodeAttribute()  # JSON {code: decimal text}: 1 base = rate code
    updated_at = InstantAttribute()


# --- errors the service reacts to ------------------------------------------------------------


class RequestChanged(Exception):
    """The request's version moved on since it was read: re-read and retry."""


class AlreadyThere(Exception):
    """The item this write creates exists already (a document registered twice, a keyed
    request filed twice)."""


class QuoteUnavailable(Exception):
    """The quote was accepted already or has expired."""


class RatesChanged(Exception):
    """The rate table is no longer at the version the caller read."""


# --- keys --------------------------------------------------------------------------------------


def request_pk(request_id: str) -> str:
    return f"TRV#{request_id}"


def _customer_key(user_id: str) -> str:
    return f"USER#{user_id}"


def _status_key(business_id: str, status: RequestStatus) -> str:
    return f"BIZ#{business_id}#TRV#{status.value}"


def document_object_key(business_id: str, request_id: str, document_id: str) -> str:
    """Where the document's object lives in the "documents" bucket (the lifecycle rule's prefix)."""
    return f"travel/{business_id}/{request_id}/{document_id}"


# --- requests -----------------------------------------------------------------------------------


def _request_item(request: TravelRequest) -> TravelRequestRecord:
    created = codec.encode(request.created_at)
    return TravelRequestRecord(
        request_pk(request.request_id),
        REQUEST_SK,
        gsi1pk=_customer_key(request.customer_user_id),
        gsi1sk=f"TRV#{created}#{request.request_id}",
        gsi2pk=_status_key(request.business_id, request.status),
        gsi2sk=f"{created}#{request.request_id}",
        request_id=request.request_id,
        business_id=request.business_id,
        customer_user_id=request.customer_user_id,
        service_type=request.service_type.value,
        destination=request.destination,
        start_date=request.start_date,
        end_date=request.end_date,
        travellers=request.travellers,
        notes=request.notes,
        status=request.status.value,
        assignee_user_id=request.assignee_user_id,
        first_response_due=request.first_response_due,
        first_response_at=request.first_response_at,
        closed_at=request.closed_at,
        cancelled_by=request.cancelled_by.value if request.cancelled_by else None,
        latest_quote_id=request.latest_quote_id,
        accepted_quote_id=request.accepted_quote_id,
        documents=request.documents,
        messages=request.messages,
        created_at=request.created_at,
        updated_at=request.updated_at,
        version=request.version,
        request_hash=request.request_hash,
        message_keys=_message_keys(request.message_keys),
    )


def _message_keys(keys: Mapping[str, datetime]) -> str | None:
    return json.dumps({m: codec.encode(sent) for m, sent in keys.items()}, sort_keys=True) if keys else None


def _request(item: TravelRequestRecord) -> TravelRequest:
    return TravelRequest(
        request_id=item.request_id,
        business_id=item.business_id,
        customer_user_id=item.customer_user_id,
        service_type=ServiceType(item.service_type),
        destination=item.destination,
        start_date=item.start_date,
        end_date=item.end_date,
        travellers=int(item.travellers),
        notes=item.notes,
        status=RequestStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        first_response_due=item.first_response_due,
        version=int(item.version),
        assignee_user_id=item.assignee_user_id,
        first_response_at=item.first_response_at,
        closed_at=item.closed_at,
        cancelled_by=Side(item.cancelled_by) if item.cancelled_by else None,
        latest_quote_id=item.latest_quote_id,
        accepted_quote_id=item.accepted_quote_id,
        documents=int(item.documents or 0),
        messages=int(item.messages or 0),
        request_hash=item.request_hash,
        message_keys={m: codec.decode(sent) for m, sent in json.loads(item.message_keys or "{}").items()},
    )


def get_request(request_id: str) -> TravelRequest | None:
    """One GetItem (strongly consistent: changes are conditional on its version)."""
    item = db.get(TravelRequestRecord, request_pk(request_id), REQUEST_SK)
    return _request(item) if item else None


def add_request(tx: db.Transaction, request: TravelRequest) -> None:
    tx.put(_request_item(request), role=NEW_REQUEST_ROLE, condition=TravelRequestRecord.pk.does_not_exist())


def change_request(tx: db.Transaction, old: TravelRequest, new: TravelRequest) -> None:
    """The request's new state (``new.version`` = old + 1), on condition it is still at ``old``'s."""
    tx.put(_request_item(new), role=REQUEST_ROLE, condition=TravelRequestRecord.version == old.version)


def commit(tx: db.Transaction) -> None:
    """Commit, naming what failed: RequestChanged, AlreadyThere, QuoteUnavailable, RatesChanged."""
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if REQUEST_ROLE in cancelled.failed or cancelled.conflict:
            raise RequestChanged() from None
        if "travel-document" in cancelled.failed or NEW_REQUEST_ROLE in cancelled.failed:
            raise AlreadyThere() from None
        if "travel-quote" in cancelled.failed:
            raise QuoteUnavailable() from None
        if "rates" in cancelled.failed:
            raise RatesChanged() from None
        raise RequestChanged() from None


def customer_page(
    user_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[TravelRequest], dict[str, Any] | None]:
    """One Query on GSI1 (newest first)."""
    with db.sdk_errors():
        results = TravelRequestRecord.gsi1.query(
            _customer_key(user_id),
            TravelRequestRecord.gsi1sk.startswith("TRV#"),
            limit=limit,
            last_evaluated_key=after,
            scan_index_forward=False,
        )
        found = [_request(item) for item in results if isinstance(item, TravelRequestRecord)]
    return found, results.last_evaluated_key


def business_page(
    business_id: str, status: RequestStatus, limit: int, after: dict[str, Any] | None
) -> tuple[list[TravelRequest], dict[str, Any] | None]:
    """One Query on GSI2 (newest first)."""
    with db.sdk_errors():
        results = TravelRequestRecord.gsi2.query(
            _status_key(business_id, status), limit=limit, last_evaluated_key=after, scan_index_forward=False
        )
        found = [_request(item) for item in results if isinstance(item, TravelRequestRecord)]
    return found, results.last_evaluated_key


# --- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    message_id: str
    request_id: str
    author_user_id: str
    author_side: Side
    body: str
    sent_at: datetime
    request_hash: str | None = None  # posted with an Idempotency-Key: the request it is bound to


def add_message(tx: db.Transaction, request: TravelRequest, message: Message) -> None:
    sent = codec.encode(message.sent_at)
    item = TravelMessageRecord(
        request_pk(request.request_id),
        f"MSG#{sent}#{message.message_id}",
        gsi1pk=_customer_key(request.customer_user_id),
        gsi1sk=f"TRVMSG#{request.request_id}#{sent}#{message.message_id}",
        message_id=message.message_id,
        request_id=request.request_id,
        business_id=request.business_id,
        author_user_id=message.author_user_id,
        author_side=message.author_side.value,
        body=message.body,
        sent_at=message.sent_at,
        request_hash=message.request_hash,
    )
    tx.put(item, role="travel-message", condition=TravelMessageRecord.pk.does_not_exist())


def get_message(request_id: str, message_id: str, sent_at: datetime) -> Message | None:
    """One GetItem (the request's ``message_keys`` give the sent instant of a keyed message)."""
    item = db.get(TravelMessageRecord, request_pk(request_id), f"MSG#{codec.encode(sent_at)}#{message_id}")
    return _message(item) if item else None


def _message(i: TravelMessageRecord) -> Message:
    return Message(i.message_id, i.request_id, i.author_user_id, Side(i.author_side), i.body, i.sent_at, i.request_hash)


def messages(request_id: str, limit: int, after: dict[str, Any] | None) -> tuple[list[Message], dict[str, Any] | None]:
    """One Query on the request's partition, oldest first."""
    with db.sdk_errors():
        results = TravelMessageRecord.query(
            request_pk(request_id), TravelMessageRecord.sk.startswith("MSG#"), limit=limit, last_evaluated_key=after
        )
        found = [_message(i) for i in results if isinstance(i, TravelMessageRecord)]
    return found, results.last_evaluated_key


# --- quotes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    quote_id: str
    request_id: str
    business_id: str
    base_currency: str
    lines: list[dict[str, Any]]
    total: Decimal
    displays: list[dict[str, Any]]
    rate_version: int
    rates: dict[str, Decimal]
    rates_effective_at: datetime
    created_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    request_hash: str | None = None  # made with an Idempotency-Key: the request it is bound to


def _quote(item: TravelQuoteRecord) -> Quote:
    return Quote(
        quote_id=item.quote_id,
        request_id=item.request_id,
        business_id=item.business_id,
        base_currency=item.base_currency,
        lines=json.loads(item.lines),
        total=Decimal(item.total),
        displays=json.loads(item.displays),
        rate_version=int(item.rate_version),
        rates={code: Decimal(text) for code, text in json.loads(item.rates).items()},
        rates_effective_at=item.rates_effective_at,
        created_by=item.created_by,
        created_at=item.created_at,
        expires_at=item.expires_at,
        accepted_at=item.accepted_at,
        request_hash=item.request_hash,
    )


def add_quote(tx: db.Transaction, request: TravelRequest, quote: Quote) -> None:
    item = TravelQuoteRecord(
        request_pk(request.request_id),
        f"QUOTE#{quote.quote_id}",
        gsi1pk=_customer_key(request.customer_user_id),
        gsi1sk=f"TRVQUOTE#{request.request_id}#{quote.quote_id}",
        quote_id=quote.quote_id,
        request_id=quote.request_id,
        business_id=quote.business_id,
        base_currency=quote.base_currency,
        lines=json.dumps(quote.lines, sort_keys=True),
        total=str(quote.total),
        displays=json.dumps(quote.displays, sort_keys=True),
        rate_version=quote.rate_version,
        rates=json.dumps({code: str(rate) for code, rate in quote.rates.items()}, sort_keys=True),
        rates_effective_at=quote.rates_effective_at,
        created_by=quote.created_by,
        created_at=quote.created_at,
        expires_at=quote.expires_at,
        request_hash=quote.request_hash,
    )
    tx.put(item, role="travel-quote", condition=TravelQuoteRecord.pk.does_not_exist())


def get_quote(request_id: str, quote_id: str) -> Quote | None:
    """One GetItem."""
    item = db.get(TravelQuoteRecord, request_pk(request_id), f"QUOTE#{quote_id}")
    return _quote(item) if item else None


def quotes(request_id: str) -> list[Quote]:
    """One Query (a request has few quotes), newest first."""
    found = db.query(TravelQuoteRecord, request_pk(request_id), TravelQuoteRecord.sk.startswith("QUOTE#"), limit=100)
    return sorted(
        (_quote(i) for i in found if isinstance(i, TravelQuoteRecord)), key=lambda q: q.created_at, reverse=True
    )


def accept_quote(tx: db.Transaction, quote: Quote, now: datetime) -> None:
    """Mark accepted, on condition nobody did and it has not expired."""
    item = TravelQuoteRecord(request_pk(quote.request_id), f"QUOTE#{quote.quote_id}")
    condition = TravelQuoteRecord.accepted_at.does_not_exist() & (TravelQuoteRecord.expires_at > now)
    tx.update(item, [TravelQuoteRecord.accepted_at.set(now)], role="travel-quote", condition=condition)


# --- documents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    document_id: str
    request_id: str
    business_id: str
    customer_user_id: str
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    object_key: str
    uploaded_at: datetime
    delete_after: datetime | None = None


def _document(item: TravelDocumentRecord) -> Document:
    return Document(
        document_id=item.document_id,
        request_id=item.request_id,
        business_id=item.business_id,
        customer_user_id=item.customer_user_id,
        kind=item.kind,
        filename=item.filename,
        content_type=item.content_type,
        size_bytes=int(item.size_bytes),
        object_key=item.object_key,
        uploaded_at=item.uploaded_at,
        delete_after=retention.due_at(item),
    )


def _document_item(document: Document) -> TravelDocumentRecord:
    return TravelDocumentRecord(
        request_pk(document.request_id),
        f"DOC#{document.document_id}",
        gsi1pk=_customer_key(document.customer_user_id),
        gsi1sk=f"TRVDOC#{document.request_id}#{document.document_id}",
        document_id=document.document_id,
        request_id=document.request_id,
        business_id=document.business_id,
        customer_user_id=document.customer_user_id,
        kind=document.kind,
        filename=document.filename,
        content_type=document.content_type,
        size_bytes=document.size_bytes,
        object_key=document.object_key,
        uploaded_at=document.uploaded_at,
    )


def add_document(tx: db.Transaction, document: Document) -> None:
    tx.put(_document_item(document), role="travel-document", condition=TravelDocumentRecord.pk.does_not_exist())


def get_document(request_id: str, document_id: str, now: datetime) -> Document | None:
    """One GetItem; a document past its deadline is gone for readers (the sweep may lag)."""
    item = db.get(TravelDocumentRecord, request_pk(request_id), f"DOC#{document_id}")
    if item is None or retention.is_expired(item, now):
        return None
    return _document(item)


def documents(request_id: str, now: datetime) -> list[Document]:
    """One Query (at most MAX_DOCUMENTS items)."""
    found = db.query(
        TravelDocumentRecord, request_pk(request_id), TravelDocumentRecord.sk.startswith("DOC#"), consistent=True
    )
    return [_document(i) for i in found if isinstance(i, TravelDocumentRecord) and not retention.is_expired(i, now)]


def expire_documents(tx: db.Transaction, found: list[Document], at: datetime) -> None:
    """Give each document its RET-9 deadline (the retention sweep deletes item and object)."""
    for document in found:
        item = _document_item(document)
        retention.set_expiry(item, at)
        actions = [
            TravelDocumentRecord.exp_pk.set(item.exp_pk),
            TravelDocumentRecord.exp_sk.set(item.exp_sk),
            TravelDocumentRecord.ttl.set(item.ttl),
        ]
        tx.update(item, actions, role="travel-document-expiry", condition=TravelDocumentRecord.pk.exists())


# --- exchange rates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateTable:
    business_id: str
    base_currency: str
    version: int
    effective_at: datetime
    rates: dict[str, Decimal]
    updated_at: datetime


def _rates_key(business_id: str) -> str:
    return f"BIZ#{business_id}"


def get_rates(business_id: str) -> RateTable | None:
    """One GetItem of the current table."""
    item = db.get(ExchangeRateTable, _rates_key(business_id), RATES_SK)
    if item is None:
        return None
    return RateTable(
        business_id=item.business_id,
        base_currency=item.base_currency,
        version=int(item.version),
        effective_at=item.effective_at,
        rates={code: Decimal(text) for code, text in json.loads(item.rates).items()},
        updated_at=item.updated_at,
    )


def put_rates(tx: db.Transaction, table: RateTable, expected_version: int) -> None:
    """The new current table on condition the current one is at ``expected_version`` (0: none
    yet), and the same as an immutable history item."""

    def item(sk: str) -> ExchangeRateTable:
        return ExchangeRateTable(
            _rates_key(table.business_id),
            sk,
            business_id=table.business_id,
            base_currency=table.base_currency,
            version=table.version,
            effective_at=table.effective_at,
            rates=json.dumps(_texts(table.rates), sort_keys=True),
            updated_at=table.updated_at,
        )

    current = (
        ExchangeRateTable.pk.does_not_exist()
        if expected_version == 0
        else (ExchangeRateTable.version == expected_version)
    )
    tx.put(item(RATES_SK), role="rates", condition=current)
    tx.put(item(f"{RATES_SK}#{table.version:08d}"), role="rates", condition=ExchangeRateTable.pk.does_not_exist())


def _texts(rates: Mapping[str, Decimal]) -> dict[str, str]:
    return {code: str(rate) for code, rate in rates.items()}
