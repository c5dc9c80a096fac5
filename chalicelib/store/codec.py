"""The one time codec for everything stored.

Every instant the table holds (attributes, sort keys, expiry keys, lock intervals) is UTC
text of one fixed width, zero-padded, with microseconds::

    0837-07-07T05:44:10.000000Z          27 characters, for every year 0001-9999

Fixed width makes lexical order equal time order (sort keys, ``BETWEEN`` bounds, the
``ByExpiry`` index). ``datetime.isoformat`` always pads the year; strftime's ``%Y`` does
not on glibc (year 837 came out as "837-..." and could not be read back). DynamoDB's TTL
attribute is the one exception by necessity: it must be epoch seconds (``epoch``).
Calendar days are ``YYYY-MM-DD`` (``day``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import STRING

WIDTH = 27


def encode(instant: datetime) -> str:
    """``instant`` as stored text. A naive datetime is a bug (no zone): refused."""
    if instant.tzinfo is None:
        raise ValueError("a stored instant needs a time zone")
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def decode(text: str) -> datetime:
    """Stored text back to an aware UTC datetime (C-speed ``fromisoformat``)."""
    return datetime.fromisoformat(text)


def epoch(instant: datetime) -> int:
    """Whole epoch seconds: DynamoDB's TTL attribute format, nothing else."""
    return int(instant.timestamp())


def day(value: date) -> str:
    """A calendar day as stored text (``date.isoformat`` pads the year too)."""
    return value.isoformat()


def parse_day(text: str) -> date:
    return date.fromisoformat(text)


class InstantAttribute(Attribute[datetime]):
    """A PynamoDB attribute holding an instant in the codec's format."""

    attr_type = STRING

    def serialize(self, value: Any) -> str:
        return encode(value)

    def deserialize(self, value: Any) -> datetime:
        return decode(value)


class DayAttribute(Attribute[date]):
    """A PynamoDB attribute holding a calendar day (``YYYY-MM-DD``)."""

    attr_type = STRING

    def serialize(self, value: Any) -> str:
        return day(value)

    def deserialize(self, value: Any) -> date:
        return parse_day(value)
