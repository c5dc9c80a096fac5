"""Travel requests (TRV-1), their documents (TRV-2) and quotes (TRV-3): the use cases.

A business takes travel requests once its operators have published an exchange-rate table
(services/exchange_rates.py): that table is what a travel desk needs to quote at all, so a
salon that never set one up receives no travel requests (404 for it), and no business item
or catalog shape changes. Staff are the business's members (memberships), any role; a
request's documents are readable only by its customer, the staff member it is assigned to
and the business's owners and managers (everyone else: 404, no URL).

Every change is one TransactWriteItems conditional on the request's version (a lost race
re-reads and retries): the request's new state with its audit record (SEC-6, pseudonymous
ids) and its domain event (the customer's notification, services/subscribers.py). Closing a
request (completed, cancelled) gives each of its documents the RET-9 deadline in that same
transaction; the retention sweep deletes the item and the file (privacy/sweeps.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from chalicelib import errors
from chalicelib.domain import currencies, idempotency
from chalicelib.domain.identity import Principal, Role
from chalicelib.domain.travel import (
    CLOSED,
    DOCUMENT_TYPES,
    MAX_DOCUMENTS,
    MAX_MESSAGES,
    QUOTABLE,
    DocumentKind,
    InvalidTransition,
    RequestStatus,
    ServiceType,
    Side,
    TravelRequest,
    check_dates,
    first_response_due,
    transition,
)
from chalicelib.store import db, objects
from chalicelib.store import travel as store

MAX_ATTEMPTS = 6
T = TypeVar("T")
BUCKET = "documents"  # logical name (chalicelib.resources.BUCKETS)
ANY_STAFF: frozenset[Role] = frozenset(Role)
MANAGERS: frozenset[Role] = frozenset({Role.OWNER, Role.MANAGER})
STAFF_TARGETS = frozenset({RequestStatus.IN_REVIEW, RequestStatus.COMPLETED, RequestStatus.CANCELLED})
_DOCUMENT_ID = re.compile(r"^[0-9a-f]{32}$")

Message = store.Message
Quote = store.Quote
Document = store.Document


def _settings() -> Any:
    from chalicelib.settings import get_settings

    return get_settings()


@dataclass(frozen=True)
class NewRequest:
    business_id: str
    service_type: ServiceType
    destination: str
    start_date: Any  # date
    end_date: Any  # date
    travellers: int
    notes: str | None = None

    def fingerprint(self) -> str:
        """What an Idempotency-Key is bound to: a retry must send the same request."""
        return idempotency.fingerprint(
            {
                "operation": "travel_request.create",
                "business_id": self.business_id,
                "service_type": self.service_type.value,
                "destination": self.destination,
                "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat(),
                "travellers": self.travellers,
                "notes": self.notes or None,
            }
        )


@dataclass(frozen=True)
class Replayable(Generic[T]):
    """What a keyed POST answers: ``replayed`` when a retry found the item its key made."""

    item: T
    replayed: bool = False


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: int
    unit_price: str  # decimal text in the base currency


@dataclass(frozen=True)
class UploadForm:
    document_id: str
    url: str
    fields: dict[str, str]
    content_type: str
    max_bytes: int
    expires_at: datetime


@dataclass(frozen=True)
class DocumentLink:
    document: Document
    url: str
    expires_at: datetime


class UploadMismatch(errors.Conflict):
    slug = "upload-mismatch"
    title = "The uploaded file is not what the form allowed"


# --- access -------------------------------------------------------------------------------------


def _not_found() -> errors.NotFound:
    return errors.NotFound("No such travel request")


def _own(principal: Principal, request_id: str) -> TravelRequest:
    """The caller's own request (one GetItem); anyone else's is 404, never confirmed."""
    request = store.get_request(request_id)
    if request is None or request.customer_user_id != principal.user_id:
        raise _not_found()
    return request


def _staff(principal: Principal, business_id: str, request_id: str) -> tuple[Role, TravelRequest]:
    """The caller's role in the business and its request (GetItem membership + GetItem)."""
    from chalicelib.services import authz

    role = authz.require_staff(principal, business_id, ANY_STAFF)
    request = store.get_request(request_id)
    if request is None or request.business_id != business_id:
        raise _not_found()
    return role, request


