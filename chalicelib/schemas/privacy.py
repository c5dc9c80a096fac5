"""Public contract of the privacy routes: consents, exports, erasure, privacy requests."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from chalicelib.schemas.common import FreeText, RequestModel, ResponseModel, server_issued

PARTNER_ID_PATTERN = r"^(all|[A-Za-z0-9_-]{1,64})$"


class PartnerConsentChange(RequestModel):
    partner_id: str = Field(pattern=PARTNER_ID_PATTERN, description='A business id, or "all" for every partner')
    granted: bool


class ConsentsUpdate(RequestModel):
    """Only the fields sent change; every change is kept in the history."""

    partner_marketing: list[PartnerConsentChange] | None = Field(default=None, max_length=50)
    location: bool | None = Field(default=None, description='"Use my location" (the location is never stored)')
    marketing_objection: bool | None = Field(
        default=None, description="Object to all marketing: beats every marketing consent"
    )
    processing_restriction: bool | None = Field(
        default=None, description="Restrict processing to what existing bookings need"
    )

    @field_validator("partner_marketing")
    @classmethod
    def _one_answer_per_partner(cls, value: list[PartnerConsentChange] | None) -> list[PartnerConsentChange] | None:
        seen: dict[str, int] = {}
        for index, change in enumerate(value or []):
            if change.partner_id in seen:
                raise ValueError(
                    f"partner {change.partner_id!r} is listed twice (items {seen[change.partner_id]} and {index})"
                )
            seen[change.partner_id] = index
        return value


class TermsAcceptanceOut(ResponseModel):
    version: str
    accepted_at: str


class PartnerConsentOut(ResponseModel):
    partner_id: str
    granted: bool
    updated_at: str


class ConsentEventOut(ResponseModel):
    kind: str
    scope: str
    granted: bool
    at: str
    source: str


class ConsentsResponse(ResponseModel):
    terms: TermsAcceptanceOut | None
    partner_marketing_all: bool
    partner_marketing: list[PartnerConsentOut]
    location: bool
    marketing_objection: bool
    processing_restriction: bool
    history: list[ConsentEventOut] = Field(description="Every change, newest first")


# --- exports -----------------------------------------------------------------------


class ExportResponse(ResponseModel):
    export_id: str
    status: Literal["ready", "pending"]
    data: dict[str, object] | None = Field(
        default=None, description="The export itself when small (schema: /docs/export-schema.json)"
    )
    download_url: str | None = Field(default=None, description="Expiring link when built by the worker")
    expires_at: str | None = None


class ExportStatusResponse(ExportResponse):
    pass


# --- erasure -----------------------------------------------------------------------


class ErasureResponse(ResponseModel):
    request_id: str = Field(description="The erasure's privacy request (the same id when DELETE is retried)")
    status: Literal["in_progress", "completed"] = Field(
        description="in_progress: signed out and closed; the data is being removed in the background"
    )
    deactivated_at: str
    personal_data_removed_by: str = Field(description="Deadline for removing the personal data (RET-1)")


# --- privacy requests --------------------------------------------------------------

RequestKind = Literal["access", "portability", "rectification", "erasure", "restriction", "objection", "other"]


class PrivacyRequestCreate(RequestModel):
    kind: RequestKind
    details: Annotated[str, FreeText(max_length=2000, multiline=True)] | None = Field(
        default=None, description="What the user asks for, in their words"
    )


RequestStatus = Literal["open", "in_progress", "completed", "rejected"]


class RequestProgressOut(ResponseModel):
    """A background erasure's progress, after each batch of the user's items."""

    phase: str = Field(description='Which of the user\'s item locations it is in ("items:<n>"), "finish" or "done"')
    items_processed: int
    updated_at: str


class PrivacyRequestOut(ResponseModel):
    request_id: str
    kind: RequestKind
    status: RequestStatus = Field(description="in_progress: an erasure whose background job is running")
    received_at: str
    due_at: str = Field(description="Reply deadline: the stricter of 10 business days and one month")
    completed_at: str | None = None
    progress: RequestProgressOut | None = None


class PrivacyRequestList(ResponseModel):
    items: list[PrivacyRequestOut]
    next_cursor: str | None = None


class OperatorPrivacyRequestOut(PrivacyRequestOut):
    user_id: str
    overdue: bool


class OperatorPrivacyRequestList(ResponseModel):
    items: list[OperatorPrivacyRequestOut]
    next_cursor: str | None = None


class OperatorPrivacyRequestQuery(RequestModel):
    status: RequestStatus = "open"
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="Opaque: the next_cursor of the previous page (same status); any other value is a 422",
        json_schema_extra=server_issued("cursor", "next_cursor"),
    )


class PrivacyRequestUpdate(RequestModel):
    status: Literal["completed", "rejected"]
