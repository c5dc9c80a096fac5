"""Notification preferences, push devices and unsubscribe links: the use cases behind the routes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from chalicelib import errors
from chalicelib.notify import preferences, unsubscribe
from chalicelib.notify.messages import Category, Channel
from chalicelib.settings import get_settings
from chalicelib.store import preferences as store


@dataclass(frozen=True)
class PreferencesState:
    choices: list[preferences.Choice]
    sms_opted_out_at: str | None


def get_preferences(user_id: str) -> PreferencesState:
    """One GetItem."""
    profile = store.load(user_id)
    opted_out = profile.sms_opted_out_at
    return PreferencesState(
        preferences.matrix(profile.choices, get_settings().notify_default_channels),
        opted_out.isoformat(timespec="seconds") if opted_out else None,
    )


def put_preferences(user_id: str, requested: list[tuple[Category, Channel, bool]], now: datetime) -> PreferencesState:
    """Replace the user's choices (one UpdateItem, then one GetItem for the answer)."""
    refused = [
        errors.FieldError(f"choices.{i}.enabled", "account messages cannot be turned off")
        for i, (category, _, enabled) in enumerate(requested)
        if category in preferences.MANDATORY and not enabled
    ]
    if refused:
        raise errors.InvalidInput(refused)
    store.replace_choices(user_id, preferences.stored_choices(requested, get_settings().notify_default_channels), now)
    return get_preferences(user_id)


def device_id_for(platform: str, token: str) -> str:
    """Stable per token, so registering again refreshes the same device."""
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()[:32]


def register_device(user_id: str, platform: str, token: str, now: datetime) -> store.Device:
    """CreatePlatformEndpoint (+ SetEndpointAttributes) at SNS, then one conditional UpdateItem."""
    from chalicelib.notify.channels import push

    settings = get_settings()
    application = settings.push_apns_application_arn if platform == "apns" else settings.push_fcm_application_arn
    if not application:
        raise errors.DependencyUnavailable(f"Push notifications for {platform} are not configured")
    endpoint_arn = push.create_endpoint(application, token)
    device = store.Device(
        device_id=device_id_for(platform, token),
        platform=platform,
        endpoint_arn=endpoint_arn,
        registered_at=now,
    )
    try:
        store.add_device(user_id, device, now)
    except errors.Conflict:
        push.delete_endpoint(endpoint_arn)
        raise
    return device


def remove_device(user_id: str, device_id: str) -> None:
    """One UpdateItem, then DeleteEndpoint at SNS; NotFound when the device is not the user's."""
    from chalicelib.notify.channels import push

    removed = store.remove_device(user_id, device_id)
    if removed is None:
        raise errors.NotFound("No such device on this account")
    if removed.endpoint_arn:
        push.delete_endpoint(removed.endpoint_arn)


@dataclass(frozen=True)
class UnsubscribeState:
    category: Category
    channel: Channel
    unsubscribed: bool


def _read(token: str) -> unsubscribe.UnsubscribeRequest:
    try:
        request = unsubscribe.read_token(token)
    except unsubscribe.InvalidToken:
        raise errors.InvalidInput([errors.FieldError("token", "not a valid unsubscribe link")]) from None
    if request.category in preferences.MANDATORY:
        raise errors.InvalidInput([errors.FieldError("token", "account messages cannot be unsubscribed")])
    return request


def preview_unsubscribe(token: str) -> UnsubscribeState:
    """GET: says what the link will do and changes nothing (link scanners prefetch GETs). One GetItem."""
    request = _read(token)
    profile = store.load(request.user_id)
    enabled = preferences.is_enabled(
        profile.choices, request.category, request.channel, get_settings().notify_default_channels
    )
    return UnsubscribeState(request.category, request.channel, unsubscribed=not enabled)


def confirm_unsubscribe(token: str, now: datetime) -> UnsubscribeState:
    """POST (RFC 8058 one-click): turn the category off on that channel. One UpdateItem (two on first use)."""
    request = _read(token)
    store.set_choice(request.user_id, preferences.choice_key(request.category, request.channel), False, now)
    return UnsubscribeState(request.category, request.channel, unsubscribed=True)
