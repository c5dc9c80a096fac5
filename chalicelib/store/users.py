"""Accounts: profile, registration record and contact claims.

Keys
- ``USER#<u>`` / ``PROFILE``: the account (User). A business reads only its customers' name
  and phone from it (``customer_card(s)``, SHARE-1), projected, at view time.
- ``USER#<u>`` / ``REGISTRATION``: terms acceptance record (DATA-2; kept longer, RET-3).
- ``PHONE#<h>`` | ``EMAIL#<h>`` | ``TG#<h>`` / ``CLAIM``: uniqueness and lookup items. ``h`` is a keyed
  hash of the E.164 phone, lower-cased e-mail or Telegram id (security/lookup.py), so keys
  carry no raw contact data. Written in the same transaction as the profile with
  ``attribute_not_exists``: of any number of concurrent registrations of one phone, one wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import errors
from chalicelib.domain.bookings import CustomerCard
from chalicelib.domain.identity import Contact
from chalicelib.security.lookup import lookup_hash
from chalicelib.store.table import TableItem

PROFILE = "PROFILE"
REGISTRATION = "REGISTRATION"
CLAIM = "CLAIM"
_CLAIM_PREFIX = {"phone": "PHONE", "email": "EMAIL", "telegram": "TG"}


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


class User(TableItem, discriminator="User"):
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    locale = UnicodeAttribute(default="en")
    phone = UnicodeAttribute(null=True)  # E.164
    phone_verified = BooleanAttribute(default=False)
    email = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute(null=True)
    telegram_id = UnicodeAttribute(null=True)  # DATA-7: only after a Telegram sign-in
    pending_phone = UnicodeAttribute(null=True)  # a change awaiting its code
    pending_email = UnicodeAttribute(null=True)
    is_operator = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    revision = NumberAttribute(default=0)


class RegistrationRecord(TableItem, discriminator="RegistrationRecord"):
    user_id = UnicodeAttribute()
    terms_version = UnicodeAttribute()
    accepted_at = UnicodeAttribute()
    ip = UnicodeAttribute()
    age_16_or_older = BooleanAttribute()
    method = UnicodeAttribute()  # register | telegram


class ContactClaim(TableItem, discriminator="ContactClaim"):
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()


def claim_key(kind: str, value: str) -> str:
    return f"{_CLAIM_PREFIX[kind]}#{lookup_hash(kind, value)}"


def new_transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=TableItem.Meta.region, host=TableItem.Meta.host))


def _claim(kind: str, value: str, user_id: str) -> ContactClaim:
    return ContactClaim(pk=claim_key(kind, value), sk=CLAIM, user_id=user_id, kind=kind)


@dataclass(frozen=True)
class NewAccount:
    user_id: str
    name: str
    locale: str
    phone: str | None
    email: str | None
    password_hash: str | None
    telegram_id: str | None
    terms_version: str
    ip: str
    method: str
    at: datetime


def _conflicting_field(exc: TransactWriteError, kinds: list[str | None]) -> str | None:
    reasons = exc.cancellation_reasons or []
    for kind, reason in zip(kinds, reasons, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return kind
    return None


def create_account(account: NewAccount) -> User:
    """One TransactWriteItems: profile + registration record + one claim per contact."""
    now = _iso(account.at)
    user = User(
        pk=user_pk(account.user_id),
        sk=PROFILE,
        user_id=account.user_id,
        name=account.name,
        locale=account.locale,
        phone=account.phone,
        email=account.email,
        password_hash=account.password_hash,
        telegram_id=account.telegram_id,
        created_at=now,
        updated_at=now,
    )
    record = RegistrationRecord(
        pk=user_pk(account.user_id),
        sk=REGISTRATION,
        user_id=account.user_id,
        terms_version=account.terms_version,
        accepted_at=now,
        ip=account.ip,
        age_16_or_older=True,
        method=account.method,
    )
    claims = [
        (kind, value)
        for kind, value in (("phone", account.phone), ("email", account.email), ("telegram", account.telegram_id))
        if value
    ]
    kinds: list[str | None] = [None, None]
    try:
        with new_transaction() as tx:
            tx.save(user, condition=User.pk.does_not_exist())
            tx.save(record, condition=RegistrationRecord.pk.does_not_exist())
            for kind, value in claims:
                tx.save(_claim(kind, str(value), account.user_id), condition=ContactClaim.pk.does_not_exist())
                kinds.append(kind)
    except TransactWriteError as exc:
        taken = _conflicting_field(exc, kinds)
        if taken is not None:
            raise errors.Conflict(f"This {taken} is already registered") from None
        if exc.cause_response_code == "TransactionCanceledException":
            # Another registration of the same contact was in flight (TransactionConflict).
            raise errors.Conflict("This contact is being registered right now; try again") from None
        raise errors.DependencyUnavailable("Could not create the account") from exc
    return user


def get_user(user_id: str) -> User | None:
    try:
        return User.get(user_pk(user_id), PROFILE, consistent_read=True)
    except DoesNotExist:
        return None


def get_registration(user_id: str) -> RegistrationRecord | None:
    try:
        return RegistrationRecord.get(user_pk(user_id), REGISTRATION)
    except DoesNotExist:
        return None


def find_user_id(kind: str, value: str) -> str | None:
    """``kind``: phone (E.164), email (lower case) or telegram (id). One GetItem."""
    try:
        return ContactClaim.get(claim_key(kind, value), CLAIM, consistent_read=True).user_id
    except DoesNotExist:
        return None


def get_contact(user_id: str) -> Contact | None:
    """What the notification pipeline may know about a recipient (one GetItem)."""
    user = get_user(user_id)
    if user is None:
        return None
    return Contact(
        user_id=user.user_id,
        name=user.name,
        locale=user.locale,
        phone=user.phone,
        email=user.email,
        # A Telegram user's private chat with the bot has the user's id as its chat id.
        telegram_chat_id=user.telegram_id,
        active=user.active,
    )


# SHARE-1: all a business ever reads from an account (user_id only maps answers to bookings;
# active tells a closed account). Projected, so e-mail, Telegram id, locale... never leave the store.
# (A list: PynamoDB wraps any other sequence as if it were one attribute name.)
_CARD_ATTRIBUTES = ["user_id", "name", "phone", "active"]


def _card(user: User) -> CustomerCard | None:
    if not user.name:  # already anonymised by the retention sweep
        return None
    return CustomerCard(name=user.name, phone=user.phone or None, account_open=user.active is not False)


def customer_card(user_id: str) -> CustomerCard | None:
    """A customer's name and phone for a business view: one GetItem (consistent, projected).
    None when the account is gone or anonymised; a closed one is marked (domain.card_for_business)."""
    try:
        user = User.get(user_pk(user_id), PROFILE, consistent_read=True, attributes_to_get=_CARD_ATTRIBUTES)
    except DoesNotExist:
        return None
    return _card(user)


def customer_cards(user_ids: Iterable[str]) -> dict[str, CustomerCard]:
    """Cards of many customers by user id: one BatchGetItem per 100 distinct ids (consistent,
    projected; PynamoDB re-requests UnprocessedKeys). Missing or anonymised accounts are left out."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    cards: dict[str, CustomerCard] = {}
    found = User.batch_get(
        [(user_pk(user_id), PROFILE) for user_id in wanted],
        consistent_read=True,
        attributes_to_get=_CARD_ATTRIBUTES,
    )
    for user in found:
        card = _card(user)
        if card is not None:
            cards[user.user_id] = card
    return cards


