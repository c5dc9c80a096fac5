"""Review fixtures: visits seeded straight through the booking store (no HTTP round trips), so
a test can hold 50 attended bookings of one venue in a second."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.bookings import Booking, BookingStatus


def seed_visit(
    salon: Any,
    customer_user_id: str,
    end: datetime,
    status: BookingStatus = BookingStatus.COMPLETED,
    specialist: int = 0,
) -> Booking:
    """A booking of ``salon``'s service by ``customer_user_id`` that ends at ``end``, already in
    ``status`` (one PutItem of the booking item; no locks: it is in the past)."""
    from chalicelib.store import bookings, db

    spec = salon.specialists[specialist]
    start = end - timedelta(minutes=60)
    booking = Booking(
        booking_id=uuid.uuid4().hex,
        business_id=salon.business_id,
        venue_id=salon.venue_id,
        specialist_id=spec.specialist_id,
        service_id=salon.service.service_id,
        customer_user_id=customer_user_id,
        status=status,
        start=start,
        end=end,
        occupied_start=start,
        occupied_end=end,
        timezone=salon.venue.timezone,
        created_at=start - timedelta(days=1),
        updated_at=end,
        price_minor=4000,
        venue_name=salon.venue.name,
        venue_address=salon.venue.address,
        service_name=salon.service.name,
        specialist_name=spec.name,
    )
    db.put(bookings.booking_record(booking))
    return replace(booking)


def review_body(overall: int = 5, text: str | None = "Lovely cut", **criteria: int) -> dict[str, Any]:
    body: dict[str, Any] = {"ratings": {"overall": overall, **criteria}}
    if text is not None:
        body["text"] = text
    return body
