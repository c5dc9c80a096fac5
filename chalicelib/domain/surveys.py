"""Service-quality survey answers (REV-3): pure rules, no I/O.

One answer per booking, only for a visit the business marked attended (completed). The
customer says whether the visit happened, may add feedback, and may give the price they were
offered and the price they paid (minor units, one ISO 4217 currency): the operators' view
shows per venue the attendance rate and the mean gap ``paid - offered`` per currency.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import errors
from chalicelib.domain.bookings import Booking, BookingStatus

MAX_FEEDBACK = 2000  # characters (the API states the same bound)
MAX_PRICE_MINOR = 100_000_000  # a million in major units: anything above is a typo


class AlreadyAnswered(errors.Conflict):
    slug = "survey-already-answered"
    title = "This booking's survey has already been answered"


class LinkUsed(errors.Conflict):
    slug = "survey-link-used"
    title = "This survey link has already been used"


class LinkExpired(errors.Gone):
    slug = "survey-link-expired"
    title = "This survey link has expired"


class NotSurveyable(errors.Conflict):
    slug = "survey-not-open"
    title = "This booking has no survey"


@dataclass(frozen=True)
class Answer:
    attended: bool
    feedback: str | None = None
    price_offered_minor: int | None = None
    price_paid_minor: int | None = None
    currency: str | None = None

    @property
    def priced(self) -> bool:
        return self.price_offered_minor is not None and self.price_paid_minor is not None

    @property
    def gap_minor(self) -> int:
        """Paid minus offered (0 without prices)."""
        if self.price_offered_minor is None or self.price_paid_minor is None:
            return 0
        return self.price_paid_minor - self.price_offered_minor


def check_answer(answer: Answer) -> Answer:
    """Both prices and their currency together, or none. Prices are accepted with "not attended"
    too: being charged for a visit that did not happen is exactly what operators need to see."""
    problems: list[errors.FieldError] = []
    prices = (answer.price_offered_minor, answer.price_paid_minor)
    given = [p for p in prices if p is not None]
    if given and len(given) != len(prices):
        problems.append(errors.FieldError("price_paid_minor", "give both prices (offered and paid) or neither"))
    if given and answer.currency is None:
        problems.append(errors.FieldError("currency", "required with the prices"))
    if not given and answer.currency is not None:
        problems.append(errors.FieldError("currency", "only with the prices"))
    for name, value in zip(("price_offered_minor", "price_paid_minor"), prices, strict=True):
        if value is not None and not 0 <= value <= MAX_PRICE_MINOR:
            problems.append(errors.FieldError(name, f"between 0 and {MAX_PRICE_MINOR}"))
    if answer.feedback is not None and len(answer.feedback) > MAX_FEEDBACK:
        problems.append(errors.FieldError("feedback", f"at most {MAX_FEEDBACK} characters"))
    if problems:
        raise errors.InvalidInput(problems)
    return answer


def require_surveyable(booking: Booking) -> None:
    """Only a visit the business marked attended has a survey."""
    if booking.status is not BookingStatus.COMPLETED:
        raise NotSurveyable("Only a visit the business marked attended has a survey")


@dataclass(frozen=True)
class VenueTotals:
    """A venue's counters as stored (exact: changed in each answer's own transaction)."""

    business_id: str
    venue_id: str
    answers: int
    attended: int
    gaps: dict[str, tuple[int, int]]  # currency -> (priced answers, sum of paid - offered)

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.answers if self.answers else None

    def mean_gap_minor(self, currency: str) -> float | None:
        count, total = self.gaps.get(currency, (0, 0))
        return total / count if count else None
