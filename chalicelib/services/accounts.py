"""Accounts: registration, password and Telegram sign-in, profile rectification, operators.

Every change to an account is written to the audit log (tenant "platform", pseudonymous
user ids only, never contact data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import errors
from chalicelib.domain.identity import Role
from chalicelib.errors import FieldError
from chalicelib.privacy import audit
from chalicelib.security import passwords, tokens
from chalicelib.security.telegram import InvalidInitData, verify_init_data
from chalicelib.services import contact_codes
from chalicelib.services import sessions as session_service
from chalicelib.services.sessions import ClientInfo, IssuedSession
from chalicelib.settings import get_settings
from chalicelib.store import db, ratelimit
from chalicelib.store import memberships as membership_store
from chalicelib.store import users as user_store


@dataclass(frozen=True)
class Registration:
    name: str
    phone: str  # E.164, already validated
    email: str | None
    password: str | None
    age_16_or_older: bool
    terms_version: str
    locale: str


def _record(
    actor: str, action: str, user_id: str, now: datetime, summary: dict[str, str] | None = None
) -> db.Transaction:
    """A transaction holding the change's audit record: the store adds the change and commits."""
    tx = db.Transaction()
    audit.record(
        tx, tenant=audit.PLATFORM, actor=actor, action=action, entity="user", entity_id=user_id, at=now, summary=summary
    )
    return tx


def _check_consent(age_16_or_older: bool | None, terms_version: str | None) -> None:
    problems: list[FieldError] = []
    if age_16_or_older is not True:
        problems.append(FieldError("age_16_or_older", "You must confirm that you are 16 or older"))
    current = get_settings().terms_version
    if terms_version != current:
        problems.append(FieldError("terms_version", f"Accept the current terms version {current}"))
    if problems:
        raise errors.InvalidInput(problems)


def _limit_sign_in(client: ClientInfo, now: datetime) -> None:
    settings = get_settings()
    ratelimit.hit("signin-ip", client.ip, settings.login_ip_limit, settings.login_ip_window_seconds, now)


def register(form: Registration, client: ClientInfo, now: datetime) -> IssuedSession:
    """Rate-limit UpdateItems, one TransactWriteItems (profile, record, claims, audit), session PutItem.

    A taken phone or e-mail is answered 409 "already registered" (registration signs the new
    account in, so no answer can look the same for both), which makes registration the place
    to probe whether a number has an account: it is limited per client IP as tightly as OTP
    sends (``register_ip_limit``), on top of the sign-in limit (docs/accounts.md).
    """
    _check_consent(form.age_16_or_older, form.terms_version)
    _limit_sign_in(client, now)
    settings = get_settings()
    ratelimit.hit("register-ip", client.ip, settings.register_ip_limit, settings.register_ip_window_seconds, now)
    password_hash = passwords.hash_password(form.password) if form.password else None
    user_id = tokens.new_id()
    user = user_store.create_account(
        user_store.NewAccount(
            user_id=user_id,
            name=form.name,
            locale=form.locale,
            phone=form.phone,
            email=form.email,
            password_hash=password_hash,
            telegram_id=None,
            terms_version=form.terms_version,
            ip=client.ip,
            method="register",
            at=now,
        ),
        tx=_record(user_id, "account.registered", user_id, now, {"terms_version": form.terms_version}),
    )
    return session_service.start(user, "register", client, now)


_BAD_CREDENTIALS = "The login or password is wrong"


def login_with_password(login: str, password: str, client: ClientInfo, now: datetime) -> IssuedSession:
    """Rate-limit UpdateItem, claim GetItem, profile GetItem, session PutItem. Same answer and
    the same bcrypt work whether the account is unknown, has no password or the password is wrong."""
    from chalicelib.security.contacts import InvalidContact, normalize_email, normalize_phone

    _limit_sign_in(client, now)
    user_id: str | None = None
    try:
        if "@" in login:
            user_id = user_store.find_user_id("email", normalize_email(login))
        else:
            user_id = user_store.find_user_id("phone", normalize_phone(login))
    except InvalidContact:
        user_id = None
    user = user_store.get_user(user_id) if user_id else None
    if not passwords.verify_password(password, user.password_hash if user else None) or user is None:
        raise errors.Unauthenticated(_BAD_CREDENTIALS)
    if not user.active:
        raise errors.Unauthenticated(_BAD_CREDENTIALS)
    return session_service.start(user, "password", client, now)


