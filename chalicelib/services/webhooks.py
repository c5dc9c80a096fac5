"""Business webhooks (issue #18, item 5): owners register HTTPS endpoints for booking events;
each event is delivered to each subscribed endpoint, signed with the Standard Webhooks scheme.

    register / list / delete    the owner's routes (services here, store/webhooks.py)
    fan_out(event)              subscriber of booking events (services/subscribers.py): one
                                "webhooks" SQS message per subscribed, active endpoint
    deliver(message, now)       the "webhooks" consumer (consumers.py): one attempt, then
                                the next one queued on the retry schedule (domain/webhooks.py)

Signing: ``webhook-id`` = the domain event's id (a receiver de-duplicates on it: delivery is
at least once), ``webhook-timestamp`` = the attempt's time (epoch seconds),
``webhook-signature`` = ``v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`` (the
``standardwebhooks`` library). The endpoint's secret (``whsec_...``) is shown once, at
registration; it is not stored: HMAC(``webhook_signing_key``, business:endpoint:salt)
derives it again at each delivery (rotating the platform key changes every secret).

Backoff: SQS delays a message by at most 15 minutes, so a message carries the time its
attempt may run (``not_before``); one received earlier is queued again with the remaining
delay (capped at ``webhook_max_delay_seconds``), without an attempt. Anything unexpected
(DynamoDB or SQS down) raises: SQS retries the message, and after ``max_receive_count``
receives it moves to the dead-letter queue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain import webhooks as rules
from chalicelib.domain.identity import Principal
from chalicelib.observability import logger
from chalicelib.store import webhooks as store

QUEUE = "webhooks"
USER_AGENT = "BookingPlatform-Webhooks/1.0"


def event_kinds() -> frozenset[str]:
    """The booking events a business may subscribe to (the outbox kinds, outcomes included)."""
    from chalicelib.notify.events import BOOKING_KINDS, OUTCOME_KINDS

    return BOOKING_KINDS | OUTCOME_KINDS


def _allow_loopback() -> bool:
    """Only a local stage may allow loopback receivers, whatever a deployed one is configured with."""
    from chalicelib.settings import LOCAL_STAGES, get_settings

    settings = get_settings()
    return settings.webhooks_allow_loopback and settings.stage in LOCAL_STAGES


def signing_secret(endpoint: store.Endpoint) -> str:
    """The endpoint's ``whsec_`` secret, derived (never stored) from the platform key."""
    from chalicelib.security.secrets import secret_bytes
    from chalicelib.settings import get_settings

    key = secret_bytes(get_settings().webhook_signing_key)
    message = f"{endpoint.business_id}:{endpoint.endpoint_id}:{endpoint.salt}".encode()
    return rules.SECRET_PREFIX + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _check_target(url: str) -> tuple[rules.Target, str]:
    """Parse the URL and resolve its host; every address must be allowed (SSRF)."""
    from chalicelib.notify import webhook_http

    allow = _allow_loopback()
    target = rules.parse_url(url, allow_loopback=allow)
    return target, webhook_http.checked_address(target, allow_loopback=allow)


# --- the owner's routes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    endpoint: store.Endpoint
    secret: str  # shown once