def _may_read_documents(role: Role, request: TravelRequest, principal: Principal) -> bool:
    return role in MANAGERS or request.assignee_user_id == principal.user_id


def _document_staff(principal: Principal, business_id: str, request_id: str) -> TravelRequest:
    """Staff who may read the request's documents, or 404 for everyone else (another
    business's staff, an unassigned specialist, a customer): no URL, no confirmation."""
    try:
        role, request = _staff(principal, business_id, request_id)
    except (errors.Forbidden, errors.NotFound):
        raise errors.NotFound("No such document") from None
    if not _may_read_documents(role, request, principal):
        raise errors.NotFound("No such document")
    return request


# --- the change idiom ------------------------------------------------------------------------------


def _retrying(
    read: Callable[[], TravelRequest],
    build: Callable[[TravelRequest, db.Transaction], TravelRequest],
    first: TravelRequest | None = None,
) -> TravelRequest:
    """Read the request (``first``: already read by the caller), build the change into a
    transaction, commit; a concurrent change (the version moved) re-reads and rebuilds."""
    for attempt in range(MAX_ATTEMPTS):
        old = first if attempt == 0 and first is not None else read()
        tx = db.Transaction()
        new = build(old, tx)
        try:
            store.commit(tx)
        except store.RequestChanged:
            continue
        return new
    raise errors.Conflict("The request is being changed right now; try again")


def _next(old: TravelRequest, now: datetime, **changes: Any) -> TravelRequest:
    return replace(old, updated_at=now, version=old.version + 1, **changes)


def _audit(
    tx: db.Transaction, principal: Principal, request: TravelRequest, action: str, now: datetime, **summary: str
) -> None:
    from chalicelib.privacy import audit

    audit.record(
        tx,
        tenant=request.business_id,
        actor=principal.user_id,
        action=action,
        entity="TravelRequest",
        entity_id=request.request_id,
        at=now,
        summary=summary,
    )


def _event(tx: db.Transaction, kind: str, event_id: str, request: TravelRequest, by: Side, now: datetime) -> None:
    from chalicelib.services import events

    payload = {
        "request_id": request.request_id,
        "business_id": request.business_id,
        "customer_user_id": request.customer_user_id,
        "status": request.status.value,
        "by": by.value,
    }
    events.record(tx, events.DomainEvent(kind, event_id, payload), now)


def _move(
    tx: db.Transaction,
    principal: Principal,
    old: TravelRequest,
    target: RequestStatus,
    side: Side,
    now: datetime,
    **changes: Any,
) -> TravelRequest:
    """A status change into ``tx``: the state machine's check, the request, its audit record,
    its event and, when it closes, the RET-9 deadline of each of its documents (one Query)."""
    from chalicelib.notify.travel import TRAVEL_STATUS
    from chalicelib.retention_rules import window

    transition(old.status, target, side)
    closing = target in CLOSED
    new = _next(
        old,
        now,
        status=target,
        closed_at=now if closing else None,
        cancelled_by=side if target is RequestStatus.CANCELLED else old.cancelled_by,
        **changes,
    )
    store.change_request(tx, old, new)
    _audit(
        tx, principal, new, "travel_request.status", now, from_status=old.status.value, to=target.value, by=side.value
    )
    _event(tx, TRAVEL_STATUS, f"{old.request_id}:status:{new.version}", new, side, now)
    if closing:
        store.expire_documents(tx, store.documents(old.request_id, now), now + window("travel_documents"))
    return new


# --- the customer's side ---------------------------------------------------------------------------


