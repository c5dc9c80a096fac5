"""Support correspondence (RET-6): the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.domain.support import MESSAGE_MAX, SUBJECT_MAX, TicketCategory, TicketStatus
from chalicelib.schemas.common import FreeText, RequestModel, ResponseModel, refers_to
from chalicelib.schemas.pagination import PageQuery

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# = domain/support.py ATTACHMENT_TYPES (tests/integration/support/test_support_api.py checks they agree)
AttachmentType = Literal["application/pdf", "image/jpeg", "image/png", "text/plain"]
# The largest size the contract states; a deployment may set a lower one (then a 422 names it).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class TicketIn(RequestModel):
    subject: Annotated[str, FreeText(max_length=SUBJECT_MAX, min_length=1)]
    category: TicketCategory
    message: Annotated[str, FreeText(max_length=MESSAGE_MAX, min_length=1, multiline=True)]
    booking_id: Id | None = Field(
        default=None,
        description="Optional: one of your bookings, or your business's; any other is a 422 naming body.booking_id",
        json_schema_extra=refers_to("booking"),
    )


class MessageIn(RequestModel):
    body: Annotated[str, FreeText(max_length=MESSAGE_MAX, min_length=1, multiline=True)]


class AttachmentIn(RequestModel):
    file_name: Annotated[str, FreeText(max_length=120, min_length=1)]
    content_type: AttachmentType
    size_bytes: int = Field(
        ge=1, le=MAX_ATTACHMENT_BYTES, description="The file's exact size; the form allows up to it"
    )


class AssignIn(RequestModel):
    assignee_id: Id | None = Field(default=None, description="An operator's user id; omitted: yourself")


class StatusIn(RequestModel):
    status: TicketStatus


class MyTicketsQuery(PageQuery):
    """Page through my tickets, newest first."""


class QueueQuery(PageQuery):
    status: TicketStatus = TicketStatus.OPEN


class MessageOut(ResponseModel):
    message_id: str
    author: Literal["requester", "operator"]
    body: str
    created_at: datetime


class AttachmentOut(ResponseModel):
    attachment_id: str
    file_name: str
    content_type: str
    size_bytes: int | None
    state: Literal["pending", "ready"]
    uploaded_by: Literal["requester", "operator"]
    created_at: datetime


class RecordingOut(ResponseModel):
    recording_id: str
    content_type: str
    size_bytes: int
    created_at: datetime


class TicketSummaryOut(ResponseModel):
    ticket_id: str
    subject: str
    category: TicketCategory
    status: TicketStatus
    booking_id: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    message_count: int


class OperatorDetailsOut(ResponseModel):
    opened_by: str | None = Field(description="The requester's user id (null once their account is erased)")
    opened_as: Literal["customer", "staff"]
    business_id: str | None
    assignee_id: str | None
    first_response_due: datetime
    first_response_at: datetime | None
    first_response_overdue: bool


class OperatorTicketOut(TicketSummaryOut):
    operator: OperatorDetailsOut


class TicketOut(ResponseModel):
    ticket: TicketSummaryOut
    operator: OperatorDetailsOut | None = Field(description="Operators only: requester, assignment, first-response due")
    messages: list[MessageOut]
    attachments: list[AttachmentOut]
    recordings: list[RecordingOut] = Field(description="Call recordings: operators only (empty for the requester)")


class TicketPage(ResponseModel):
    items: list[TicketSummaryOut]
    next_cursor: str | None


class OperatorTicketPage(ResponseModel):
    items: list[OperatorTicketOut]
    next_cursor: str | None


class UploadFormOut(ResponseModel):
    attachment_id: str
    url: str = Field(description="POST the file here as multipart/form-data, with every field below first")
    fields: dict[str, str]
    expires_in_seconds: int


class DownloadOut(ResponseModel):
    url: str = Field(description="A presigned GET, valid for expires_in_seconds")
    expires_in_seconds: int
