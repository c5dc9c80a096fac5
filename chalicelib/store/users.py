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
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import errors
from chalicelib.domain.bookings import CustomerCard
from chalicelib.domain.identity import Contact
from chalicelib.security.lookup import lookup_hash
from chalicelib.store import db
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.table import TableItem

PROFILE = "PROFILE"
REGISTRATION = "REGISTRATION"
CLAIM = "CLAIM"
_CLAIM_PREFIX = {"phone": "PHONE", "email": "EMAIL", "telegram": "TG"}


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


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
    created_at = InstantAttribute()
    updated_at = InstantAttribute()
    revision = NumberAttribute(default=0)


class RegistrationRecord(TableItem, discriminator="RegistrationRecord"):
    user_id = UnicodeAttribute()
    terms_version = UnicodeAttribute()
    accepted_at = InstantAttribute()
    ip = UnicodeAttribute()
    age_16_or_older = BooleanAttribute()
    method = UnicodeAttribute()  # register | telegram


class ContactClaim(TableItem, discriminator="ContactClaim"):
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()


def claim_key(kind: str, value: str) -> str:
    return f"{_CLAIM_PREFIX[kind]}#{lookup_hash(kind, value)}"


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


def create_account(account: NewAccount, *, tx: db.Transaction | None = None) -> User:
    """One TransactWriteItems: profile + registration record + one claim per contact, with
    the caller's ``tx`` (its audit record)."""
    now = account.at
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
    tx = tx if tx is not None else db.Transaction()
    tx.put(user, role="profile", condition=User.pk.does_not_exist())
    tx.put(record, role="registration", condition=RegistrationRecord.pk.does_not_exist())
    for kind, value in claims:  # each claim's role is its kind: phone, email, telegram
        tx.put(_claim(kind, str(value), account.user_id), role=kind, condition=ContactClaim.pk.does_not_exist())
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        taken = next((kind for kind, _ in claims if kind in exc.failed), None)
        if taken is not None:
            raise errors.Conflict(f"This {taken} is already registered") from None
        # Another registration of the same contact was in flight (TransactionConflict).
        raise errors.Conflict("This contact is being registered right now; try again") from None
    return user


def get_user(user_id: str) -> User | None:
    return db.get(User, user_pk(user_id), PROFILE, consistent=True)


def get_registration(user_id: str) -> RegistrationRecord | None:
    return db.get(RegistrationRecord, user_pk(user_id), REGISTRATION, consistent=False)


def find_user_id(kind: str, value: str) -> str | None:
    """``kind``: phone (E.164), email (lower case) or telegram (id). One GetItem."""
    claim = db.get(ContactClaim, claim_key(kind, value), CLAIM, consistent=True)
    return None if claim is None else claim.user_id


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


def change_challenge_key(kind: str, address: str, user_id: str) -> tuple[str, str]:
    """The key of the one-time code proving a pending change of the user's ``kind`` ("phone"
    or "email") to ``address`` (store/otp.py; purpose as services/contact_codes names it).
    Erasure deletes it with the pending change, not leaving it to the challenge's TTL."""
    from chalicelib.store import otp

    return otp._key(address, f"CHANGE#{kind}#{user_id}")  # the store's own key scheme


def customer_card(user_id: str) -> CustomerCard | None:
    """A customer's name and phone for a business view: one GetItem (consistent, projected).
    None when the account is gone or anonymised; a closed one is marked (domain.card_for_business)."""
    with db.sdk_errors():
        try:
            user = User.get(user_pk(user_id), PROFILE, consistent_read=True, attributes_to_get=_CARD_ATTRIBUTES)
        except User.DoesNotExist:
            return None
    return _card(user)