def _keyed_id(principal: Principal, operation: str, key: str | None) -> str:
    """The new item's id: derived from the Idempotency-Key (checked), else random."""
    if key is None:
        return uuid.uuid4().hex
    idempotency.check_key(key)
    return idempotency.derived_id(principal.user_id, operation, key)


def _bound(found: T | None, found_hash: str | None, request_hash: str) -> Replayable[T] | None:
    """An earlier item this key made (a replay), None if there is none; the same key with
    another request is refused (422 idempotency-key-reused, as bookings)."""
    if found is None:
        return None
    if found_hash != request_hash:
        raise idempotency.IdempotencyKeyReused()
    return Replayable(found, replayed=True)


def create_request(
    principal: Principal, new: NewRequest, now: datetime, idempotency_key: str | None = None
) -> Replayable[TravelRequest]:
    """With an Idempotency-Key the request's id derives from (caller, operation, key), so a
    retry's conditional put fails and it answers the request the key filed. Calls: [GetItem
    request, with a key] + GetItem rate table (the business takes travel requests) +
    TransactWriteItems (request, audit) [+ GetItem request, when a keyed twin won]."""
    request_id = _keyed_id(principal, "POST /v1/travel-requests", idempotency_key)
    request_hash = new.fingerprint() if idempotency_key is not None else None
    if request_hash is not None:
        replay = _replayed_request(request_id, request_hash)
        if replay is not None:
            return replay
    settings = _settings()
    problems = check_dates(new.start_date, new.end_date, now.date(), settings.travel_horizon_days)
    if problems:
        raise errors.InvalidInput(problems)
    if store.get_rates(new.business_id) is None:
        raise errors.NotFound("No such travel business")
    request = TravelRequest(
        request_id=request_id,
        business_id=new.business_id,
        customer_user_id=principal.user_id,
        service_type=new.service_type,
        destination=new.destination,
        start_date=new.start_date,
        end_date=new.end_date,
        travellers=new.travellers,
        notes=new.notes or None,
        status=RequestStatus.NEW,
        created_at=now,
        updated_at=now,
        first_response_due=first_response_due(now, settings.travel_first_response_hours),
        request_hash=request_hash,
    )
    for _attempt in range(MAX_ATTEMPTS):
        tx = db.Transaction()
        store.add_request(tx, request)
        _audit(tx, principal, request, "travel_request.created", now, service_type=new.service_type.value)
        try:
            store.commit(tx)
        except (store.AlreadyThere, store.RequestChanged):
            if request_hash is None:  # a random id cannot collide: a transaction conflict, retry
                continue
            replay = _replayed_request(request_id, request_hash)  # a keyed twin won, or is committing
            if replay is not None:
                return replay
            continue
        return Replayable(request)
    raise errors.Conflict("A request with this Idempotency-Key is being processed")


def _replayed_request(request_id: str, request_hash: str) -> Replayable[TravelRequest] | None:
    """One GetItem. The id derives from the caller, so the request found is theirs."""
    found = store.get_request(request_id)
    return _bound(found, found.request_hash if found else None, request_hash)


def get_own(principal: Principal, request_id: str) -> TravelRequest:
    """Calls: GetItem."""
    return _own(principal, request_id)


def list_own(
    principal: Principal, limit: int, after: dict[str, Any] | None
) -> tuple[list[TravelRequest], dict[str, Any] | None]:
    """Calls: Query GSI1."""
    return store.customer_page(principal.user_id, limit, after)


def cancel_own(principal: Principal, request_id: str, now: datetime) -> TravelRequest:
    """Calls: GetItem + Query documents + TransactWriteItems (request, audit, event, document
    deadlines); a lost race repeats them."""

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        return _move(tx, principal, old, RequestStatus.CANCELLED, Side.CUSTOMER, now)

    return _retrying(lambda: _own(principal, request_id), build)


class _Posted(Exception):
    """A keyed message's request already lists the key's message: answer it, write nothing."""

    def __init__(self, request: TravelRequest) -> None:
        self.request = request


