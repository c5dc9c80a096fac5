"""Support correspondence (RET-6): tickets, messages and attachments; the operators' queue,
assignment and status changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import support as schemas
    from chalicelib.services import support
    from chalicelib.store import support as views
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    support = lazy_import("chalicelib.services.support")
    schemas = lazy_import("chalicelib.schemas.support")

blueprint = Blueprint(__name__)
TAGS = ["support"]
OPERATOR_TAGS = ["support", "operator"]


def _summary(ticket: views.Ticket) -> schemas.TicketSummaryOut:
    return schemas.TicketSummaryOut(
        ticket_id=ticket.ticket_id,
        subject=ticket.subject,
        category=ticket.category,
        status=ticket.status,
        booking_id=ticket.booking_id,
        opened_at=ticket.opened_at,
        updated_at=ticket.updated_at,
        closed_at=ticket.closed_at,
        message_count=ticket.message_count,
    )


def _details(ticket: views.Ticket) -> schemas.OperatorDetailsOut:
    now = deps.clock().now()
    return schemas.OperatorDetailsOut(
        opened_by=ticket.opened_by,
        opened_as="staff" if ticket.opened_as == "staff" else "customer",
        business_id=ticket.business_id,
        assignee_id=ticket.assignee_id,
        first_response_due=ticket.first_response_due,
        first_response_at=ticket.first_response_at,
        first_response_overdue=ticket.first_response_at is None and now > ticket.first_response_due,
    )


def _operator_ticket(ticket: views.Ticket) -> schemas.OperatorTicketOut:
    return schemas.OperatorTicketOut(**_summary(ticket).model_dump(), operator=_details(ticket))


def _message(message: views.Message) -> schemas.MessageOut:
    author = "operator" if message.author_role == "operator" else "requester"
    return schemas.MessageOut(
        message_id=message.message_id, author=author, body=message.body, created_at=message.created_at
    )


def _attachment(attachment: views.Attachment) -> schemas.AttachmentOut:
    return schemas.AttachmentOut(
        attachment_id=attachment.attachment_id,
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        state="ready" if attachment.state == "ready" else "pending",
        uploaded_by="operator" if attachment.uploaded_as == "operator" else "requester",
        created_at=attachment.created_at,
    )


def _conversation(ctx: RequestContext, found: views.Conversation) -> schemas.TicketOut:
    return schemas.TicketOut(
        ticket=_summary(found.ticket),
        operator=_details(found.ticket) if ctx.principal.is_operator else None,
        messages=[_message(m) for m in found.messages],
        attachments=[_attachment(a) for a in found.attachments],
        recordings=[
            schemas.RecordingOut(
                recording_id=r.recording_id,
                content_type=r.content_type,
                size_bytes=r.size_bytes,
                created_at=r.created_at,
            )
            for r in found.recordings
        ],
    )


@endpoint(
    blueprint,
    "/v1/support/tickets",
    "POST",
    summary="Open a support ticket (optionally about one of my bookings or my business's)",
    tags=TAGS,
    status=201,
    auth=True,
)
def open_ticket(ctx: RequestContext, body: schemas.TicketIn) -> schemas.TicketOut:
    found = support.open_ticket(
        ctx.principal,
        subject=body.subject,
        category=body.category,
        message=body.message,
        booking_id=body.booking_id,
        now=deps.clock().now(),
    )
    return _conversation(ctx, found)


@endpoint(
    blueprint,
    "/v1/support/tickets",
    "GET",
    summary="My support tickets, newest first",
    tags=TAGS,
    auth=True,
)
def list_my_tickets(ctx: RequestContext, query: schemas.MyTicketsQuery) -> schemas.TicketPage:
    scope = f"support-tickets:{ctx.principal.user_id}"
    found, last = support.list_mine(ctx.principal, query.limit, pagination.decode(query.cursor, scope=scope))
    return schemas.TicketPage(items=[_summary(t) for t in found], next_cursor=pagination.encode(last, scope=scope))


@endpoint(
    blueprint,
    "/v1/support/tickets/{ticket_id}",
    "GET",
    summary="A ticket with its messages and attachments (its requester, or an operator: audited)",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_ticket(ctx: RequestContext, ticket_id: str) -> schemas.TicketOut:
    return _conversation(ctx, support.get_ticket(ctx.principal, ticket_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/support/tickets/{ticket_id}/messages",
    "POST",
    summary="Write to a ticket (a reply to a ticket waiting on me reopens it)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def post_message(ctx: RequestContext, ticket_id: str, body: schemas.MessageIn) -> schemas.MessageOut:
    return _message(support.post_message(ctx.principal, ticket_id, body.body, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/support/tickets/{ticket_id}/attachments",
    "POST",
    summary="Attach a file: a presigned S3 POST bounded to its type and size (then complete it)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
)
def new_attachment(ctx: RequestContext, ticket_id: str, body: schemas.AttachmentIn) -> schemas.UploadFormOut:
    form = support.attachment_form(
        ctx.principal,
        ticket_id,
        file_name=body.file_name,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        now=deps.clock().now(),
    )
    return schemas.UploadFormOut(
        attachment_id=form.attachment_id, url=form.url, fields=form.fields, expires_in_seconds=form.expires_in_seconds
    )


@endpoint(
    blueprint,
    "/v1/support/tickets/{ticket_id}/attachments/{attachment_id}/complete",
    "POST",
    summary="Register an uploaded file (checked against what the form allowed; a mismatch is deleted)",
    tags=TAGS,
    errors_=[404, 409, 422],
    auth=True,
)
def complete_attachment(ctx: RequestContext, ticket_id: str, attachment_id: str) -> schemas.AttachmentOut:
    return _attachment(support.complete_attachment(ctx.principal, ticket_id, attachment_id))


@endpoint(
    blueprint,
    "/v1/support/tickets/{ticket_id}/attachments/{attachment_id}",
    "GET",
    summary="A short-lived download link for an attachment (the ticket's parties only)",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def download_attachment(ctx: RequestContext, ticket_id: str, attachment_id: str) -> schemas.DownloadOut:
    link = support.attachment_download(ctx.principal, ticket_id, attachment_id)
    return schemas.DownloadOut(url=link.url, expires_in_seconds=link.expires_in_seconds)


@endpoint(
    blueprint,
    "/v1/operator/support/tickets",
    "GET",
    summary="Operators: the support queue by status, oldest first, with first-response due dates",
    tags=OPERATOR_TAGS,
    auth=True,
)
def list_queue(ctx: RequestContext, query: schemas.QueueQuery) -> schemas.OperatorTicketPage:
    scope = f"support-queue:{query.status.value}"
    found, last = support.operator_queue(
        ctx.principal, query.status, query.limit, pagination.decode(query.cursor, scope=scope)
    )
    return schemas.OperatorTicketPage(
        items=[_operator_ticket(t) for t in found], next_cursor=pagination.encode(last, scope=scope)
    )


@endpoint(
    blueprint,
    "/v1/operator/support/tickets/{ticket_id}/assign",
    "POST",
    summary="Operators: assign a ticket (to yourself when no one is named; audited)",
    tags=OPERATOR_TAGS,
    errors_=[404, 409],
    auth=True,
    body_required=False,
)
def assign_ticket(ctx: RequestContext, ticket_id: str, body: schemas.AssignIn) -> schemas.OperatorTicketOut:
    return _operator_ticket(support.assign(ctx.principal, ticket_id, body.assignee_id, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/operator/support/tickets/{ticket_id}/status",
    "POST",
    summary="Operators: change a ticket's status (open, waiting_on_customer, resolved, closed; audited)",
    tags=OPERATOR_TAGS,
    errors_=[404, 409],
    auth=True,
    description="Allowed moves: chalicelib/domain/support.py TRANSITIONS; any other is 409 `ticket-state`. "
    "Closing starts the correspondence's 5-year keep window (RET-6).",
)
def change_ticket_status(ctx: RequestContext, ticket_id: str, body: schemas.StatusIn) -> schemas.OperatorTicketOut:
    return _operator_ticket(support.change_status(ctx.principal, ticket_id, body.status, deps.clock().now()))
