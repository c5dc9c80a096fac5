"""Service-quality survey invitations and their signed answer links (REV-3).

A visit the business marks attended (the ``booking.completed`` domain event) gets ONE
invitation: category ``surveys`` (standard: on by default, switchable per channel), its
notification id derived from the event id, so a relay that runs twice sends one message.

The link answers without signing in. Its token is signed the way unsubscribe links are
(chalicelib/notify/unsubscribe.py ``sign``/``verify``: HMAC-SHA256 under
``notify_unsubscribe_key``) with its own version tag ``s1``, so neither kind of token reads as
the other. It names one booking and its customer and carries its deadline (``survey_link_days``
after the invitation, 30 by default): a forged, widened or expired token is refused here, a used
one by the answer's conditional write (one answer per booking, chalicelib/store/surveys.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from chalicelib.notify import producer, unsubscribe
from chalicelib.notify.messages import Category, NotificationMessage
from chalicelib.settings import get_settings

_VERSION = "s1"
SURVEY_PATH = "/v1/survey"
INVITATION_KIND = "survey.invitation"

InvalidToken = unsubscribe.InvalidToken


@dataclass(frozen=True)
class SurveyLink:
    booking_id: str
    user_id: str
    expires_at: datetime  # UTC, to the second

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def link_lifetime() -> timedelta:
    return timedelta(days=get_settings().survey_link_days)


def make_token(booking_id: str, user_id: str, expires_at: datetime) -> str:
    epoch = int(expires_at.astimezone(UTC).timestamp())
    return unsubscribe.sign(f"{_VERSION}|{booking_id}|{user_id}|{epoch}".encode())


def read_token(token: str) -> SurveyLink:
    """The link's booking, customer and deadline; InvalidToken when forged or malformed (an
    expired one reads: the caller says "expired", which is more helpful than "invalid")."""
    try:
        version, booking_id, user_id, epoch = unsubscribe.verify(token).decode().split("|")
        if version != _VERSION or not booking_id or not user_id:
            raise InvalidToken("not a survey link")
        return SurveyLink(booking_id, user_id, datetime.fromtimestamp(int(epoch), UTC))
    except InvalidToken:
        raise
    except (ValueError, UnicodeDecodeError, OverflowError, OSError) as exc:
        raise InvalidToken("malformed token") from exc


def link(booking_id: str, user_id: str, expires_at: datetime) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}{SURVEY_PATH}?{urlencode({'token': make_token(booking_id, user_id, expires_at)})}"


def invitation_id(event_id: str) -> str:
    return f"{event_id}:survey"


def invite(
    *,
    event_id: str,
    booking_id: str,
    business_id: str,
    customer_user_id: str,
    venue_name: str,
    service_name: str,
    recorded_at: datetime,
) -> NotificationMessage:
    """One SQS message (id from the event: a second run is a duplicate the consumer drops).
    The link's deadline counts from the event's commit time, so a retry signs the same link."""
    expires_at = (recorded_at + link_lifetime()).astimezone(UTC).replace(microsecond=0)
    message = NotificationMessage(
        notification_id=invitation_id(event_id),
        kind=INVITATION_KIND,
        category=Category.SURVEYS,
        user_id=customer_user_id,
        partner_id=business_id,
        params={
            "booking_id": booking_id,
            "venue_name": venue_name,
            "service_name": service_name,
            "url": link(booking_id, customer_user_id, expires_at),
            "expires_at": expires_at.isoformat(),
        },
    )
    producer.enqueue(message)
    return message
