"""iCalendar (RFC 5545) documents: one booking's file and the subscribable calendar feeds.

Built with the maintained ``icalendar`` library (escaping, folding at 75 octets, CRLF and
date-time forms are its job, not ours). Times are written in UTC (``DTSTART:...Z``), which
every client converts to the reader's zone without a VTIMEZONE block. ``SEQUENCE`` follows
the booking's version, so a client replaces an earlier copy after a reschedule or cancel.

Pure: the caller passes the bookings and what each event may say (a feed's entries carry the
customer's first name only, nothing else about them: services/calendar_feeds.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.bookings import Booking, BookingStatus

if TYPE_CHECKING:
    from icalendar import Calendar, Event

PRODID = "-//Booking Platform//Bookings 1.0//EN"
# How often a subscribed client should re-read a feed (RFC 7986 REFRESH-INTERVAL; Apple and
# Outlook honour the X-PUBLISHED-TTL form). Calendar clients poll on their own schedule anyway.
FEED_REFRESH = timedelta(hours=1)

_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
}


@dataclass(frozen=True)
class FeedEntry:
    """One booking as a feed shows it: ``summary`` and ``description`` are decided by the
    caller (a business feed names the customer's first name, a customer's the venue)."""

    booking: Booking
    summary: str
    description: str = ""
    location: str = ""


def _calendar(name: str | None = None) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
    return calendar


def _event(booking: Booking, summary: str, description: str, location: str, now: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{booking.booking_id}@bookings")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", summary)
    event.add("status", _STATUS[booking.status])
    event.add("sequence", max(0, booking.version - 1))
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    return event


def _text(calendar: Calendar) -> str:
    text: str = calendar.to_ical().decode()
    return text


def booking_calendar(booking: Booking, now: datetime) -> str:
    """A VCALENDAR with one VEVENT: the customer's own booking (service, venue, specialist)."""
    summary = f"{booking.service_name} at {booking.venue_name}".strip()
    description = f"Specialist: {booking.specialist_name}" if booking.specialist_name else ""
    calendar = _calendar()
    calendar.add_component(_event(booking, summary, description, booking.venue_address, now))
    return _text(calendar)


def feed_calendar(name: str, entries: Iterable[FeedEntry], now: datetime) -> str:
    """A subscribable VCALENDAR: one VEVENT per entry, a refresh hint for the client."""
    calendar = _calendar(name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", FEED_REFRESH)
    for entry in entries:
        event = _event(entry.booking, entry.summary, entry.description, entry.location, now)
        calendar.add_component(event)
    return _text(calendar)


def first_name(name: str) -> str:
    """The first word of a name (a feed shows no more of the customer, SHARE-1 minimised)."""
    parts = name.split()
    return parts[0] if parts else ""