def register(
    principal: Principal, business_id: str, url: str, kinds: Iterable[str] | None, now: datetime
) -> Registered:
    """Calls: GetItem membership (+ Query when not a member) + TransactWriteItems (endpoint,
    count + 1 within the bound, audit record). The URL's host is resolved first (DNS, no
    DynamoDB): a URL that is not https, or whose host resolves to any private, loopback,
    link-local, multicast or reserved address, is refused (Forbidden: the target is not allowed)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz
    from chalicelib.store import db

    authz.require_staff(principal, business_id, authz.OWNERS)
    wanted = frozenset(kinds) if kinds else event_kinds()
    unknown = sorted(wanted - event_kinds())
    if unknown:
        raise errors.InvalidInput([errors.FieldError("kinds", f"unknown event kinds: {', '.join(unknown)}")])
    try:
        _check_target(url)
    except rules.EndpointRefused as refused:
        raise errors.Forbidden(f"This endpoint may not be called: {refused.reason}") from None
    endpoint_id = uuid.uuid4().hex
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="webhook.created",
        entity="webhook",
        entity_id=endpoint_id,
        at=now,
        summary={"kinds": ",".join(sorted(wanted))},
    )
    try:
        endpoint = store.create(
            business_id,
            endpoint_id,
            url,
            wanted,
            secrets.token_hex(16),
            principal.user_id,
            now,
            rules.MAX_ENDPOINTS_PER_BUSINESS,
            tx=tx,
        )
    except store.TooManyEndpoints:
        raise errors.Conflict(f"A business may register at most {rules.MAX_ENDPOINTS_PER_BUSINESS} endpoints") from None
    except db.TransactionCancelled:
        raise errors.Conflict("The endpoints are being changed right now; try again") from None
    return Registered(endpoint, signing_secret(endpoint))


def list_endpoints(principal: Principal, business_id: str) -> list[store.Endpoint]:
    """Calls: GetItem membership (+ Query when not a member) + one Query (at most 10 endpoints)."""
    from chalicelib.services import authz

    authz.require_staff(principal, business_id, authz.OWNERS)
    return store.list_for(business_id, rules.MAX_ENDPOINTS_PER_BUSINESS)


def delete(principal: Principal, business_id: str, endpoint_id: str, now: datetime) -> None:
    """Calls: GetItem membership (+ Query when not a member) + TransactWriteItems (endpoint,
    count - 1, audit record). NotFound when there is no such endpoint. Messages already
    queued for it find it gone and are dropped."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz
    from chalicelib.store import db

    authz.require_staff(principal, business_id, authz.OWNERS)
    tx = db.Transaction()
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="webhook.deleted",
        entity="webhook",
        entity_id=endpoint_id,
        at=now,
    )
    try:
        deleted = store.delete(business_id, endpoint_id, tx=tx)
    except db.TransactionCancelled:
        raise errors.Conflict("The endpoints are being changed right now; try again") from None
    if not deleted:
        raise errors.NotFound("No such webhook endpoint")


# --- fan-out (subscriber) ------------------------------------------------------------------------


def fan_out(kind: str, event_id: str, payload: dict[str, Any], recorded_at: datetime) -> int:
    """One "webhooks" message per active endpoint of the event's business subscribed to its
    kind. Calls: one Query (the business's endpoints) + one SendMessageBatch (at most 10).
    Idempotent on the event id: a second run queues duplicates with the same ``webhook-id``."""
    business_id = str(payload.get("business_id") or "")
    if not business_id:
        return 0
    endpoints = [
        e
        for e in store.list_for(business_id, rules.MAX_ENDPOINTS_PER_BUSINESS)
        if e.status == store.ACTIVE and kind in e.kinds
    ]
    body = rules.webhook_body(kind, recorded_at, payload)
    messages = [
        {"business_id": business_id, "endpoint_id": e.endpoint_id, "event_id": event_id, "attempt": 0, "body": body}
        for e in endpoints
    ]
    _enqueue(messages, [0] * len(messages))
    return len(messages)


def _enqueue(messages: list[dict[str, Any]], delays: list[int]) -> None:
    if not messages:
        return
    from chalicelib import queues
    from chalicelib.aws_clients import client

    entries = [
        {"Id": str(i), "MessageBody": json.dumps(m, sort_keys=True), "DelaySeconds": d}
        for i, (m, d) in enumerate(zip(messages, delays, strict=True))
    ]
    sqs = client("sqs")
    url = queues.queue_url(QUEUE)
    for start in range(0, len(entries), 10):
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])
        if answer.get("Failed"):
            raise RuntimeError(f"{len(answer['Failed'])} webhook messages were not queued; the relay retries")


def _delay(until: datetime, now: datetime) -> int:
    from chalicelib.settings import get_settings

    return max(0, min(get_settings().webhook_max_delay_seconds, math.ceil((until - now).total_seconds())))


# --- delivery (consumer) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one message did: ``outcome`` is delivered, failed, waited, dropped or disabled."""

    outcome: str
    status: int | None = None
    error: str | None = None