def _add_message(
    principal: Principal,
    read: Callable[[], TravelRequest],
    side: Side,
    body: str,
    now: datetime,
    operation: str,
    idempotency_key: str | None,
) -> Replayable[Message]:
    """With an Idempotency-Key the message's id derives from (caller, operation, key) and the
    request's new state lists it (``message_keys``) in the same version-conditional write: a
    retry, or a concurrent twin that lost the race and re-read, finds it there and answers that
    message (one GetItem) instead of posting again."""
    from chalicelib.notify.travel import TRAVEL_REPLY

    message_id = _keyed_id(principal, operation, idempotency_key)
    request_hash = None
    if idempotency_key is not None:
        request_hash = idempotency.fingerprint({"operation": "travel_message.create", "body": body})
    message = Message(message_id, "", principal.user_id, side, body, now, request_hash)

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        if request_hash is not None and message_id in old.message_keys:
            raise _Posted(old)
        if not old.is_open:
            raise errors.Conflict("This travel request is closed")
        if old.messages >= MAX_MESSAGES:
            raise errors.Conflict(f"This thread has reached {MAX_MESSAGES} messages")
        first = old.first_response_at or (now if side is Side.STAFF else None)
        keys = {**old.message_keys, message_id: now} if request_hash is not None else old.message_keys
        new = _next(old, now, messages=old.messages + 1, first_response_at=first, message_keys=keys)
        store.change_request(tx, old, new)
        store.add_message(tx, new, replace(message, request_id=old.request_id))
        if side is Side.STAFF:
            _event(tx, TRAVEL_REPLY, f"{old.request_id}:msg:{message.message_id}", new, side, now)
        return new

    try:
        request = _retrying(read, build)
    except _Posted as posted:
        found = store.get_message(posted.request.request_id, message_id, posted.request.message_keys[message_id])
        replay = _bound(found, found.request_hash if found else None, request_hash or "")
        if replay is None:  # listed but gone: the thread was erased with the account
            raise _not_found() from None
        return replay
    return Replayable(replace(message, request_id=request.request_id))


def post_own_message(
    principal: Principal, request_id: str, body: str, now: datetime, idempotency_key: str | None = None
) -> Replayable[Message]:
    """Calls: GetItem + TransactWriteItems (request, message); a keyed retry: GetItem + GetItem
    message."""
    operation = f"POST /v1/travel-requests/{request_id}/messages"
    return _add_message(
        principal, lambda: _own(principal, request_id), Side.CUSTOMER, body, now, operation, idempotency_key
    )


def own_messages(
    principal: Principal, request_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Message], dict[str, Any] | None]:
    """Calls: GetItem + Query."""
    _own(principal, request_id)
    return store.messages(request_id, limit, after)


def own_quotes(principal: Principal, request_id: str) -> list[Quote]:
    """Calls: GetItem + Query."""
    _own(principal, request_id)
    return store.quotes(request_id)


def accept_quote(principal: Principal, request_id: str, quote_id: str, now: datetime) -> Replayable[TravelRequest]:
    """The customer accepts the quote on offer: the request is confirmed. Naturally idempotent
    (no key needed): accepting the quote the request already accepted answers the request as it
    is, marked a replay, and writes nothing. Calls: GetItem quote + GetItem request +
    TransactWriteItems (request, quote accepted, audit, event) [+ GetItem request, when refused]."""
    quote = store.get_quote(request_id, quote_id) if _DOCUMENT_ID.match(quote_id) else None
    if quote is None:
        raise errors.NotFound("No such quote")
    request = _own(principal, request_id)
    if request.accepted_quote_id == quote_id:  # a retry of an accept that committed
        return Replayable(request, replayed=True)

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        if old.latest_quote_id != quote_id:
            raise errors.Conflict("A newer quote replaced this one")
        if quote.accepted_at is not None or quote.expires_at <= now:
            raise errors.Conflict("This quote has expired or was accepted already")
        new = _move(tx, principal, old, RequestStatus.CONFIRMED, Side.CUSTOMER, now, accepted_quote_id=quote_id)
        store.accept_quote(tx, quote, now)
        return new

    try:
        return Replayable(_retrying(lambda: _own(principal, request_id), build, first=request))
    except (store.QuoteUnavailable, errors.Conflict) as refused:
        again = _own(principal, request_id)  # a concurrent twin of this accept may have won
        if again.accepted_quote_id == quote_id:
            return Replayable(again, replayed=True)
        if isinstance(refused, store.QuoteUnavailable):
            raise errors.Conflict("This quote has expired or was accepted already") from None
        raise


