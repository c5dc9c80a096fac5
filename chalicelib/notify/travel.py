"""Travel-request notifications (TRV-1): what the customer is told of replies, quotes and
status changes. The travel service records a domain event in the change's transaction;
the subscriber (services/subscribers.py) calls ``publish``: one SQS message whose id is the
event id, so a relay that runs twice sends a duplicate the consumer delivers once.

Messages say only that something happened and the status (SHARE-2): no free text of the
request or the thread leaves the platform through a notification provider.
"""

from __future__ import annotations

from typing import Any

from chalicelib.notify import producer
from chalicelib.notify.messages import Category, NotificationMessage

TRAVEL_REPLY = "travel.reply"
TRAVEL_QUOTED = "travel.quoted"
TRAVEL_STATUS = "travel.status"
TRAVEL_KINDS = frozenset({TRAVEL_REPLY, TRAVEL_QUOTED, TRAVEL_STATUS})


def message(kind: str, event_id: str, payload: dict[str, Any]) -> NotificationMessage | None:
    """The customer's message for a travel event, or None when there is nothing to tell them
    (a change they made themselves; "quoted", which the quote's message announces)."""
    if kind not in TRAVEL_KINDS:
        raise ValueError(f"not a travel notification kind: {kind}")
    if payload.get("by") == "customer":
        return None
    if kind == TRAVEL_STATUS and payload.get("status") == "quoted":
        return None  # the quote's own message tells it
    return NotificationMessage(
        notification_id=event_id,
        kind=kind,
        category=Category.TRAVEL_UPDATES,
        user_id=str(payload["customer_user_id"]),
        partner_id=str(payload["business_id"]),
        params={"request_id": str(payload["request_id"]), "status": str(payload["status"])},
    )


def publish(kind: str, event_id: str, payload: dict[str, Any]) -> None:
    """One SQS message (none for the customer's own changes)."""
    found = message(kind, event_id, payload)
    if found is not None:
        producer.enqueue(found)