def sign_in_with_telegram(
    init_data: str,
    age_16_or_older: bool | None,
    terms_version: str | None,
    linking_user_id: str | None,
    client: ClientInfo,
    now: datetime,
) -> IssuedSession:
    """Verify initData (SEC-3); sign in the linked account, link it to the signed-in caller,
    or create an account (terms and age confirmation required). The Telegram id is stored only here (DATA-7)."""
    _limit_sign_in(client, now)
    try:
        telegram_user = verify_init_data(init_data, now)
    except InvalidInitData:
        raise errors.Unauthenticated("Telegram sign-in data is not valid or too old") from None
    linked_id = user_store.find_user_id("telegram", telegram_user.telegram_id)
    if linked_id is not None:
        if linking_user_id is not None and linking_user_id != linked_id:
            raise errors.Conflict("This Telegram account is linked to another user")
        user = user_store.get_user(linked_id)
        if user is None or not user.active:
            raise errors.Unauthenticated("This account is closed")
        return session_service.start(user, "telegram", client, now)
    if linking_user_id is not None:
        user_store.link_telegram(
            linking_user_id,
            telegram_user.telegram_id,
            now,
            tx=_record(linking_user_id, "account.telegram_linked", linking_user_id, now),
        )
        user = user_store.get_user(linking_user_id)
        if user is None:
            raise errors.Unauthenticated("This account is closed")
        return session_service.start(user, "telegram", client, now)
    _check_consent(age_16_or_older, terms_version)
    name = " ".join(part for part in (telegram_user.first_name, telegram_user.last_name) if part) or "Telegram user"
    locale = (telegram_user.language_code or "en")[:8]
    user_id = tokens.new_id()
    created = user_store.create_account(
        user_store.NewAccount(
            user_id=user_id,
            name=name[:100],
            locale=locale,
            phone=None,
            email=None,
            password_hash=None,
            telegram_id=telegram_user.telegram_id,
            terms_version=str(terms_version),
            ip=client.ip,
            method="telegram",
            at=now,
        ),
        tx=_record(user_id, "account.registered", user_id, now, {"terms_version": str(terms_version)}),
    )
    return session_service.start(created, "telegram", client, now)


# --- profile (RIGHT-3) ----------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    user: user_store.User
    memberships: list[tuple[str, Role]]


def get_profile(user_id: str) -> Profile:
    """Profile GetItem + memberships Query."""
    user = user_store.get_user(user_id)
    if user is None or not user.active:
        raise errors.NotFound("No such account")
    return Profile(
        user=user,
        memberships=[(m.business_id, Role(m.role)) for m in membership_store.list_memberships(user_id)],
    )


@dataclass(frozen=True)
class ProfileChanges:
    name: str | None = None
    locale: str | None = None
    phone: str | None = None  # E.164; takes effect after verification
    email: str | None = None  # lower case; takes effect after verification


def update_profile(user_id: str, changes: ProfileChanges, client: ClientInfo, now: datetime) -> Profile:
    """Name/locale apply at once; a new phone or e-mail is kept pending and gets a code.
    Calls: profile GetItem (+ claim GetItem and code writes per new contact) + one
    TransactWriteItems (profile update + audit) + profile GetItem and memberships Query."""
    user = user_store.get_user(user_id)
    if user is None or not user.active:
        raise errors.NotFound("No such account")
    updates: dict[str, str | None] = {}
    changed: list[str] = []
    if changes.name is not None and changes.name != user.name:
        updates["name"] = changes.name
        changed.append("name")
    if changes.locale is not None and changes.locale != user.locale:
        updates["locale"] = changes.locale
        changed.append("locale")
    if changes.phone is not None and changes.phone != user.phone:
        if user_store.find_user_id("phone", changes.phone) is not None:
            raise errors.Conflict("This phone is already registered")
        contact_codes.send_change_code("phone", changes.phone, user_id, client, now)
        updates["pending_phone"] = changes.phone
        changed.append("pending_phone")
    if changes.email is not None and changes.email != user.email:
        if user_store.find_user_id("email", changes.email) is not None:
            raise errors.Conflict("This email is already registered")
        contact_codes.send_change_code("email", changes.email, user_id, client, now)
        updates["pending_email"] = changes.email
        changed.append("pending_email")
    if updates:
        user_store.update_profile(
            user_id,
            int(user.revision),
            now,
            updates,
            tx=_record(user_id, "account.updated", user_id, now, {"fields": ",".join(changed)}),
        )
    return get_profile(user_id)


def confirm_contact_change(user_id: str, kind: str, code: str, now: datetime) -> Profile:
    """The code sent to the new address proves it; then claim-new/release-old/update in one transaction."""
    user = user_store.get_user(user_id)
    if user is None or not user.active:
        raise errors.NotFound("No such account")
    pending = user.pending_phone if kind == "phone" else user.pending_email
    if not pending:
        raise errors.Conflict(f"No {kind} change is pending")
    contact_codes.verify_change_code(kind, pending, user_id, code, now)
    user_store.replace_contact(user, kind, pending, now, tx=_record(user_id, f"account.{kind}_changed", user_id, now))
    return get_profile(user_id)


def grant_operator(user_id: str, granted_by: str, now: datetime) -> None:
    """Operators are designated only here, by the bootstrap command (chalicelib/cli/operators.py)."""
    user_store.set_operator(user_id, True, now, tx=_record(granted_by, "account.operator_granted", user_id, now))