# --- documents (TRV-2) ------------------------------------------------------------------------------


def upload_form(principal: Principal, request_id: str, content_type: str, now: datetime) -> UploadForm:
    """A presigned POST for one new document of the caller's open request: S3 refuses another
    type, a size outside [1 byte, the limit] and an unencrypted body. Calls: GetItem (signing
    is local)."""
    from datetime import timedelta

    settings = _settings()
    request = _own(principal, request_id)
    if not request.is_open:
        raise errors.Conflict("This travel request is closed")
    if request.documents >= MAX_DOCUMENTS:
        raise errors.Conflict(f"A request holds at most {MAX_DOCUMENTS} documents")
    if content_type not in DOCUMENT_TYPES:
        raise errors.InvalidInput([errors.FieldError("content_type", "one of " + ", ".join(sorted(DOCUMENT_TYPES)))])
    document_id = uuid.uuid4().hex
    lifetime = settings.travel_upload_form_seconds
    form = objects.upload_form(
        BUCKET,
        store.document_object_key(request.business_id, request.request_id, document_id),
        content_type=content_type,
        max_bytes=settings.travel_upload_max_bytes,
        lifetime_seconds=lifetime,
    )
    return UploadForm(
        document_id=document_id,
        url=form["url"],
        fields=form["fields"],
        content_type=content_type,
        max_bytes=settings.travel_upload_max_bytes,
        expires_at=now + timedelta(seconds=lifetime),
    )


def register_document(
    principal: Principal,
    request_id: str,
    document_id: str,
    kind: DocumentKind,
    filename: str,
    content_type: str,
    now: datetime,
) -> Document:
    """Register an uploaded file once it exists and matches (moto and S3's own checks aside,
    HeadObject is the proof): a mismatching object is deleted and nothing is registered.
    Idempotent. Calls: GetItem request + GetItem document + HeadObject [+ DeleteObject] +
    TransactWriteItems (request, document, audit)."""
    settings = _settings()
    if not _DOCUMENT_ID.match(document_id):
        raise errors.NotFound("No such document")
    request = _own(principal, request_id)
    registered = store.get_document(request_id, document_id, now)
    if registered is not None:  # a retry: the document as it was registered
        return registered
    key = store.document_object_key(request.business_id, request.request_id, document_id)
    info = objects.object_info(BUCKET, key)
    if info is None:
        raise errors.Conflict("Nothing has been uploaded for this document yet")
    if info.content_type != content_type or content_type not in DOCUMENT_TYPES:
        objects.delete(BUCKET, key)  # refused: nothing of it stays
        raise UploadMismatch(f"The uploaded file is {info.content_type or 'untyped'}, not {content_type}; upload again")
    if not 1 <= info.size <= settings.travel_upload_max_bytes:
        objects.delete(BUCKET, key)
        raise UploadMismatch(f"The uploaded file must be 1 to {settings.travel_upload_max_bytes} bytes; upload again")
    document = Document(
        document_id=document_id,
        request_id=request.request_id,
        business_id=request.business_id,
        customer_user_id=request.customer_user_id,
        kind=kind.value,
        filename=filename,
        content_type=info.content_type,
        size_bytes=info.size,
        object_key=key,
        uploaded_at=now,
    )

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        if not old.is_open or old.documents >= MAX_DOCUMENTS:
            objects.delete(BUCKET, key)  # nothing of a refused upload stays behind
            raise errors.Conflict("This travel request is closed or holds its maximum of documents")
        new = _next(old, now, documents=old.documents + 1)
        store.change_request(tx, old, new)
        store.add_document(tx, document)
        _audit(tx, principal, new, "travel_document.registered", now, document_id=document_id, kind=kind.value)
        return new

    try:
        _retrying(lambda: _own(principal, request_id), build)
    except store.AlreadyThere:
        existing = store.get_document(request_id, document_id, now)
        if existing is None:
            raise errors.NotFound("No such document") from None
        return existing
    return document