def deliver(message: dict[str, Any], now: datetime) -> Attempt:
    """One delivery attempt of one event to one endpoint.

    Calls: GetItem endpoint + (DNS + one HTTP POST) + UpdateItem delivery log; on a failure
    + GetItem (the run's state) + [SendMessage, the next attempt | UpdateItem disable +
    Query owners + SendMessageBatch notice]. A message that arrives before its time is only
    queued again (SendMessage)."""
    not_before = message.get("not_before")
    if not_before and datetime.fromisoformat(not_before) > now:
        _enqueue([message], [_delay(datetime.fromisoformat(not_before), now)])
        return Attempt("waited")
    business_id, endpoint_id = str(message["business_id"]), str(message["endpoint_id"])
    endpoint = store.get(business_id, endpoint_id)
    if endpoint is None or endpoint.status != store.ACTIVE:
        logger.info("webhook dropped", extra={"status": "endpoint gone or disabled"})
        return Attempt("dropped")
    status, error = _attempt(endpoint, message, now)
    if error is None:
        store.record_success(business_id, endpoint_id, int(status or 0), now)
        return Attempt("delivered", status)
    state = store.record_failure(business_id, endpoint_id, status, error, now)
    logger.info("webhook attempt failed", extra={"status": f"{status or '-'} {error}"})
    if state is None:
        return Attempt("dropped", status, error)
    if rules.should_disable(state.failing_since, now):
        if store.disable(business_id, endpoint_id, now):
            _notify_owners(endpoint, now)
        return Attempt("disabled", status, error)
    attempt = int(message.get("attempt", 0))
    first = datetime.fromisoformat(message["first_attempt_at"]) if message.get("first_attempt_at") else now
    following = rules.next_attempt_at(first, attempt)
    if following is None:
        logger.warning("webhook event given up after its retry schedule", extra={"status": error})
        return Attempt("failed", status, error)
    retry = {
        **message,
        "attempt": attempt + 1,
        "first_attempt_at": first.isoformat(),
        "not_before": following.isoformat(),
    }
    _enqueue([retry], [_delay(following, now)])
    return Attempt("failed", status, error)


def signed_headers(endpoint: store.Endpoint, event_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    from standardwebhooks import Webhook

    signature = Webhook(signing_secret(endpoint)).sign(event_id, now, body)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": signature,
    }


def _attempt(endpoint: store.Endpoint, message: dict[str, Any], now: datetime) -> tuple[int | None, str | None]:
    """(HTTP status, None) on a 2xx; otherwise (status or None, a short error code)."""
    from chalicelib.notify import webhook_http

    try:
        target, address = _check_target(endpoint.url)  # resolved again: a name may be re-pointed
    except rules.EndpointRefused:
        return None, "address_refused"
    body = json.dumps(message["body"], separators=(",", ":"), sort_keys=True)
    headers = signed_headers(endpoint, str(message["event_id"]), body, now)
    try:
        status = webhook_http.post(target, address, body.encode(), headers)
    except webhook_http.DeliveryFailed as failed:
        return None, failed.reason
    if 200 <= status < 300:
        return status, None
    return status, f"http_{status}"


def _notify_owners(endpoint: store.Endpoint, now: datetime) -> None:
    """The owners are told through the notification pipeline (an account notice)."""
    from chalicelib.notify import producer
    from chalicelib.notify.messages import Category, NotificationMessage
    from chalicelib.store import catalog

    members, _ = catalog.list_staff(endpoint.business_id, limit=100, after=None)
    owners = [m.user_id for m in members if m.role == "owner"]
    host = rules.parse_url(endpoint.url, allow_loopback=True).host
    producer.enqueue_many(
        [
            NotificationMessage(
                notification_id=f"webhook:{endpoint.endpoint_id}:disabled:{user_id}"[:128],
                kind="webhook.disabled",
                category=Category.ACCOUNT,
                user_id=user_id,
                partner_id=endpoint.business_id,
                params={"host": host, "disabled_at": now.isoformat(timespec="seconds")},
            )
            for user_id in owners
        ]
    )
