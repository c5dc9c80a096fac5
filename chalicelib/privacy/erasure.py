"""Erasure (RIGHT-4, RET-1..4): DELETE /v1/me, its background job, and its replay after a restore.

DELETE /v1/me (``erase_account``) does a bounded amount of work, whatever the user holds:
1. the erasure is appended to the erasure log (S3, outside the table's backups), first;
2. one transaction: a privacy request (kind erasure, ``in_progress``), the domain event that
   starts the job (services/events.py: the outbox item; its subscriber in
   services/subscribers.py queues the job on the "jobs" queue, so a process that dies after
   the commit loses nothing), and the account closed: ``active = false``, credentials and
   e-mail dropped, contact claims freed (the phone can register again), pending change
   codes deleted;
3. every session revoked (signed out everywhere), last: a call that fails before this
   leaves the user signed in, so the client's retry finds the request (its id follows from
   the user id) and finishes the sign-out without starting a second job.

The job (``run_step``, one batch per "jobs" message) walks the user's items location by
location (privacy/subjects.py), at most ``BATCH_SIZE`` per step, and applies the rules:
everything that only served the user (consents, preferences, favourites, sessions,
devices...) is deleted; what must outlive the account gets a deadline the retention sweep
enforces:
- bookings still active at deletion: kept up to 30 days so the business can act on
  them, then anonymised (RET-2); past bookings are anonymised at the next sweep;
- the profile's name and phone: only while such bookings exist, at most 30 days (RET-1);
- records the law requires (registration record RET-3, financial RET-4, correspondence
  RET-6): kept under their own rule, minimal (free-text details dropped).
After each batch it records its progress on the request (phase, cursor, items processed,
updated_at), conditional on the step it read; the last step stamps the profile, deletes the
exports, revokes any session again (one a racing sign-in made) and completes the request.
Every rule is idempotent, so a batch replayed after a crash changes nothing.

``python -m chalicelib.privacy.replay_erasures`` re-applies every logged erasure after a
point-in-time restore with ``apply_erasure``: the same steps, synchronously.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.privacy import audit, requests, subjects
from chalicelib.privacy.manifest import Manifest, load
from chalicelib.store import db, objects
from chalicelib.store import retention as retention_store
from chalicelib.store import subjects as subject_store
from chalicelib.store.items import StoredItem
from chalicelib.store.privacy_requests import RequestView

ERASURE_LOG_BUCKET = "documents"  # logical name (chalicelib.resources.BUCKETS)
ERASURE_LOG_PREFIX = "erasure-log/"
EXPORTS_BUCKET = "exports"
# Rules whose items outlive the account, each under its own window (law requires them).
KEPT_RULES = frozenset({"registration_record", "financial", "correspondence", "audit"})
# Card and ticket usage (RET-8) is not among them: it serves the ticket it admitted, which goes
# at erasure too, and no law keeps a trail of someone's rides; active records are deleted with
# the rest and passive copies (S3, passive/<entity>/USER#<id>/) in ``_finish``.
# Travel documents (passport scans) go at once, item and file (RET-9, TRV-2): nothing requires
# keeping them once the customer is gone (privacy/subjects.py ATTACHED_OBJECTS).
# Free-text or technical attributes dropped from kept records (minimal form).
# What a kept record loses at erasure, per entity: every link to the person.
MINIMISE: dict[str, tuple[str, ...]] = {
    "PrivacyRequest": ("details",),
    # wallet (RET-4, docs/wallet.md): a kept balance or top-up loses its owner id, the card's
    # last digits and the GSI1 key that finds it by user; entries carry none.
    "WalletBalance": ("owner_user_id", "card_last4", "gsi1pk", "gsi1sk"),
    "TopUpIntent": ("user_id", "gsi1pk", "gsi1sk"),
    # Correspondence kept (RET-6) with its link to the account cut: the requester and their
    # GSI1 entry go; the messages never named them (store/support.py), so the ticket is pseudonymous.
    "SupportTicket": ("opened_by", "gsi1pk", "gsi1sk"),
}

# The domain event that starts the job (services/subscribers.py) and the job's message type.
ERASURE_STARTED = "privacy.erasure_started"
JOB_TYPE = "erasure"
# Items per step: a step is one Query page plus at most this many writes, seconds at most.
BATCH_SIZE = 100
FINISH = "finish"
# An erasure still running after this is stale: re-enqueued and counted (RET-1 is 30 days).
STALE_AFTER = timedelta(hours=24)

# (tx, kind, event id, payload, now): records a domain event in the change's transaction.
EventRecorder = Callable[[db.Transaction, str, str, dict[str, Any], datetime], None]


@dataclass(frozen=True)
class ErasureResult:
    request_id: str
    status: str
    deactivated_at: datetime
    removal_deadline: datetime


@dataclass(frozen=True)
class Batch:
    """What one batch of items did."""

    processed: int = 0
    deleted: int = 0
    scheduled: int = 0
    contact_kept_until: datetime | None = None


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


def job_message(request_id: str) -> dict[str, str]:
    """The "jobs" queue message that runs the erasure's next step (the progress is on the
    request, so every copy of the message means the same thing)."""
    return {"type": JOB_TYPE, "request_id": request_id}


# --- DELETE /v1/me -------------------------------------------------------------------------------


def erase_account(user_id: str, now: datetime, record_event: EventRecorder) -> ErasureResult:
    """Accept the erasure: log, then close the account, track the request and start the job
    in one transaction, then sign out everywhere. Idempotent (a retry reuses the request).

    Calls, whatever the user holds: GetItem request, PutObject log, GetItem profile,
    TransactWriteItems (request, event, profile, <= 6 claims, <= 2 challenges, the audit
    record), Query sessions + one UpdateItem per live session: the same count for 10 bookings
    as for 5,000 (the test compares them). A retry: GetItem request and the sessions part.
    """
    request_id = requests.erasure_request_id(user_id)
    request = requests.get(request_id)
    if request is None:
        request = _accept(user_id, request_id, now, record_event)
    subjects.revoke_all_sessions(user_id, now)
    return ErasureResult(
        request_id=request.request_id,
        status=request.status,
        deactivated_at=request.received_at,
        removal_deadline=request.received_at + load().rule("account_after_deletion").window,
    )


def _accept(user_id: str, request_id: str, now: datetime, record_event: EventRecorder) -> RequestView:
    log_erasure(user_id, now, request_id)
    tx = db.Transaction()
    request = requests.start_in_progress(tx, request_id, user_id, "erasure", _phase(0), now)
    record_event(tx, ERASURE_STARTED, f"{request_id}:erasure-started", {"request_id": request_id}, now)
    profile_pk, profile_sk = subjects.profile_key(user_id)
    profile = subject_store.get(profile_pk, profile_sk)
    if profile is not None:
        subjects.close_account(tx, user_id, profile, now)
    # The erasure's one audit record, in the same transaction (once, when accepted; the job's
    # steps are not audited).
    audit.record(
        tx,
        tenant=audit.PLATFORM,
        actor=user_id,
        action="account.erased",
        entity="User",
        entity_id=user_id,
        at=now,
        summary={"request_id": request_id},
    )
    try:
        tx.commit()
    except db.TransactionCancelled:
        # A concurrent DELETE made the request first (or the profile changed under us):
        # the request that exists is the answer; with none, the client retries.
        existing = requests.get(request_id)
        if existing is None:
            raise errors.DependencyUnavailable("The account could not be closed now; try again") from None
        return existing
    return request


# --- the job -------------------------------------------------------------------------------------


def _phase(location: int) -> str:
    return f"items:{location}" if location < subjects.LOCATION_COUNT else FINISH


def _location(phase: str) -> int:
    return int(phase.removeprefix("items:"))


def run_step(request_id: str, now: datetime, manifest: Manifest | None = None) -> bool:
    """One step of a background erasure: one batch of items (or the finish), then the
    progress recorded. True when there is more to do (the caller queues the next step).

    Calls: GetItem request, then one Query page + its writes (BatchWriteItem deletes,
    UpdateItem stamps/minimising) + UpdateItem progress; the finish: UpdateItem profile,
    S3 export deletes, Query sessions (+ UpdateItem per live one), UpdateItem completed.
    """
    request = requests.get(request_id)
    if request is None or request.status != requests.IN_PROGRESS or request.progress is None:
        return False  # done (or never started): a late duplicate message changes nothing
    progress = request.progress
    deleted_at = request.received_at
    if progress.phase == FINISH:
        _finish(request.user_id, deleted_at, progress.contact_kept_until or deleted_at, now)
        requests.complete_in_progress(request_id, progress.step, now)
        return False
    location = _location(progress.phase)
    page, after = subjects.items_page(request.user_id, location, progress.cursor, BATCH_SIZE)
    batch = apply_batch(request.user_id, page, deleted_at, manifest or load())
    kept = max(filter(None, (progress.contact_kept_until, batch.contact_kept_until)), default=None)
    phase = progress.phase if after else _phase(location + 1)
    # False: another copy of this message moved the request on; that copy carries on.
    return requests.record_progress(request_id, progress.step, phase, after, batch.processed, kept, now)


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


def apply_batch(user_id: str, page: list[StoredItem], deleted_at: datetime, manifest: Manifest) -> Batch:
    """Today's rules on one page of the user's items (the profile is the finish's). Idempotent."""
    profile_key = subjects.profile_key(user_id)
    window = manifest.rule("account_after_deletion").window
    keep_contact_until: datetime | None = None
    to_delete: list[tuple[str, str]] = []
    scheduled = processed = removed = 0
    for item in page:
        if item.key == profile_key:
            continue
        processed += 1
        pk, sk, entity = item.pk, item.sk, item.entity
        rule = _rule(entity, manifest)
        if rule == "active_booking_after_deletion":
            active = subjects.is_active_booking(item, deleted_at)
            due = deleted_at + window if active else deleted_at
            keep_contact_until = max(keep_contact_until or due, due)
            retention_store.stamp_expiry(pk, sk, due, ttl_backstop=False)
            scheduled += 1
        elif entity == subjects.REVIEW_ENTITY:
            # Removed, not anonymised (docs/privacy.md): its venue's and specialist's aggregates
            # lose it in the review's own transaction, so the ratings stay exact.
            removed += subjects.erase_review(item)
        elif rule in KEPT_RULES:
            kept = manifest.rule(rule)
            trigger = deleted_at if kept.trigger == "account_deactivated" else _created(item, deleted_at)
            subject_store.remove_attributes(pk, sk, MINIMISE.get(entity, ()))
            retention_store.stamp_expiry(pk, sk, trigger + kept.window)
            if entity == subjects.TICKET_ENTITY:  # its messages and files leave with it
                subjects.keep_ticket_contents(item, trigger + kept.window)
            scheduled += 1
        else:
            subjects.delete_attached_object(item)  # a travel document's file, before its item
            to_delete.append((pk, sk))
    deleted = subject_store.delete_keys(to_delete) + removed
    return Batch(processed, deleted, scheduled, keep_contact_until)


def _finish(user_id: str, deleted_at: datetime, keep_contact_until: datetime, now: datetime) -> None:
    """The profile kept only while an active booking needs it; exports gone; signed out."""
    profile_pk, profile_sk = subjects.profile_key(user_id)
    retention_store.stamp_expiry(profile_pk, profile_sk, max(keep_contact_until, deleted_at))
    objects.delete_under(EXPORTS_BUCKET, f"exports/{user_id}/")
    from chalicelib.privacy import sweeps

    sweeps.delete_passive_of(profile_pk, load())  # what the sweep moved to passive storage (RET-8)
    subjects.revoke_all_sessions(user_id, now)


def stale(now: datetime) -> list[RequestView]:
    """Erasures still in progress ``STALE_AFTER`` after they were accepted (no Scan)."""
    return [view for view in requests.in_progress_received_before(now - STALE_AFTER) if view.kind == "erasure"]


# --- the replay after a restore -----------------------------------------------------------------


def apply_erasure(
    user_id: str, deleted_at: datetime, now: datetime, manifest: Manifest | None = None
) -> tuple[int, int]:
    """Close the account and remove or schedule all of its data, synchronously: the job's
    steps in a loop (page by page, never the whole list in memory). Idempotent.

    Returns (items deleted now, items given a deadline).
    """
    manifest = manifest or load()
    profile_pk, profile_sk = subjects.profile_key(user_id)
    profile = subject_store.get(profile_pk, profile_sk)
    if profile is not None:
        subjects.close_account_now(user_id, profile, now)
    deleted = scheduled = 0
    keep_contact_until = deleted_at
    for location in range(subjects.LOCATION_COUNT):
        cursor: dict[str, Any] | None = None
        while True:
            page, cursor = subjects.items_page(user_id, location, cursor, BATCH_SIZE)
            batch = apply_batch(user_id, page, deleted_at, manifest)
            deleted, scheduled = deleted + batch.deleted, scheduled + batch.scheduled
            keep_contact_until = max(keep_contact_until, batch.contact_kept_until or deleted_at)
            if not cursor:
                break
    _finish(user_id, deleted_at, keep_contact_until, now)
    return deleted, scheduled + (profile is not None)