def own_documents(principal: Principal, request_id: str, now: datetime) -> list[Document]:
    """Calls: GetItem + Query."""
    _own(principal, request_id)
    return store.documents(request_id, now)


def _link(document: Document, now: datetime) -> DocumentLink:
    from datetime import timedelta

    lifetime = _settings().travel_document_link_seconds
    url = objects.download_link(BUCKET, document.object_key, lifetime)
    return DocumentLink(document, url, now + timedelta(seconds=lifetime))


def own_document(principal: Principal, request_id: str, document_id: str, now: datetime) -> DocumentLink:
    """The owner's short-lived link. Calls: GetItem request + GetItem document (signing is local)."""
    _own(principal, request_id)
    document = store.get_document(request_id, document_id, now) if _DOCUMENT_ID.match(document_id) else None
    if document is None:
        raise errors.NotFound("No such document")
    return _link(document, now)


def staff_documents(principal: Principal, business_id: str, request_id: str, now: datetime) -> list[Document]:
    """Metadata only, for the assigned staff member and owners/managers (others: 404); an
    audited read. Calls: GetItem membership + GetItem request + Query + PutItem audit."""
    from chalicelib.privacy import audit

    request = _document_staff(principal, business_id, request_id)
    found = store.documents(request_id, now)
    audit.record_read(
        tenant=business_id,
        actor=principal.user_id,
        entity="TravelRequest",
        entity_id=request_id,
        at=now,
        subject=request.customer_user_id,
        action="read_documents",
    )
    return found


def staff_document(
    principal: Principal, business_id: str, request_id: str, document_id: str, now: datetime
) -> DocumentLink:
    """A short-lived link for the assigned staff member or an owner/manager, each read
    audited (SEC-6); anyone else gets 404 and no URL. Calls: GetItem membership + GetItem
    request + GetItem document + PutItem audit."""
    from chalicelib.privacy import audit

    request = _document_staff(principal, business_id, request_id)
    document = store.get_document(request_id, document_id, now) if _DOCUMENT_ID.match(document_id) else None
    if document is None:
        raise errors.NotFound("No such document")
    audit.record_read(
        tenant=business_id,
        actor=principal.user_id,
        entity="TravelDocument",
        entity_id=document_id,
        at=now,
        subject=request.customer_user_id,
    )
    return _link(document, now)


# --- the business's side ---------------------------------------------------------------------------


def business_page(
    principal: Principal, business_id: str, status: RequestStatus, limit: int, after: dict[str, Any] | None
) -> tuple[list[TravelRequest], dict[str, Any] | None]:
    """Calls: GetItem membership + Query GSI2."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, ANY_STAFF)
    return store.business_page(business_id, status, limit, after)


def staff_get(principal: Principal, business_id: str, request_id: str, now: datetime) -> TravelRequest:
    """An audited read of the customer's request. Calls: GetItem membership + GetItem + PutItem audit."""
    from chalicelib.privacy import audit

    _, request = _staff(principal, business_id, request_id)
    audit.record_read(
        tenant=business_id,
        actor=principal.user_id,
        entity="TravelRequest",
        entity_id=request_id,
        at=now,
        subject=request.customer_user_id,
    )
    return request


