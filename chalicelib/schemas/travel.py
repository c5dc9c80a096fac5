"""Travel requests, documents, quotes and exchange rates: the public contract (TRV-1..3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from chalicelib.domain import currencies
from chalicelib.domain.travel import (
    DESTINATION_MAX_CHARS,
    FILENAME_MAX_CHARS,
    MAX_QUOTE_LINES,
    MAX_TRAVELLERS,
    MESSAGE_MAX_CHARS,
    NOTES_MAX_CHARS,
)
from chalicelib.schemas.common import (
    ApiDate,
    ApiDateTime,
    FreeText,
    RequestModel,
    ResponseModel,
    date_bounds,
)
from chalicelib.schemas.pagination import PageQuery

# The default of settings.travel_horizon_days: how far ahead a trip may start or end.
HORIZON_DAYS = 365

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ServiceTypeName = Literal["tour", "flight_tickets", "hotel", "visa_support", "transfer"]
StatusName = Literal["new", "in_review", "quoted", "confirmed", "completed", "cancelled"]
StaffTarget = Literal["in_review", "completed", "cancelled"]
DocumentKindName = Literal["passport_scan", "visa_form", "ticket", "other"]
DocumentType = Literal["application/pdf", "image/jpeg", "image/png"]
IsoCode = Literal["USD", "EUR", "AMD", "CNY", "IRR"]
DisplayCode = Literal["USD", "EUR", "AMD", "CNY", "IRR", "TOMAN"]
Amount = Annotated[
    str,
    Field(
        pattern=r"^([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$",
        description="Decimal text in the base currency, at most its minor unit of places, more than 0",
        examples=["1250.50"],
    ),
]
Rate = Annotated[
    str,
    Field(
        pattern=r"^([1-9][0-9]{0,8}(\.[0-9]{1,8})?|1000000000|0\.[0-9]{0,7}[1-9])$",
        description=f"Decimal text: 1 base unit in this currency (more than 0, at most {currencies.MAX_RATE})",
        examples=["1.0825"],
    ),
]


class TravelRequestCreate(RequestModel):
    business_id: Id = Field(description="A travel business (one that publishes exchange rates; else 404)")
    service_type: ServiceTypeName
    destination: Annotated[str, FreeText(max_length=DESTINATION_MAX_CHARS, min_length=1)]
    start_date: ApiDate = Field(
        description=f"First day of the trip, from today to {HORIZON_DAYS} days ahead",
        json_schema_extra=date_bounds(min=["today"], max=[f"today+{HORIZON_DAYS}"]),
    )
    end_date: ApiDate = Field(
        description=f"Last day of the trip, from start_date to {HORIZON_DAYS} days ahead",
        json_schema_extra=date_bounds(min=["start_date"], max=[f"today+{HORIZON_DAYS}"]),
    )
    travellers: int = Field(ge=1, le=MAX_TRAVELLERS)
    notes: Annotated[str, FreeText(max_length=NOTES_MAX_CHARS, multiline=True)] | None = None


class TravelRequestOut(ResponseModel):
    id: str
    business_id: str
    customer_user_id: str
    service_type: ServiceTypeName
    destination: str
    start_date: str
    end_date: str
    travellers: int
    notes: str | None
    status: StatusName
    assignee_user_id: str | None
    first_response_due: AwareDatetime = Field(description="When staff should first answer")
    first_response_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    cancelled_by: Literal["customer", "staff"] | None
    latest_quote_id: str | None
    accepted_quote_id: str | None
    documents: int
    messages: int
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TravelRequestPage(ResponseModel):
    items: list[TravelRequestOut]
    next_cursor: str | None


class BusinessRequestsQuery(PageQuery):
    status: StatusName = Field(default="new", description="Requests in this status, newest first")


class MessageCreate(RequestModel):
    body: Annotated[str, FreeText(max_length=MESSAGE_MAX_CHARS, min_length=1, multiline=True)]


class MessageOut(ResponseModel):
    id: str
    request_id: str
    author_user_id: str
    author_side: Literal["customer", "staff"]
    body: str
    sent_at: AwareDatetime


class MessagePage(ResponseModel):
    items: list[MessageOut]
    next_cursor: str | None


class AssignBody(RequestModel):
    user_id: Id = Field(
        description="The staff member (the caller or a colleague)",
    )


class StatusBody(RequestModel):
    status: StaffTarget = Field(description="Quoted comes from posting a quote, confirmed from accepting one")


# --- documents ------------------------------------------------------------------------------------


class UploadRequest(RequestModel):
    content_type: DocumentType


class UploadFormOut(ResponseModel):
    document_id: str
    url: str = Field(description="POST the fields and then the file (multipart/form-data) here")
    fields: dict[str, str]
    content_type: str
    max_bytes: int
    expires_at: AwareDatetime


class DocumentRegister(RequestModel):
    kind: DocumentKindName
    filename: Annotated[str, FreeText(max_length=FILENAME_MAX_CHARS, min_length=1)]
    content_type: DocumentType = Field(description="The type the upload form was issued for")


class DocumentOut(ResponseModel):
    id: str
    request_id: str
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    uploaded_at: AwareDatetime
    delete_after: AwareDatetime | None = Field(description="Set when the request closes (RET-9)")


class DocumentList(ResponseModel):
    items: list[DocumentOut]


class DocumentLinkOut(DocumentOut):
    url: str = Field(description="A short-lived presigned GET of the file")
    url_expires_at: AwareDatetime


# --- money ----------------------------------------------------------------------------------------


class QuoteLineIn(RequestModel):
    description: Annotated[str, FreeText(max_length=200, min_length=1)]
    quantity: int = Field(ge=1, le=100)
    unit_price: Amount


class QuoteCreate(RequestModel):
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_QUOTE_LINES)
    display_currencies: list[DisplayCode] = Field(
        default_factory=list,
        max_length=6,
        description="Show the total in these too (approximate; TOMAN: Iranian rial shown in Toman, 1 Toman = 10 IRR)",
    )


class QuoteLineOut(ResponseModel):
    description: str
    quantity: int
    unit_price: str
    amount: str


class ConvertedOut(ResponseModel):
    currency: str
    label: str
    amount: str = Field(description="Rounded half-even to the unit's places (IRR and Toman: whole units)")
    rate: str = Field(description="1 base unit in this unit, as used")
    rate_version: int
    approximate: bool


class QuoteOut(ResponseModel):
    id: str
    request_id: str
    base_currency: str
    lines: list[QuoteLineOut]
    total: str
    displays: list[ConvertedOut]
    rate_version: int
    rates_effective_at: AwareDatetime
    created_at: AwareDatetime
    expires_at: AwareDatetime
    accepted_at: AwareDatetime | None


class QuoteList(ResponseModel):
    items: list[QuoteOut]


class RatesPut(RequestModel):
    base_currency: IsoCode
    expected_version: int = Field(ge=0, le=10**9, description="The version read (0 before the first)")
    effective_at: ApiDateTime = Field(
        description="When these rates took effect: not in the future",
        json_schema_extra=date_bounds(max=["today"]),
    )
    rates: dict[IsoCode, Rate] = Field(max_length=len(currencies.SUPPORTED))


class RatesQuery(RequestModel):
    business_id: Id = Field(description="A travel business (one that publishes exchange rates; else 404)")


class ShownRateOut(ResponseModel):
    currency: str
    label: str
    rate: str = Field(description="1 base unit in this unit")
    places: int = Field(description="Decimal places amounts are shown with")


class RatesOut(ResponseModel):
    business_id: str
    base_currency: str
    version: int
    effective_at: AwareDatetime
    stale: bool = Field(description="Older than max_age_hours: not used for new quotes")
    max_age_hours: int
    rates: list[ShownRateOut]
