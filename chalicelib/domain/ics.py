"""iCalendar (RFC 5545) export of one booking.

Times are written in UTC (``DTSTART:...Z``), which every client converts to the reader's
zone without a VTIMEZONE block. TEXT values are escaped (backslash, semicolon, comma,
newline) and content lines are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.bookings import Booking, BookingStatus

PRODID = "-//Booking Platform//Bookings 1.0//EN"
_MAX_OCTETS = 75

_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on lines starting with one space."""
    encoded = line.encode()
    if len(encoded) <= _MAX_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = _MAX_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = _MAX_OCTETS - 1  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def booking_calendar(booking: Booking, now: datetime) -> str:
    """A VCALENDAR with one VEVENT; ``SEQUENCE`` follows the booking's version so calendar
    clients replace an earlier import after a reschedule or cancellation."""
    summary = f"{booking.service_name} at {booking.venue_name}".strip()
    description = f"Specialist: {booking.specialist_name}" if booking.specialist_name else ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.booking_id}@bookings",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(booking.start)}",
        f"DTEND:{_utc(booking.end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"STATUS:{_STATUS[booking.status]}",
        f"SEQUENCE:{max(0, booking.version - 1)}",
    ]
    if booking.venue_address:
        lines.append(f"LOCATION:{escape_text(booking.venue_address)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
