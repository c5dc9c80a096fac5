"""Survey answers and the per-venue counters (REV-3).

| item | PK | SK | GSI1 |
|---|---|---|---|
| answer | ``SURVEY#<booking id>`` | ``ANSWER`` | ``USER#<u>`` / ``SURVEY#<answered at>#<booking>`` |
| venue totals | ``SURVEYSTATS#<venue id>`` | ``TOTAL`` | ``SURVEYSTATS`` / ``<business>#<venue>`` |
| price gaps of one currency | ``SURVEYSTATS#<venue id>`` | ``PRICE#<currency>`` | |

One answer per booking: the answer's put is conditional on its key not existing, and the
counters move in the same TransactWriteItems (ADD), so they are exact under concurrency and
retries: a second answer cancels the whole transaction, counters included. The answer is
listed under the customer's GSI1 ``USER#<u>`` so the export and the erasure find it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.surveys import Answer, VenueTotals
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute, encode
from chalicelib.store.table import TableItem

STATS_INDEX_KEY = "SURVEYSTATS"
ANSWER_ROLE = "survey-answer"


class SurveyAnswer(TableItem, discriminator="SurveyAnswer"):
    booking_id = UnicodeAttribute()
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    attended = BooleanAttribute()
    feedback = UnicodeAttribute(null=True)
    price_offered_minor = NumberAttribute(null=True)
    price_paid_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    via = UnicodeAttribute()  # "link" (signed link, no sign-in) or "app" (signed in)
    answered_at = InstantAttribute()


class SurveyVenueTotals(TableItem, discriminator="SurveyVenueTotals"):
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    answers = NumberAttribute(default=0)
    attended = NumberAttribute(default=0)
    updated_at = InstantAttribute()


class SurveyPriceTotals(TableItem, discriminator="SurveyPriceTotals"):
    venue_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    priced_answers = NumberAttribute(default=0)
    gap_sum_minor = NumberAttribute(default=0)  # sum of (paid - offered)
    updated_at = InstantAttribute()


def answer_key(booking_id: str) -> tuple[str, str]:
    return f"SURVEY#{booking_id}", "ANSWER"


def _stats_pk(venue_id: str) -> str:
    return f"SURVEYSTATS#{venue_id}"


@dataclass(frozen=True)
class StoredAnswer:
    booking_id: str
    business_id: str
    venue_id: str
    user_id: str
    answer: Answer
    via: str
    answered_at: datetime


def _view(item: SurveyAnswer) -> StoredAnswer:
    return StoredAnswer(
        booking_id=item.booking_id,
        business_id=item.business_id,
        venue_id=item.venue_id,
        user_id=item.user_id,
        answer=Answer(
            attended=bool(item.attended),
            feedback=item.feedback,
            price_offered_minor=None if item.price_offered_minor is None else int(item.price_offered_minor),
            price_paid_minor=None if item.price_paid_minor is None else int(item.price_paid_minor),
            currency=item.currency,
        ),
        via=item.via,
        answered_at=item.answered_at,
    )


def add_answer(
    tx: db.Transaction,
    *,
    booking_id: str,
    business_id: str,
    venue_id: str,
    user_id: str,
    answer: Answer,
    via: str,
    now: datetime,
) -> None:
    """Add to ``tx``: the answer (role ``survey-answer``: only if the booking has none) and
    the venue's counters (ADD), the price counters of its currency when it has prices."""
    pk, sk = answer_key(booking_id)
    item = SurveyAnswer(
        pk=pk,
        sk=sk,
        gsi1pk=f"USER#{user_id}",
        gsi1sk=f"SURVEY#{encode(now)}#{booking_id}",
        booking_id=booking_id,
        business_id=business_id,
        venue_id=venue_id,
        user_id=user_id,
        attended=answer.attended,
        feedback=answer.feedback,
        price_offered_minor=answer.price_offered_minor,
        price_paid_minor=answer.price_paid_minor,
        currency=answer.currency,
        via=via,
        answered_at=now,
    )
    tx.put(item, role=ANSWER_ROLE, condition=SurveyAnswer.pk.does_not_exist())
    totals = SurveyVenueTotals(pk=_stats_pk(venue_id), sk="TOTAL")
    tx.update(
        totals,
        [
            SurveyVenueTotals.entity.set(SurveyVenueTotals),  # the first answer creates the item: tag its type
            SurveyVenueTotals.business_id.set(business_id),
            SurveyVenueTotals.venue_id.set(venue_id),
            SurveyVenueTotals.gsi1pk.set(STATS_INDEX_KEY),
            SurveyVenueTotals.gsi1sk.set(f"{business_id}#{venue_id}"),
            SurveyVenueTotals.answers.add(1),
            SurveyVenueTotals.attended.add(1 if answer.attended else 0),
            SurveyVenueTotals.updated_at.set(now),
        ],
        role="survey-totals",
    )
    if answer.priced and answer.currency:
        prices = SurveyPriceTotals(pk=_stats_pk(venue_id), sk=f"PRICE#{answer.currency}")
        tx.update(
            prices,
            [
                SurveyPriceTotals.entity.set(SurveyPriceTotals),
                SurveyPriceTotals.venue_id.set(venue_id),
                SurveyPriceTotals.currency.set(answer.currency),
                SurveyPriceTotals.priced_answers.add(1),
                SurveyPriceTotals.gap_sum_minor.add(answer.gap_minor),
                SurveyPriceTotals.updated_at.set(now),
            ],
            role="survey-prices",
        )


def get_answer(booking_id: str) -> StoredAnswer | None:
    """One GetItem."""
    item = db.get(SurveyAnswer, *answer_key(booking_id))
    return _view(item) if item is not None else None


def venue_totals(venue_id: str) -> VenueTotals | None:
    """One Query of the venue's counters partition (totals and every currency's gaps)."""
    business_id = ""
    answers = attended = 0
    gaps: dict[str, tuple[int, int]] = {}
    found = False
    for item in db.query(TableItem, _stats_pk(venue_id), consistent=True):
        if isinstance(item, SurveyVenueTotals):
            found = True
            business_id, answers, attended = item.business_id, int(item.answers), int(item.attended)
        elif isinstance(item, SurveyPriceTotals):
            gaps[item.currency] = (int(item.priced_answers), int(item.gap_sum_minor))
    if not found:
        return None
    return VenueTotals(business_id, venue_id, answers, attended, gaps)


def venues_page(limit: int, after: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
    """Venue ids with answers, one page of GSI1 ``SURVEYSTATS`` (one Query)."""
    raw, last = db.query_raw(
        TableItem.gsi1pk == STATS_INDEX_KEY, index="GSI1", limit=limit, start_key=after, projection=["venue_id"]
    )
    return [str(item["venue_id"]["S"]) for item in raw if "venue_id" in item], last