def update_profile(user_id: str, revision: int, at: datetime, changes: dict[str, Any]) -> User:
    """Optimistic update of plain attributes (name, locale, pending_*); Conflict if it changed meanwhile."""
    user = User(pk=user_pk(user_id), sk=PROFILE)
    actions: list[Any] = [User.updated_at.set(_iso(at)), User.revision.add(1)]
    for name, value in changes.items():
        attribute = getattr(User, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        user.update(
            actions=actions,
            condition=User.pk.exists() & (User.revision == revision) & (User.active == True),  # noqa: E712
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise errors.Conflict("The account changed meanwhile or is closed; reload and retry") from None
        raise errors.DependencyUnavailable("Could not update the account") from exc
    return user


def replace_contact(user: User, kind: str, new_value: str, at: datetime) -> None:
    """Move a verified phone/e-mail: claim the new value, release the old, update the profile, atomically."""
    old_value: str | None = user.phone if kind == "phone" else user.email
    field, verified, pending = (
        (User.phone, User.phone_verified, User.pending_phone)
        if kind == "phone"
        else (User.email, User.email_verified, User.pending_email)
    )
    try:
        with new_transaction() as tx:
            tx.save(_claim(kind, new_value, user.user_id), condition=ContactClaim.pk.does_not_exist())
            if old_value:
                tx.delete(
                    _claim(kind, old_value, user.user_id),
                    condition=ContactClaim.user_id == user.user_id,
                )
            tx.update(
                User(pk=user_pk(user.user_id), sk=PROFILE),
                actions=[
                    field.set(new_value),
                    verified.set(True),
                    pending.remove(),
                    User.updated_at.set(_iso(at)),
                    User.revision.add(1),
                ],
                condition=(pending == new_value) & (User.active == True),  # noqa: E712
            )
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise errors.Conflict(f"This {kind} is already registered") from None
        if exc.cause_response_code == "TransactionCanceledException":
            raise errors.Conflict("The change is no longer pending; request a new code") from None
        raise errors.DependencyUnavailable("Could not change the contact") from exc


def mark_phone_verified(user_id: str, at: datetime) -> None:
    User(pk=user_pk(user_id), sk=PROFILE).update(
        actions=[User.phone_verified.set(True), User.updated_at.set(_iso(at))],
        condition=User.pk.exists(),
    )


def link_telegram(user_id: str, telegram_id: str, at: datetime) -> None:
    """Claim the Telegram id for this account and record it on the profile, atomically."""
    try:
        with new_transaction() as tx:
            tx.save(_claim("telegram", telegram_id, user_id), condition=ContactClaim.pk.does_not_exist())
            tx.update(
                User(pk=user_pk(user_id), sk=PROFILE),
                actions=[User.telegram_id.set(telegram_id), User.updated_at.set(_iso(at)), User.revision.add(1)],
                condition=User.telegram_id.does_not_exist() & (User.active == True),  # noqa: E712
            )
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            raise errors.Conflict("This Telegram account or this user is already linked") from None
        raise errors.DependencyUnavailable("Could not link Telegram") from exc


def set_operator(user_id: str, is_operator: bool, at: datetime) -> None:
    try:
        User(pk=user_pk(user_id), sk=PROFILE).update(
            actions=[User.is_operator.set(is_operator), User.updated_at.set(_iso(at)), User.revision.add(1)],
            condition=User.pk.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise errors.NotFound("No such user") from None
        raise


def set_password_hash(user_id: str, password_hash: str, at: datetime) -> None:
    User(pk=user_pk(user_id), sk=PROFILE).update(
        actions=[User.password_hash.set(password_hash), User.updated_at.set(_iso(at)), User.revision.add(1)],
        condition=User.pk.exists(),
    )