def assign(
    principal: Principal, business_id: str, request_id: str, assignee_user_id: str, now: datetime
) -> TravelRequest:
    """To the caller or a colleague (a member of the business). Calls: GetItem membership +
    GetItem + GetItem assignee's membership + TransactWriteItems (request, audit)."""
    from chalicelib.store import memberships

    _, request = _staff(principal, business_id, request_id)
    if memberships.get_role(business_id, assignee_user_id) is None:
        raise errors.NotFound("No such member of this business")

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        if not old.is_open:
            raise errors.Conflict("This travel request is closed")
        new = _next(old, now, assignee_user_id=assignee_user_id)
        store.change_request(tx, old, new)
        _audit(tx, principal, new, "travel_request.assigned", now, assignee=assignee_user_id)
        return new

    return _retrying(lambda: _staff(principal, business_id, request_id)[1], build, first=request)


def set_status(
    principal: Principal, business_id: str, request_id: str, target: RequestStatus, now: datetime
) -> TravelRequest:
    """Staff move a request (in review, completed, cancelled; quoted and confirmed come from
    quoting and accepting). Calls: GetItem membership + GetItem + [Query documents, when it
    closes] + TransactWriteItems (request, audit, event[, document deadlines])."""
    if target not in STAFF_TARGETS:
        raise errors.InvalidInput([errors.FieldError("status", "one of " + ", ".join(sorted(STAFF_TARGETS)))])

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        return _move(tx, principal, old, target, Side.STAFF, now)

    return _retrying(lambda: _staff(principal, business_id, request_id)[1], build)


