"""Service-quality surveys (REV-3): the signed link (no sign-in), the signed-in answer and the
operators' per-venue aggregates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api import pagination
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.domain import surveys as rules
    from chalicelib.schemas import surveys as schemas
    from chalicelib.services import surveys
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    surveys = lazy_import("chalicelib.services.surveys")
    schemas = lazy_import("chalicelib.schemas.surveys")
    rules = lazy_import("chalicelib.domain.surveys")

blueprint = Blueprint(__name__)
TAGS = ["surveys"]
SURVEY_PATH = "/v1/survey"  # chalicelib/notify/surveys.py SURVEY_PATH: the invitation's link


def _answer(body: schemas.SurveyAnswerIn) -> rules.Answer:
    prices = body.prices
    return rules.Answer(
        attended=body.attended,
        feedback=body.feedback or None,
        price_offered_minor=prices.offered_minor if prices else None,
        price_paid_minor=prices.paid_minor if prices else None,
        currency=prices.currency if prices else None,
    )


def _out(view: surveys.AnswerView) -> schemas.SurveyAnswerOut:
    answer = view.answer
    prices = None
    if answer.price_offered_minor is not None and answer.price_paid_minor is not None and answer.currency:
        prices = schemas.SurveyPricesOut(
            offered_minor=answer.price_offered_minor, paid_minor=answer.price_paid_minor, currency=answer.currency
        )
    return schemas.SurveyAnswerOut(
        booking_id=view.booking_id,
        venue_id=view.venue_id,
        attended=answer.attended,
        feedback=answer.feedback,
        prices=prices,
        via="link" if view.via == surveys.VIA_LINK else "app",
        answered_at=view.answered_at,
    )


@endpoint(
    blueprint,
    SURVEY_PATH,
    "GET",
    summary="What this survey link is about (no sign-in; changes nothing)",
    tags=TAGS,
    errors_=[410],
)
def preview_survey(ctx: RequestContext, query: schemas.SurveyTokenQuery) -> schemas.SurveyLinkOut:
    view = surveys.preview_link(query.token, deps.clock().now())
    return schemas.SurveyLinkOut(
        booking_id=view.booking_id,
        venue_name=view.venue_name,
        service_name=view.service_name,
        start=view.start,
        timezone=view.timezone,
        expires_at=view.expires_at,
        answered=view.answered,
    )


@endpoint(
    blueprint,
    SURVEY_PATH,
    "POST",
    summary="Answer the survey through its signed link (no sign-in; works once)",
    tags=TAGS,
    status=201,
    errors_=[409, 410],
    description="A used link answers 409 `survey-link-used`, an expired one 410 `survey-link-expired`, "
    "a forged or altered one 422 naming query.token.",
)
def answer_survey_by_link(
    ctx: RequestContext, query: schemas.SurveyTokenQuery, body: schemas.SurveyAnswerIn
) -> schemas.SurveyAnswerOut:
    return _out(surveys.answer_by_link(query.token, _answer(body), deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/survey",
    "POST",
    summary="Answer the survey of my attended booking (one answer per booking)",
    tags=TAGS,
    status=201,
    errors_=[404, 409],
    auth=True,
    description="A second answer is 409 `survey-already-answered`; a booking not marked attended "
    "409 `survey-not-open`.",
)
def answer_survey(ctx: RequestContext, booking_id: str, body: schemas.SurveyAnswerIn) -> schemas.SurveyAnswerOut:
    return _out(surveys.answer_as_customer(ctx.principal, booking_id, _answer(body), deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/bookings/{booking_id}/survey",
    "GET",
    summary="My answer to this booking's survey",
    tags=TAGS,
    errors_=[404],
    auth=True,
)
def get_my_survey(ctx: RequestContext, booking_id: str) -> schemas.SurveyAnswerOut:
    return _out(surveys.get_mine(ctx.principal, booking_id))


@endpoint(
    blueprint,
    "/v1/operator/surveys",
    "GET",
    summary="Operators: survey aggregates per venue (answers, attendance rate, mean price gap per currency)",
    tags=["surveys", "operator"],
    auth=True,
)
def list_survey_totals(ctx: RequestContext, query: schemas.OperatorSurveyQuery) -> schemas.VenueSurveyPage:
    scope = "operator-surveys"
    after = pagination.decode(query.cursor, scope=scope)
    found, last = surveys.operator_totals(ctx.principal, query.venue_id, query.limit, after)
    items = [
        schemas.VenueSurveyOut(
            business_id=totals.business_id,
            venue_id=totals.venue_id,
            answers=totals.answers,
            attended=totals.attended,
            attendance_rate=totals.attendance_rate,
            price_gaps=[
                schemas.PriceGapOut(currency=currency, priced_answers=count, mean_gap_minor=total / count)
                for currency, (count, total) in sorted(totals.gaps.items())
                if count
            ],
        )
        for totals in found
    ]
    return schemas.VenueSurveyPage(items=items, next_cursor=pagination.encode(last, scope=scope))
