"""Erasure (RIGHT-4, RET-1..4): DELETE /v1/me and its replay after a backup restore.

At once: the account is closed (``active = false``, credentials and e-mail dropped), every
session is revoked (signed out everywhere), the contact claims are freed, and everything
that only served the user (consents, preferences, favourites, sessions, devices...) is
deleted. What must outlive the account gets a deadline that the retention sweep enforces:
- bookings still active at deletion: kept up to 30 days so the business can act on
  them, then anonymised (RET-2); past bookings are anonymised at the next sweep;
- the profile's name and phone: only while such bookings exist, at most 30 days (RET-1);
- records the law requires (registration record RET-3, financial RET-4, correspondence
  RET-6): kept under their own rule, minimal (free-text details dropped).

Before any of that, the erasure is appended to the erasure log (S3, outside the table's
backups): ``python -m chalicelib.privacy.replay_erasures`` re-applies every logged erasure
after a point-in-time restore. ``apply_erasure`` is idempotent, so replaying is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.privacy import audit, requests, subjects
from chalicelib.privacy.manifest import Manifest, load
from chalicelib.store import objects
from chalicelib.store import retention as retention_store
from chalicelib.store import subjects as subject_store
from chalicelib.store.items import StoredItem

ERASURE_LOG_BUCKET = "documents"  # logical name (chalicelib.resources.BUCKETS)
ERASURE_LOG_PREFIX = "erasure-log/"
EXPORTS_BUCKET = "exports"
# Rules whose items outlive the account, each under its own window (law requires them).
KEPT_RULES = frozenset(
    {"registration_record", "financial", "correspondence", "audit", "travel_documents", "usage_active"}
)
# Free-text or technical attributes dropped from kept records (minimal form).
MINIMISE = {"PrivacyRequest": ("details",)}


@dataclass(frozen=True)
class ErasureResult:
    request_id: str
    deactivated_at: datetime
    removal_deadline: datetime
    deleted_now: int
    scheduled: int


def log_erasure(user_id: str, deleted_at: datetime, request_id: str) -> None:
    """Append to the erasure log: pseudonymous id and time only (one PutObject)."""
    key = f"{ERASURE_LOG_PREFIX}{deleted_at.date().isoformat()}/{user_id}.json"
    body = {"user_id": user_id, "deleted_at": deleted_at.isoformat(), "request_id": request_id}
    objects.put_json(ERASURE_LOG_BUCKET, key, body)


def logged_erasures() -> list[tuple[str, datetime]]:
    """Every (user id, deleted at) in the erasure log, oldest first."""
    found: list[tuple[str, datetime]] = []
    for key in objects.keys_under(ERASURE_LOG_BUCKET, ERASURE_LOG_PREFIX):
        body = objects.read_json(ERASURE_LOG_BUCKET, key)
        found.append((body["user_id"], datetime.fromisoformat(body["deleted_at"])))
    return sorted(found, key=lambda pair: pair[1])


def _rule(entity: str, manifest: Manifest) -> str:
    return manifest.entities[entity].retention if entity in manifest.entities else "entity"


def _created(item: StoredItem, fallback: datetime) -> datetime:
    for name in ("created_at", "received_at", "at"):
        value = item.values.get(name)
        if isinstance(value, str) and value:
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
    return fallback


def _delete_exports(user_id: str) -> None:
    objects.delete_under(EXPORTS_BUCKET, f"exports/{user_id}/")


def apply_erasure(
    user_id: str, deleted_at: datetime, now: datetime, manifest: Manifest | None = None
) -> tuple[int, int]:
    """Close the account and remove or schedule all of its data. Idempotent.

    Returns (items deleted now, items given a deadline).
    """
    manifest = manifest or load()
    items = subjects.items_of(user_id)
    profile_pk, profile_sk = subjects.profile_key(user_id)
    profile = next((i for i in items if i.key == (profile_pk, profile_sk)), None)

    to_delete: list[tuple[str, str]] = []
    if profile is not None:
        to_delete += subjects.contact_claim_keys(profile)
        to_delete += subjects.change_challenge_keys(user_id, profile)
        subject_store.deactivate_user(profile_pk, profile_sk, now, subjects.CLOSED_PROFILE_DROPS)

    window = manifest.rule("account_after_deletion").window
    keep_contact_until = deleted_at
    scheduled = 0
    for item in items:
        pk, sk, entity = item.pk, item.sk, item.entity
        rule = _rule(entity, manifest)
        if (pk, sk) == (profile_pk, profile_sk):
            continue
        if rule == "active_booking_after_deletion":
            active = subjects.is_active_booking(item, deleted_at)
            due = deleted_at + window if active else deleted_at
            keep_contact_until = max(keep_contact_until, due)
            retention_store.stamp_expiry(pk, sk, due, ttl_backstop=False)
            scheduled += 1
        elif rule in KEPT_RULES:
            kept = manifest.rule(rule)
            trigger = deleted_at if kept.trigger == "account_deactivated" else _created(item, deleted_at)
            subject_store.remove_attributes(pk, sk, MINIMISE.get(entity, ()))
            retention_store.stamp_expiry(pk, sk, trigger + kept.window)
            scheduled += 1
        else:
            to_delete.append((pk, sk))
    if profile is not None:
        retention_store.stamp_expiry(profile_pk, profile_sk, keep_contact_until)
        scheduled += 1
    deleted = subject_store.delete_keys(to_delete)
    _delete_exports(user_id)
    # Sign out everywhere LAST: a call that fails before this point leaves the user signed in,
    # so the client's retry of DELETE /v1/me (this function is idempotent) finishes the job;
    # revoked first, a failure left the account half erased and the retry could only get a 401.
    subjects.revoke_all_sessions(user_id, now)
    return deleted, scheduled


def erase_account(user_id: str, now: datetime) -> ErasureResult:
    """DELETE /v1/me: log, track as a privacy request, apply, audit."""
    request = requests.submit(user_id, "erasure", None, now, completed=True)
    log_erasure(user_id, now, request.request_id)
    deleted, scheduled = apply_erasure(user_id, now, now)
    # Many writes, no one transaction to join: the record is one PutItem of its own.
    audit.record_alone(
        tenant=audit.PLATFORM,
        actor=user_id,
        action="account.erased",
        entity="User",
        entity_id=user_id,
        at=now,
        summary={"deleted_now": str(deleted), "scheduled": str(scheduled)},
    )
    return ErasureResult(
        request_id=request.request_id,
        deactivated_at=now,
        removal_deadline=now + load().rule("account_after_deletion").window,
        deleted_now=deleted,
        scheduled=scheduled,
    )
