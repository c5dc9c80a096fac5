"""One-time codes: phone sign-in (SEC-2) and proof of a new phone or e-mail (RIGHT-3).

A code is 6 digits from ``secrets``; only its HMAC is stored (store/otp.py); it lives
``otp_ttl_seconds`` (<= 10 min), works once, is replaced by a newer code and is burned
after ``otp_max_attempts`` wrong tries. Sends are limited per address and per client IP.
The message goes out through the notification queue (category ACCOUNT: cannot be muted).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib import errors
from chalicelib.notify import producer
from chalicelib.notify.messages import Category, Channel, NotificationMessage
from chalicelib.security import codes
from chalicelib.services import sessions as session_service
from chalicelib.services.sessions import ClientInfo, IssuedSession
from chalicelib.settings import get_settings
from chalicelib.store import otp as otp_store
from chalicelib.store import ratelimit
from chalicelib.store import users as user_store

SIGN_IN = "SIGNIN"
_INVALID_CODE = "The code is wrong, expired or already used; request a new one"


def _change_purpose(kind: str, user_id: str) -> str:
    # Bound to the user: nobody else can consume a code meant to prove this user's new address.
    return f"CHANGE#{kind}#{user_id}"


def _limit_send(address: str, client: ClientInfo, now: datetime) -> None:
    settings = get_settings()
    ratelimit.hit("otp-ip", client.ip, settings.otp_ip_limit, settings.otp_ip_window_seconds, now)
    ratelimit.hit("otp-addr", address, settings.otp_phone_limit, settings.otp_phone_window_seconds, now)


def _issue(address: str, purpose: str, now: datetime) -> str:
    code = codes.new_code()
    lifetime = timedelta(seconds=get_settings().otp_ttl_seconds)
    otp_store.put(address, purpose, codes.code_hash(purpose, address, code), now, lifetime)
    return code


def request_sign_in_code(phone: str, client: ClientInfo, now: datetime) -> int:
    """Two rate-limit UpdateItems, claim GetItem, challenge PutItem, SQS SendMessage.

    The answer is the same whether or not the phone has an account (no enumeration); an
    SMS is sent only to registered phones. Returns the code's lifetime in seconds.
    """
    _limit_send(phone, client, now)
    if user_store.find_user_id("phone", phone) is not None:
        code = _issue(phone, SIGN_IN, now)
        producer.enqueue(
            NotificationMessage(
                notification_id=f"otp-{uuid.uuid4().hex}",
                kind="otp",
                category=Category.ACCOUNT,
                to_phone=phone,
                channels=[Channel.SMS],
                params={"code": code},
            )
        )
    return get_settings().otp_ttl_seconds


def _check_code(address: str, purpose: str, code: str, now: datetime) -> None:
    """One UpdateItem (spend an attempt) and, on a match, one conditional DeleteItem (single use)."""
    stored = otp_store.spend_attempt(address, purpose, now, get_settings().otp_max_attempts)
    if stored is None or not codes.matches(stored, purpose, address, code):
        raise errors.Unauthenticated(_INVALID_CODE)
    if not otp_store.consume(address, purpose, stored):
        raise errors.Unauthenticated(_INVALID_CODE)


def sign_in_with_code(phone: str, code: str, client: ClientInfo, now: datetime) -> IssuedSession:
    settings = get_settings()
    ratelimit.hit("signin-ip", client.ip, settings.login_ip_limit, settings.login_ip_window_seconds, now)
    _check_code(phone, SIGN_IN, code, now)
    user_id = user_store.find_user_id("phone", phone)
    user = user_store.get_user(user_id) if user_id else None
    if user is None or not user.active:
        raise errors.Unauthenticated(_INVALID_CODE)
    if not user.phone_verified:
        user_store.mark_phone_verified(user.user_id, now)
    return session_service.start(user, "otp", client, now)


def send_change_code(kind: str, address: str, user_id: str, client: ClientInfo, now: datetime) -> None:
    _limit_send(address, client, now)
    code = _issue(address, _change_purpose(kind, user_id), now)
    if kind == "phone":
        message = NotificationMessage(
            notification_id=f"otp-{uuid.uuid4().hex}",
            kind="otp",
            category=Category.ACCOUNT,
            to_phone=address,
            channels=[Channel.SMS],
            params={"code": code},
        )
    else:
        # The new address is not the account's yet, so it travels as the message's direct address.
        message = NotificationMessage(
            notification_id=f"otp-{uuid.uuid4().hex}",
            kind="otp",
            category=Category.ACCOUNT,
            user_id=user_id,
            channels=[Channel.EMAIL],
            to_email=address,
            params={"code": code},
        )
    producer.enqueue(message)


def verify_change_code(kind: str, address: str, user_id: str, code: str, now: datetime) -> None:
    _check_code(address, _change_purpose(kind, user_id), code, now)