def post_staff_message(
    principal: Principal,
    business_id: str,
    request_id: str,
    body: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> Replayable[Message]:
    """Calls: GetItem membership + GetItem + TransactWriteItems (request, message, event); a
    keyed retry: GetItem membership + GetItem + GetItem message."""
    operation = f"POST /v1/businesses/{business_id}/travel-requests/{request_id}/messages"
    read = lambda: _staff(principal, business_id, request_id)[1]  # noqa: E731
    return _add_message(principal, read, Side.STAFF, body, now, operation, idempotency_key)


def staff_messages(
    principal: Principal, business_id: str, request_id: str, limit: int, after: dict[str, Any] | None, now: datetime
) -> tuple[list[Message], dict[str, Any] | None]:
    """An audited read. Calls: GetItem membership + GetItem + Query + PutItem audit."""
    from chalicelib.privacy import audit

    _, request = _staff(principal, business_id, request_id)
    page = store.messages(request_id, limit, after)
    audit.record_read(
        tenant=business_id,
        actor=principal.user_id,
        entity="TravelRequest",
        entity_id=request_id,
        at=now,
        subject=request.customer_user_id,
        action="read_messages",
    )
    return page


def staff_quotes(principal: Principal, business_id: str, request_id: str) -> list[Quote]:
    """Calls: GetItem membership + GetItem + Query."""
    _staff(principal, business_id, request_id)
    return store.quotes(request_id)


def create_quote(
    principal: Principal,
    business_id: str,
    request_id: str,
    lines: Sequence[QuoteLine],
    display_currencies: Sequence[str],
    now: datetime,
    idempotency_key: str | None = None,
) -> Replayable[Quote]:
    """Price in the base currency (Decimal), convert for display with the current rates and
    snapshot them; refused while the rates are stale. With an Idempotency-Key the quote's id
    derives from (caller, request, key): a retry answers the quote the key made. Calls: GetItem
    membership + GetItem request + [GetItem quote, with a key] + GetItem rates +
    TransactWriteItems (request, quote, audit, event) [+ GetItem quote, when a keyed twin won]."""
    from datetime import timedelta

    from chalicelib.notify.travel import TRAVEL_QUOTED

    settings = _settings()
    _, request = _staff(principal, business_id, request_id)
    quote_id = _keyed_id(
        principal, f"POST /v1/businesses/{business_id}/travel-requests/{request_id}/quotes", idempotency_key
    )
    request_hash = None
    if idempotency_key is not None:
        request_hash = idempotency.fingerprint(
            {
                "operation": "travel_quote.create",
                "lines": [[line.description, line.quantity, line.unit_price] for line in lines],
                "display_currencies": list(display_currencies),
            }
        )
        replay = _replayed_quote(request_id, quote_id, request_hash)
        if replay is not None:
            return replay
    rates = store.get_rates(business_id)
    if rates is None:
        raise currencies.NoRates("Publish exchange rates before quoting")
    max_age = timedelta(hours=settings.travel_rate_max_age_hours)
    if currencies.is_stale(rates.effective_at, now, max_age):
        raise currencies.StaleRates(
            f"Rate version {rates.version} took effect {rates.effective_at.isoformat()}, more than "
            f"{settings.travel_rate_max_age_hours} hours ago; publish current rates first"
        )
    base = rates.base_currency
    problems: list[errors.FieldError] = []
    priced: list[dict[str, Any]] = []
    amounts = []
    for index, line in enumerate(lines):
        try:
            price = currencies.parse_amount(line.unit_price, base)
        except ValueError as exc:
            problems.append(errors.FieldError(f"lines.{index}.unit_price", str(exc)))
            continue
        amount = currencies.line_total(price, line.quantity, base)
        amounts.append(amount)
        priced.append(
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(price),
                "amount": str(amount),
            }
        )
    displays: list[dict[str, Any]] = []
    total = currencies.total(amounts, base)
    for index, code in enumerate(display_currencies):
        try:
            converted = currencies.convert(total, base, rates.rates, code)
        except KeyError:
            problems.append(
                errors.FieldError(f"display_currencies.{index}", f"no {code} rate in version {rates.version}")
            )
            continue
        places = currencies.display_unit(code).places
        displays.append(
            {
                "currency": converted.code,
                "label": converted.label,
                "amount": currencies.shown(converted.amount, places),
                "rate": str(converted.rate),
                "rate_version": rates.version,
                "approximate": True,
            }
        )
    if problems:
        raise errors.InvalidInput(problems)
    quote = Quote(
        quote_id=quote_id,
        request_id=request_id,
        business_id=business_id,
        base_currency=base,
        lines=priced,
        total=total,
        displays=displays,
        rate_version=rates.version,
        rates=dict(rates.rates),
        rates_effective_at=rates.effective_at,
        created_by=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.travel_quote_validity_hours),
        request_hash=request_hash,
    )

    def build(old: TravelRequest, tx: db.Transaction) -> TravelRequest:
        if old.status not in QUOTABLE:
            raise InvalidTransition(f"A request that is {old.status.value} cannot be quoted")
        if old.status is RequestStatus.QUOTED:  # a new offer replaces the one on the table
            new = _next(old, now, latest_quote_id=quote.quote_id, first_response_at=old.first_response_at or now)
            store.change_request(tx, old, new)
            _audit(tx, principal, new, "travel_quote.created", now, quote_id=quote.quote_id)
        else:
            new = _move(
                tx,
                principal,
                old,
                RequestStatus.QUOTED,
                Side.STAFF,
                now,
                latest_quote_id=quote.quote_id,
                first_response_at=old.first_response_at or now,
            )
        store.add_quote(tx, new, quote)
        _event(tx, TRAVEL_QUOTED, f"{old.request_id}:quote:{quote.quote_id}", new, Side.STAFF, now)
        return new

    try:
        _retrying(lambda: _staff(principal, business_id, request_id)[1], build, first=request)
    except (store.QuoteUnavailable, InvalidTransition, errors.Conflict):
        # A keyed twin's quote may be why (it exists, or moved the request on): answer it.
        replay = _replayed_quote(request_id, quote_id, request_hash) if request_hash is not None else None
        if replay is None:
            raise
        return replay
    return Replayable(quote)


def _replayed_quote(request_id: str, quote_id: str, request_hash: str) -> Replayable[Quote] | None:
    """One GetItem. The id derives from the caller and the request, so the quote found is theirs."""
    found = store.get_quote(request_id, quote_id)
    return _bound(found, found.request_hash if found else None, request_hash)
