"""Adapters to the other areas' stores: where a data subject's data lives.

The privacy engine (export, erasure, consents) reads other areas' data only through
the functions here, so one file shows every dependency on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.store import db
from chalicelib.store import subjects as store
from chalicelib.store.items import StoredItem

# How many places a user's items live in (store/subjects.py LOCATIONS); the background
# erasure walks them in order, one page at a time.
LOCATION_COUNT = store.LOCATION_COUNT

# Profile attributes dropped at once when an account is closed; name and phone stay (at
# most 30 days) only so businesses can reach the customer about bookings still active (RET-2).
CLOSED_PROFILE_DROPS = (
    "email",
    "email_verified",
    "password_hash",
    "telegram_id",
    "pending_phone",
    "pending_email",
    "is_operator",
)


def registration_record(user_id: str) -> tuple[str, str] | None:
    """(terms version, accepted-at instant) written by accounts at registration, if any."""
    from chalicelib.store import users

    record = users.get_registration(user_id)
    if record is None:
        return None
    return record.terms_version, record.accepted_at.isoformat(timespec="seconds")  # decoded as UTC


def profile_key(user_id: str) -> tuple[str, str]:
    from chalicelib.store import users

    return users.user_pk(user_id), users.PROFILE


def contact_claim_keys(profile: StoredItem) -> list[tuple[str, str]]:
    """The uniqueness/lookup items (keyed hashes) that point at this profile's contacts."""
    from chalicelib.store import users

    keys = []
    for kind, attribute in (("phone", "phone"), ("email", "email"), ("telegram", "telegram_id")):
        for name in (attribute, f"pending_{attribute}"):
            value = profile.text(name)
            if value:
                keys.append((users.claim_key(kind, value), users.CLAIM))
    return keys


def change_challenge_keys(user_id: str, profile: StoredItem) -> list[tuple[str, str]]:
    """The one-time code challenges of the profile's pending phone or e-mail change (keyed
    by the new address, not by the user, so not among ``items_of``)."""
    from chalicelib.store import users

    keys = []
    for kind in ("phone", "email"):
        pending = profile.text(f"pending_{kind}")
        if pending:
            keys.append(users.change_challenge_key(kind, pending, user_id))
    return keys


def revoke_all_sessions(user_id: str, at: datetime) -> int:
    """Sign out everywhere at once: every session of the user is revoked (accounts' store)."""
    from chalicelib.store import sessions

    revoked = 0
    for session in sessions.list_for_user(user_id, limit=1000):
        if session.revoked_at is None:
            sessions.revoke(session.session_id, at, "account_deleted")
            revoked += 1
    return revoked


def items_of(user_id: str) -> list[StoredItem]:
    return store.items_of(user_id)


def items_page(
    user_id: str, location: int, start_key: dict[str, Any] | None, limit: int
) -> tuple[list[StoredItem], dict[str, Any] | None]:
    """One page of the user's items at one location, each listed once (an item also found at
    an earlier location is left out: it was handled there). One Query."""
    page, after = store.items_page(user_id, location, start_key, limit)
    return [item for item in page if store.owning_location(item, user_id) == location], after


def close_account(
    tx: db.Transaction,
    user_id: str,
    profile: StoredItem,
    at: datetime,
) -> None:
    """Add to ``tx``: close the profile (credentials and e-mail dropped), free its contact
    claims and delete its pending change challenges (roles ``profile``, ``claim``, ``challenge``)."""
    store.close_account(
        tx,
        user_id,
        profile.key,
        at,
        CLOSED_PROFILE_DROPS,
        contact_claim_keys(profile),
        change_challenge_keys(user_id, profile),
    )


def close_account_now(user_id: str, profile: StoredItem, at: datetime) -> None:
    """The same without a transaction, for the replay after a restore (idempotent): claims
    and challenges deleted first, so a failure leaves the profile to find them again."""
    keys: Iterable[tuple[str, str]] = contact_claim_keys(profile) + change_challenge_keys(user_id, profile)
    store.delete_keys(keys)
    store.deactivate_user(profile.pk, profile.sk, at, CLOSED_PROFILE_DROPS)


def is_active_booking(item: StoredItem, at: datetime) -> bool:
    """A booking still to happen (pending or confirmed, ending after ``at``)."""
    end = item.values.get("end_at")  # decoded by the booking model: a datetime
    return item.text("status") in ("pending", "confirmed") and isinstance(end, datetime) and end > at


# --- reviews (docs/reviews.md) -------------------------------------------------------------------

REVIEW_ENTITY = "Review"


def erase_review(item: StoredItem) -> int:
    """An erased customer's review removed, its aggregates moved in the same transaction
    (reviews' store). 1 when it was removed now, 0 when it was already gone (idempotent)."""
    from chalicelib.store import reviews

    return int(reviews.erase(item.text("review_id") or ""))


# --- travel documents (TRV-2, RET-9): items whose file in S3 goes with them ---------------------

# entity -> (logical bucket, attribute holding the object key). The sweep and the erasure delete
# the file before the item, so a failure in between leaves the item to find the file again.
# S3 lifecycle rules on the same windows back this up (travel/ prefix, the recordings bucket).
ATTACHED_OBJECTS = {
    "TravelDocumentRecord": ("documents", "object_key"),
    "SupportAttachment": ("documents", "object_key"),
    "CallRecording": ("recordings", "object_key"),
}


def delete_attached_object(item: StoredItem) -> bool:
    """Delete the S3 object an item stands for (one DeleteObject), before the item itself, so a
    failure leaves the item to find the object again. False when the item has none."""
    from chalicelib.store import objects

    attached = ATTACHED_OBJECTS.get(item.entity)
    key = item.text(attached[1]) if attached else ""
    if not attached or not key:
        return False
    objects.delete(attached[0], key)
    return True


def attached_object_link(item: StoredItem, lifetime_seconds: int) -> str | None:
    """A presigned GET of the item's S3 object (the export shows documents as links)."""
    from chalicelib.store import objects

    attached = ATTACHED_OBJECTS.get(item.entity)
    key = item.text(attached[1]) if attached else ""
    return objects.download_link(attached[0], key, lifetime_seconds) if attached and key else None


# --- support correspondence (store/support.py): a ticket is keyed by its requester; its
# messages, attachments and recordings only by the ticket ---

TICKET_ENTITY = "SupportTicket"


def ticket_contents(ticket: StoredItem) -> list[StoredItem]:
    """What a ticket holds besides itself (messages, attachments' records, recordings): one Query."""
    from chalicelib.store import support

    return support.contents(ticket.text("ticket_id"))


def keep_ticket_contents(ticket: StoredItem, until: datetime) -> int:
    """Give a kept ticket's messages and attachments the ticket's deadline (an earlier one is
    kept), so its correspondence leaves with it. One Query + one UpdateItem per item."""
    from chalicelib.store import support

    return support.stamp_correspondence(ticket.text("ticket_id"), until)
