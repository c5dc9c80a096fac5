"""Service-quality surveys (REV-3): the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.domain.surveys import MAX_FEEDBACK, MAX_PRICE_MINOR
from chalicelib.schemas.common import Currency, FreeText, RequestModel, ResponseModel, currency_codes, server_issued
from chalicelib.schemas.pagination import PageQuery

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _state_codes(schema: dict[str, Any]) -> None:
    schema["enum"] = currency_codes()  # the codes the validator accepts, stated (no guessing)


SurveyCurrency = Annotated[Currency, Field(json_schema_extra=_state_codes)]
Minor = Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR, description="Minor units (cents)")]


class SurveyPrices(RequestModel):
    offered_minor: Minor = Field(description="The price the venue offered or showed, in minor units")
    paid_minor: Minor = Field(description="The price actually paid, in minor units")
    currency: SurveyCurrency


class SurveyAnswerIn(RequestModel):
    attended: bool = Field(description="Did the visit take place as booked?")
    feedback: Annotated[str, FreeText(max_length=MAX_FEEDBACK, multiline=True)] | None = Field(
        default=None, description="Plain text for the platform's quality team (not published)"
    )
    prices: SurveyPrices | None = Field(default=None, description="Offered and paid price, in one currency")


class SurveyTokenQuery(RequestModel):
    token: str = Field(
        min_length=16,
        max_length=1024,
        description="The token of a survey link we sent (signed, works once, for survey_link_days); any other "
        "value is a 422 naming query.token",
        json_schema_extra=server_issued("survey-token", "the link of a survey invitation"),
    )


class SurveyPricesOut(ResponseModel):
    offered_minor: int
    paid_minor: int
    currency: str


class SurveyAnswerOut(ResponseModel):
    booking_id: str
    venue_id: str
    attended: bool
    feedback: str | None
    prices: SurveyPricesOut | None
    via: Literal["link", "app"]
    answered_at: datetime


class SurveyLinkOut(ResponseModel):
    booking_id: str
    venue_name: str
    service_name: str
    start: datetime
    timezone: str
    expires_at: datetime = Field(description="The link answers until then")
    answered: bool = Field(description="True once the booking's survey is answered (the link is used)")


class OperatorSurveyQuery(PageQuery):
    venue_id: Id | None = Field(default=None, description="One venue's aggregates only")


class PriceGapOut(ResponseModel):
    currency: str
    priced_answers: int
    mean_gap_minor: float = Field(description="Mean of (paid - offered), minor units")


class VenueSurveyOut(ResponseModel):
    business_id: str
    venue_id: str
    answers: int
    attended: int
    attendance_rate: float | None = Field(description="attended / answers (null without answers)")
    price_gaps: list[PriceGapOut]


class VenueSurveyPage(ResponseModel):
    items: list[VenueSurveyOut]
    next_cursor: str | None