def customer_cards(user_ids: Iterable[str]) -> dict[str, CustomerCard]:
    """Cards of many customers by user id: one BatchGetItem per 100 distinct ids (consistent,
    projected; PynamoDB re-requests UnprocessedKeys). Missing or anonymised accounts are left out."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    cards: dict[str, CustomerCard] = {}
    with db.sdk_errors():
        found = list(
            User.batch_get(
                [(user_pk(user_id), PROFILE) for user_id in wanted],
                consistent_read=True,
                attributes_to_get=_CARD_ATTRIBUTES,
            )
        )
    for user in found:
        card = _card(user)
        if card is not None:
            cards[user.user_id] = card
    return cards


def update_profile(
    user_id: str, revision: int, at: datetime, changes: dict[str, Any], *, tx: db.Transaction | None = None
) -> None:
    """Optimistic update of plain attributes (name, locale, pending_*) in one TransactWriteItems
    with the caller's ``tx`` (its audit record); Conflict if it changed meanwhile."""
    user = User(pk=user_pk(user_id), sk=PROFILE)
    actions: list[Any] = [User.updated_at.set(at), User.revision.add(1)]
    for name, value in changes.items():
        attribute = getattr(User, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    tx = tx if tx is not None else db.Transaction()
    tx.update(
        user,
        actions,
        role="profile",
        condition=User.pk.exists() & (User.revision == revision) & (User.active == True),  # noqa: E712
    )
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("The account changed meanwhile or is closed; reload and retry") from None


def replace_contact(user: User, kind: str, new_value: str, at: datetime, *, tx: db.Transaction | None = None) -> None:
    """Move a verified phone/e-mail: claim the new value, release the old, update the profile, atomically."""
    old_value: str | None = user.phone if kind == "phone" else user.email
    field, verified, pending = (
        (User.phone, User.phone_verified, User.pending_phone)
        if kind == "phone"
        else (User.email, User.email_verified, User.pending_email)
    )
    tx = tx if tx is not None else db.Transaction()
    tx.put(_claim(kind, new_value, user.user_id), role="claim", condition=ContactClaim.pk.does_not_exist())
    if old_value:
        tx.delete(_claim(kind, old_value, user.user_id), role="release", condition=ContactClaim.user_id == user.user_id)
    tx.update(
        User(pk=user_pk(user.user_id), sk=PROFILE),
        [field.set(new_value), verified.set(True), pending.remove(), User.updated_at.set(at), User.revision.add(1)],
        role="profile",
        condition=(pending == new_value) & (User.active == True),  # noqa: E712
    )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "claim" in exc.failed:
            raise errors.Conflict(f"This {kind} is already registered") from None
        raise errors.Conflict("The change is no longer pending; request a new code") from None


def mark_phone_verified(user_id: str, at: datetime) -> None:
    db.update(
        User(pk=user_pk(user_id), sk=PROFILE),
        [User.phone_verified.set(True), User.updated_at.set(at)],
        condition=User.pk.exists(),
    )


def link_telegram(user_id: str, telegram_id: str, at: datetime, *, tx: db.Transaction | None = None) -> None:
    """Claim the Telegram id for this account and record it on the profile, atomically (with
    the caller's ``tx``)."""
    tx = tx if tx is not None else db.Transaction()
    tx.put(_claim("telegram", telegram_id, user_id), role="claim", condition=ContactClaim.pk.does_not_exist())
    tx.update(
        User(pk=user_pk(user_id), sk=PROFILE),
        [User.telegram_id.set(telegram_id), User.updated_at.set(at), User.revision.add(1)],
        role="profile",
        condition=User.telegram_id.does_not_exist() & (User.active == True),  # noqa: E712
    )
    try:
        tx.commit()
    except db.TransactionCancelled:
        raise errors.Conflict("This Telegram account or this user is already linked") from None


def set_operator(user_id: str, is_operator: bool, at: datetime, *, tx: db.Transaction | None = None) -> None:
    """One TransactWriteItems: the flag, with the caller's ``tx`` (its audit record)."""
    tx = tx if tx is not None else db.Transaction()
    tx.update(
        User(pk=user_pk(user_id), sk=PROFILE),
        [User.is_operator.set(is_operator), User.updated_at.set(at), User.revision.add(1)],
        role="profile",
        condition=User.pk.exists(),
    )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "profile" in exc.failed:
            raise errors.NotFound("No such user") from None
        raise errors.Conflict("The account is being changed right now; try again") from None


def set_password_hash(user_id: str, password_hash: str, at: datetime) -> None:
    db.update(
        User(pk=user_pk(user_id), sk=PROFILE),
        [User.password_hash.set(password_hash), User.updated_at.set(at), User.revision.add(1)],
        condition=User.pk.exists(),
    )
