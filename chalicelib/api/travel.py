"""Travel requests (TRV-1), documents (TRV-2), quotes and exchange rates (TRV-3): thin routes.

The customer's side is /v1/travel-requests (their own requests only; anyone else's id is a
404), the business's under /v1/businesses/{business_id}/travel-requests, rates under
/v1/businesses/{business_id}/exchange-rates (owners, managers) and /v1/exchange-rates
(public). docs/travel.md has the workflow and each operation's DynamoDB calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.travel import DocumentKind, RequestStatus, ServiceType, TravelRequest
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import pagination as paging
    from chalicelib.schemas import travel as schemas
    from chalicelib.services import exchange_rates, travel
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    travel = lazy_import("chalicelib.services.travel")
    exchange_rates = lazy_import("chalicelib.services.exchange_rates")
    schemas = lazy_import("chalicelib.schemas.travel")
    paging = lazy_import("chalicelib.schemas.pagination")

blueprint = Blueprint(__name__)
TAGS = ["travel"]
BUSINESS_TAGS = ["business", "travel"]
BUSINESS = "/v1/businesses/{business_id}/travel-requests"
# The POSTs that make an item take an optional Idempotency-Key (docs/travel.md "Safe retries").
_KEYED = " (Idempotency-Key makes retries safe)"
IDEMPOTENCY_KEY = "idempotency-key"
T = TypeVar("T")


def _answer(ctx: RequestContext, found: travel.Replayable[T]) -> T:
    """A retry that found what its key made answers as the first request did, marked a replay."""
    if found.replayed:
        ctx.response_headers["Idempotent-Replayed"] = "true"
    return found.item


def _request(found: TravelRequest) -> schemas.TravelRequestOut:
    return schemas.TravelRequestOut(
        id=found.request_id,
        business_id=found.business_id,
        customer_user_id=found.customer_user_id,
        service_type=found.service_type.value,
        destination=found.destination,
        start_date=found.start_date.isoformat(),
        end_date=found.end_date.isoformat(),
        travellers=found.travellers,
        notes=found.notes,
        status=found.status.value,
        assignee_user_id=found.assignee_user_id,
        first_response_due=found.first_response_due,
        first_response_at=found.first_response_at,
        closed_at=found.closed_at,
        cancelled_by=found.cancelled_by.value if found.cancelled_by else None,
        latest_quote_id=found.latest_quote_id,
        accepted_quote_id=found.accepted_quote_id,
        documents=found.documents,
        messages=found.messages,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def _message(found: travel.Message) -> schemas.MessageOut:
    return schemas.MessageOut(
        id=found.message_id,
        request_id=found.request_id,
        author_user_id=found.author_user_id,
        author_side=found.author_side.value,
        body=found.body,
        sent_at=found.sent_at,
    )


def _quote(found: travel.Quote) -> schemas.QuoteOut:
    return schemas.QuoteOut(
        id=found.quote_id,
        request_id=found.request_id,
        base_currency=found.base_currency,
        lines=[schemas.QuoteLineOut(**line) for line in found.lines],
        total=str(found.total),
        displays=[schemas.ConvertedOut(**shown) for shown in found.displays],
        rate_version=found.rate_version,
        rates_effective_at=found.rates_effective_at,
        created_at=found.created_at,
        expires_at=found.expires_at,
        accepted_at=found.accepted_at,
    )


def _document(found: travel.Document) -> schemas.DocumentOut:
    return schemas.DocumentOut(
        id=found.document_id,
        request_id=found.request_id,
        kind=found.kind,
        filename=found.filename,
        content_type=found.content_type,
        size_bytes=found.size_bytes,
        uploaded_at=found.uploaded_at,
        delete_after=found.delete_after,
    )


def _link(found: travel.DocumentLink) -> schemas.DocumentLinkOut:
    return schemas.DocumentLinkOut(
        **_document(found.document).model_dump(), url=found.url, url_expires_at=found.expires_at
    )


def _messages_page(found: tuple[list[travel.Message], dict[str, object] | None], scope: str) -> schemas.MessagePage:
    page, last_key = found
    return schemas.MessagePage(items=[_message(m) for m in page], next_cursor=pagination.encode(last_key, scope=scope))


# --- the customer's side ---------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/travel-requests",
    "POST",
    summary="File a travel request with a travel business" + _KEYED,
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    idempotent=True,
)
def create_request(ctx: RequestContext, body: schemas.TravelRequestCreate) -> schemas.TravelRequestOut:
    new = travel.NewRequest(
        business_id=body.business_id,
        service_type=ServiceType(body.service_type),
        destination=body.destination,
        start_date=body.start_date,
        end_date=body.end_date,
        travellers=body.travellers,
        notes=body.notes,
    )
    created = travel.create_request(ctx.principal, new, deps.clock().now(), ctx.header(IDEMPOTENCY_KEY))
    return _request(_answer(ctx, created))


@endpoint(blueprint, "/v1/me/travel-requests", "GET", summary="My travel requests", tags=TAGS, auth=True)
def list_my_requests(ctx: RequestContext, query: paging.PageQuery) -> schemas.TravelRequestPage:
    scope = f"travel:{ctx.principal.user_id}"
    page, last_key = travel.list_own(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.TravelRequestPage(
        items=[_request(r) for r in page], next_cursor=pagination.encode(last_key, scope=scope)
    )


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}",
    "GET",
    summary="My travel request",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_my_request(ctx: RequestContext, request_id: str) -> schemas.TravelRequestOut:
    return _request(travel.get_own(ctx.principal, request_id))


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/cancel",
    "POST",
    summary="Cancel my travel request",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def cancel_my_request(ctx: RequestContext, request_id: str) -> schemas.TravelRequestOut:
    return _request(travel.cancel_own(ctx.principal, request_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/messages",
    "GET",
    summary="The thread of my travel request, oldest first",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def list_my_messages(ctx: RequestContext, request_id: str, query: paging.PageQuery) -> schemas.MessagePage:
    scope = f"travel-messages:{request_id}"
    found = travel.own_messages(ctx.principal, request_id, query.limit, pagination.decode(query.cursor, scope=scope))
    return _messages_page(found, scope)


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/messages",
    "POST",
    summary="Write to the business about my travel request" + _KEYED,
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    idempotent=True,
)
def post_my_message(ctx: RequestContext, request_id: str, body: schemas.MessageCreate) -> schemas.MessageOut:
    key = ctx.header(IDEMPOTENCY_KEY)
    return _message(
        _answer(ctx, travel.post_own_message(ctx.principal, request_id, body.body, deps.clock().now(), key))
    )


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/quotes",
    "GET",
    summary="Quotes for my travel request, newest first",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def list_my_quotes(ctx: RequestContext, request_id: str) -> schemas.QuoteList:
    return schemas.QuoteList(items=[_quote(q) for q in travel.own_quotes(ctx.principal, request_id)])


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/quotes/{quote_id}/accept",
    "POST",
    summary="Accept the quote on offer: the request is confirmed (a retry answers the same; no key needed)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def accept_quote(ctx: RequestContext, request_id: str, quote_id: str) -> schemas.TravelRequestOut:
    return _request(_answer(ctx, travel.accept_quote(ctx.principal, request_id, quote_id, deps.clock().now())))


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/documents",
    "GET",
    summary="Documents of my travel request",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def list_my_documents(ctx: RequestContext, request_id: str) -> schemas.DocumentList:
    found = travel.own_documents(ctx.principal, request_id, deps.clock().now())
    return schemas.DocumentList(items=[_document(d) for d in found])


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/documents",
    "POST",
    summary="An upload form (presigned POST) for one document",
    description="POST the form's fields and the file to its url (S3 refuses another type, a bigger file or no "
    "encryption), then register it with PUT .../documents/{document_id}.",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def upload_form(ctx: RequestContext, request_id: str, body: schemas.UploadRequest) -> schemas.UploadFormOut:
    form = travel.upload_form(ctx.principal, request_id, body.content_type, deps.clock().now())
    return schemas.UploadFormOut(
        document_id=form.document_id,
        url=form.url,
        fields=form.fields,
        content_type=form.content_type,
        max_bytes=form.max_bytes,
        expires_at=form.expires_at,
    )


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/documents/{document_id}",
    "PUT",
    summary="Register an uploaded document (it must exist and match; idempotent)",
    tags=TAGS,
    errors_=[404, 409],
    auth=True,
)
def register_document(
    ctx: RequestContext, request_id: str, document_id: str, body: schemas.DocumentRegister
) -> schemas.DocumentOut:
    found = travel.register_document(
        ctx.principal,
        request_id,
        document_id,
        DocumentKind(body.kind),
        body.filename,
        body.content_type,
        deps.clock().now(),
    )
    return _document(found)


@endpoint(
    blueprint,
    "/v1/travel-requests/{request_id}/documents/{document_id}",
    "GET",
    summary="One of my documents, with a short-lived download link",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_my_document(ctx: RequestContext, request_id: str, document_id: str) -> schemas.DocumentLinkOut:
    return _link(travel.own_document(ctx.principal, request_id, document_id, deps.clock().now()))


# --- the business's side ---------------------------------------------------------------------------


@endpoint(
    blueprint,
    BUSINESS,
    "GET",
    summary="The business's travel requests in one status, newest first",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def list_business_requests(
    ctx: RequestContext, business_id: str, query: schemas.BusinessRequestsQuery
) -> schemas.TravelRequestPage:
    scope = f"travel:{business_id}:{query.status}"
    page, last_key = travel.business_page(
        ctx.principal,
        business_id,
        RequestStatus(query.status),
        query.limit,
        pagination.decode(query.cursor, scope=scope),
    )
    return schemas.TravelRequestPage(
        items=[_request(r) for r in page], next_cursor=pagination.encode(last_key, scope=scope)
    )


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}",
    "GET",
    summary="One travel request (an audited read)",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def get_business_request(ctx: RequestContext, business_id: str, request_id: str) -> schemas.TravelRequestOut:
    return _request(travel.staff_get(ctx.principal, business_id, request_id, deps.clock().now()))


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/assign",
    "POST",
    summary="Assign the request to yourself or a colleague",
    tags=BUSINESS_TAGS,
    errors_=[404, 409],
    auth=True,
)
def assign_request(
    ctx: RequestContext, business_id: str, request_id: str, body: schemas.AssignBody
) -> schemas.TravelRequestOut:
    return _request(travel.assign(ctx.principal, business_id, request_id, body.user_id, deps.clock().now()))


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/status",
    "POST",
    summary="Move the request: in review, completed or cancelled",
    tags=BUSINESS_TAGS,
    errors_=[404, 409],
    auth=True,
)
def set_request_status(
    ctx: RequestContext, business_id: str, request_id: str, body: schemas.StatusBody
) -> schemas.TravelRequestOut:
    target = RequestStatus(body.status)
    return _request(travel.set_status(ctx.principal, business_id, request_id, target, deps.clock().now()))


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/messages",
    "GET",
    summary="The request's thread, oldest first (an audited read)",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def list_business_messages(
    ctx: RequestContext, business_id: str, request_id: str, query: paging.PageQuery
) -> schemas.MessagePage:
    scope = f"travel-messages:{business_id}:{request_id}"
    found = travel.staff_messages(
        ctx.principal,
        business_id,
        request_id,
        query.limit,
        pagination.decode(query.cursor, scope=scope),
        deps.clock().now(),
    )
    return _messages_page(found, scope)


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/messages",
    "POST",
    summary="Reply to the customer (they are notified)" + _KEYED,
    tags=BUSINESS_TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    idempotent=True,
)
def post_business_message(
    ctx: RequestContext, business_id: str, request_id: str, body: schemas.MessageCreate
) -> schemas.MessageOut:
    key = ctx.header(IDEMPOTENCY_KEY)
    posted = travel.post_staff_message(ctx.principal, business_id, request_id, body.body, deps.clock().now(), key)
    return _message(_answer(ctx, posted))


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/quotes",
    "GET",
    summary="The request's quotes, newest first",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def list_business_quotes(ctx: RequestContext, business_id: str, request_id: str) -> schemas.QuoteList:
    return schemas.QuoteList(items=[_quote(q) for q in travel.staff_quotes(ctx.principal, business_id, request_id)])


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/quotes",
    "POST",
    summary="Quote in the base currency, shown approximately in display currencies",
    description="Refused (409 stale-exchange-rates) while the current rates are older than the configured age."
    + _KEYED
    + ".",
    tags=BUSINESS_TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    idempotent=True,
)
def create_quote(ctx: RequestContext, business_id: str, request_id: str, body: schemas.QuoteCreate) -> schemas.QuoteOut:
    lines = [travel.QuoteLine(line.description, line.quantity, line.unit_price) for line in body.lines]
    currencies, key = list(body.display_currencies), ctx.header(IDEMPOTENCY_KEY)
    quote = travel.create_quote(ctx.principal, business_id, request_id, lines, currencies, deps.clock().now(), key)
    return _quote(_answer(ctx, quote))


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/documents",
    "GET",
    summary="The request's documents (assigned staff, owners and managers; an audited read)",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def list_business_documents(ctx: RequestContext, business_id: str, request_id: str) -> schemas.DocumentList:
    found = travel.staff_documents(ctx.principal, business_id, request_id, deps.clock().now())
    return schemas.DocumentList(items=[_document(d) for d in found])


@endpoint(
    blueprint,
    BUSINESS + "/{request_id}/documents/{document_id}",
    "GET",
    summary="One document with a short-lived download link (assigned staff, owners and managers; audited)",
    tags=BUSINESS_TAGS,
    errors_=[404],
    auth=True,
)
def get_business_document(
    ctx: RequestContext, business_id: str, request_id: str, document_id: str
) -> schemas.DocumentLinkOut:
    now = deps.clock().now()
    return _link(travel.staff_document(ctx.principal, business_id, request_id, document_id, now))


# --- exchange rates ----------------------------------------------------------------------------------


def _rates(found: exchange_rates.CurrentRates) -> schemas.RatesOut:
    table = found.table
    return schemas.RatesOut(
        business_id=table.business_id,
        base_currency=table.base_currency,
        version=table.version,
        effective_at=table.effective_at,
        stale=found.stale,
        max_age_hours=found.max_age_hours,
        rates=[
            schemas.ShownRateOut(currency=r.currency, label=r.label, rate=r.rate, places=r.places) for r in found.shown
        ],
    )


@endpoint(
    blueprint,
    "/v1/businesses/{business_id}/exchange-rates",
    "PUT",
    summary="Publish a new version of the exchange rates (owners, managers)",
    description="Conditional on expected_version, the version read (0 before the first): 409 when it moved on.",
    tags=BUSINESS_TAGS,
    errors_=[404, 409],
    auth=True,
)
def put_rates(ctx: RequestContext, business_id: str, body: schemas.RatesPut) -> schemas.RatesOut:
    update = exchange_rates.RateUpdate(
        base_currency=body.base_currency,
        expected_version=body.expected_version,
        effective_at=body.effective_at,
        rates={str(code): rate for code, rate in body.rates.items()},
    )
    return _rates(exchange_rates.put_rates(ctx.principal, business_id, update, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/exchange-rates",
    "GET",
    summary="A travel business's current exchange rates, with their staleness",
    tags=TAGS,
    errors_=[404],
)
def get_rates(ctx: RequestContext, query: schemas.RatesQuery) -> schemas.RatesOut:
    return _rates(exchange_rates.current(query.business_id, deps.clock().now()))
