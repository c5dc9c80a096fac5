"""Deliver one notification message on the channels its recipient allows, exactly once each.

Per message, on the happy path (docs/notifications.md counts them):
- 1 conditional UpdateItem: claim the notification (chalicelib/store/deliveries.py);
  a duplicate stops here.
- 1 GetItem: the recipient's contact (chalicelib/store/users.py get_contact).
- the notification profile (choices, devices) comes from one BatchGetItem for the whole
  SQS batch; the "done" records are written for the whole batch in one BatchWriteItem.
- partner marketing only: the consent check at send time (privacy/consents.py).

A channel that fails transiently makes the whole message fail (SQS retries it), but the
channels already delivered are kept on the record, so the retry sends only what is
missing. A channel that can never work for this address (opted out, blocked, disabled
endpoint) counts as handled and is never retried, and so does a send whose answer was lost
(``base.Unconfirmed``: SNS Publish has no idempotency key; at most once beats twice).

A live claim held by another consumer (``deliveries.Busy``, maybe one that crashed) fails the
record: SQS shows it again after the visibility timeout, which outlasts the lease
(``claim_lease``). It is never deleted as if delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.identity import Contact
from chalicelib.notify import preferences, templates, unsubscribe
from chalicelib.notify.channels import base, registry
from chalicelib.notify.messages import Category, Channel, NotificationMessage
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import deliveries
from chalicelib.store import preferences as profiles
from chalicelib.store.preferences import Profile


def claim_lease() -> timedelta:
    """A crashed consumer's claim must expire before SQS shows the message again."""
    from chalicelib import resources

    timeout = resources.queue_spec("notifications").visibility_timeout_seconds
    return timedelta(seconds=max(5, timeout - 5))


@dataclass
class BatchContext:
    """What one SQS batch shares: the instant, the profiles loaded at once, the records to close."""

    now: datetime
    profiles: dict[str, Profile] = field(default_factory=dict)
    completed: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def preload(self, user_ids: Iterable[str]) -> None:
        wanted = {u for u in user_ids if u and u not in self.profiles}
        if wanted:
            self.profiles.update(profiles.load_many(wanted))

    def profile(self, user_id: str) -> Profile:
        if user_id not in self.profiles:
            self.profiles[user_id] = profiles.load(user_id)
        return self.profiles[user_id]

    def flush(self) -> None:
        """Close the claims of everything delivered (BatchWriteItem, 25 per call)."""
        if self.completed:
            deliveries.complete_many(self.completed, self.now)
            self.completed.clear()


@dataclass(frozen=True)
class Outcome:
    duplicate: bool = False
    sent: tuple[str, ...] = ()  # channel or "push:<device>" entries sent now


def deliver(message: NotificationMessage, batch: BatchContext) -> Outcome:
    claim = deliveries.claim(message.notification_id, batch.now, claim_lease())
    if claim is None:
        logger.info("duplicate notification skipped", extra={"operation": message.kind})
        return Outcome(duplicate=True)
    done = set(claim.channels_done)
    sent: list[str] = []
    try:
        _deliver(message, batch, done, sent)
    except Exception:
        try:
            deliveries.release(message.notification_id, done, batch.now)
        except Exception:  # the claim's lease runs out instead; nothing is lost
            logger.exception("could not release a delivery claim")
        raise
    batch.completed.append((message.notification_id, frozenset(done)))
    return Outcome(sent=tuple(sent))


@dataclass(frozen=True)
class _Target:
    channel: Channel
    progress_key: str  # what the delivery record remembers
    address: str


def _deliver(message: NotificationMessage, batch: BatchContext, done: set[str], sent: list[str]) -> None:
    if message.kind not in templates.kinds():  # a producer bug: keep it in the DLQ for inspection
        raise templates.TemplateError(f"no template for kind {message.kind!r}")
    contact: Contact | None = None
    profile: Profile | None = None
    if message.user_id:
        from chalicelib.store import users

        contact = users.get_contact(message.user_id)
        if contact is None or not contact.active:
            logger.info("notification without an active recipient", extra={"operation": message.kind})
            return
        profile = batch.profile(message.user_id)
    if not _allowed_by_consent(message):
        logger.info("partner marketing without consent skipped", extra={"operation": message.kind})
        return
    targets = _targets(message, contact, profile)
    pending = [t for t in targets if t.progress_key not in done]
    if not pending:
        return
    rendered = templates.render(message.kind, contact.locale if contact else message.locale, message.params)
    for target in pending:
        outgoing = base.Outgoing(rendered, _unsubscribe_url(message, target.channel))
        try:
            registry.sender_for(target.channel).send(target.address, outgoing)
            sent.append(target.progress_key)
        except base.Unconfirmed:  # maybe delivered: never resent (no doubled SMS), maybe lost
            sent.append(target.progress_key)
            logger.warning("delivery unconfirmed; not resent", extra={"operation": message.kind})
        except base.OptedOut:
            if message.user_id:
                profiles.record_sms_opt_out(message.user_id, batch.now)
            logger.info("sms recipient opted out; nothing sent")
        except base.EndpointGone as gone:
            _forget_device(message.user_id, target.progress_key, gone.endpoint_arn)
        except base.Undeliverable as exc:
            logger.info("undeliverable", extra={"operation": message.kind, "status": exc.reason})
        done.add(target.progress_key)


def _allowed_by_consent(message: NotificationMessage) -> bool:
    """SHARE-4: partner marketing needs the user's consent for this partner, read NOW, so a
    withdrawal stops the very next message."""
    if message.category is not Category.PARTNER_MARKETING:
        return True
    if not message.user_id or not message.partner_id:
        return False
    from chalicelib.privacy import consents

    return consents.allows_partner_marketing(message.user_id, message.partner_id)


def _targets(message: NotificationMessage, contact: Contact | None, profile: Profile | None) -> list[_Target]:
    wanted = message.channels or list(Channel)
    defaults = get_settings().notify_default_channels
    direct = {Channel.SMS: message.to_phone, Channel.EMAIL: message.to_email}
    targets: list[_Target] = []
    for channel in wanted:
        if profile is not None and not preferences.is_enabled(profile.choices, message.category, channel, defaults):
            continue
        direct_address = direct.get(channel)
        if direct_address:  # the address named in the message, never the account's current one
            targets.append(_Target(channel, channel.value, direct_address))
            continue
        if contact is None:  # a direct message only goes to the addresses it names
            continue
        if channel is Channel.PUSH:
            devices = profile.devices if profile else ()
            targets += [_Target(channel, f"push:{d.device_id}", d.endpoint_arn) for d in devices]
            continue
        address = {
            Channel.SMS: contact.phone,
            Channel.EMAIL: contact.email,
            Channel.TELEGRAM: contact.telegram_chat_id,
        }[channel]
        if address:
            targets.append(_Target(channel, channel.value, address))
    return targets


def _unsubscribe_url(message: NotificationMessage, channel: Channel) -> str | None:
    if channel is not Channel.EMAIL or not message.user_id or message.category in preferences.MANDATORY:
        return None
    return unsubscribe.link(message.user_id, message.category, channel)


def _forget_device(user_id: str | None, progress_key: str, endpoint_arn: str) -> None:
    """SNS disabled the endpoint (expired token, app removed): drop it on both sides."""
    from chalicelib.notify.channels import push

    if user_id:
        profiles.remove_device(user_id, progress_key.removeprefix("push:"))
    push.delete_endpoint(endpoint_arn)
    logger.info("disabled push endpoint removed")
