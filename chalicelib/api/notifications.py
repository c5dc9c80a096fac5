"""Notification preferences, push devices and unsubscribe links (NOTE-2, NOTE-3, SHARE-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from chalice.app import Blueprint, Chalice

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import notifications as schemas
    from chalicelib.services import notifications
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    notifications = lazy_import("chalicelib.services.notifications")
    schemas = lazy_import("chalicelib.schemas.notifications")

blueprint = Blueprint(__name__)
TAGS = ["notifications"]
UNSUBSCRIBE_PATH = "/v1/unsubscribe"
_MARKETING_NOTE = "Partner marketing also needs your consent per partner or for all partners (/v1/me/consents)."


def _preferences_view(state: notifications.PreferencesState) -> schemas.PreferencesView:
    return schemas.PreferencesView(
        choices=[
            schemas.ChoiceView(category=c.category, channel=c.channel, enabled=c.enabled, changeable=c.changeable)
            for c in state.choices
        ],
        sms_opted_out_at=state.sms_opted_out_at,
        partner_marketing_note=_MARKETING_NOTE,
    )


@endpoint(
    blueprint,
    "/v1/me/notification-preferences",
    "GET",
    summary="My notification choices per category and channel",
    tags=TAGS,
    auth=True,
)
def get_notification_preferences(ctx: RequestContext) -> schemas.PreferencesView:
    return _preferences_view(notifications.get_preferences(ctx.principal.user_id))


@endpoint(
    blueprint,
    "/v1/me/notification-preferences",
    "PUT",
    summary="Replace my notification choices (unlisted ones return to their default)",
    tags=TAGS,
    auth=True,
)
def put_notification_preferences(ctx: RequestContext, body: schemas.PreferencesPut) -> schemas.PreferencesView:
    requested = [(c.category, c.channel, c.enabled) for c in body.choices]
    return _preferences_view(notifications.put_preferences(ctx.principal.user_id, requested, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/me/devices",
    "POST",
    summary="Register this device for push notifications (APNs or FCM)",
    tags=TAGS,
    status=201,
    errors_=[409, 503],
    auth=True,
)
def register_device(ctx: RequestContext, body: schemas.DeviceIn) -> schemas.DeviceView:
    device = notifications.register_device(ctx.principal.user_id, body.platform, body.token, deps.clock().now())
    registered = (device.registered_at or deps.clock().now()).isoformat(timespec="seconds")
    return schemas.DeviceView(device_id=device.device_id, platform=body.platform, registered_at=registered)


@endpoint(
    blueprint,
    "/v1/me/devices/{device_id}",
    "DELETE",
    summary="Stop push notifications to a device",
    tags=TAGS,
    status=204,
    errors_=[404],
    auth=True,
)
def remove_device(ctx: RequestContext, device_id: str) -> None:
    notifications.remove_device(ctx.principal.user_id, device_id)


def _unsubscribe_view(state: notifications.UnsubscribeState, *, done: bool) -> schemas.UnsubscribeView:
    what = f"{state.category.value} messages by {state.channel.value}"
    if done:
        description = f"You will no longer receive {what}."
    elif state.unsubscribed:
        description = f"You already receive no {what}."
    else:
        description = f"Confirming (POST to this link) stops {what}. Nothing has changed yet."
    return schemas.UnsubscribeView(
        category=state.category, channel=state.channel, unsubscribed=state.unsubscribed, description=description
    )


@endpoint(
    blueprint,
    UNSUBSCRIBE_PATH,
    "GET",
    summary="What this unsubscribe link will do (changes nothing)",
    tags=TAGS,
)
def preview_unsubscribe(ctx: RequestContext, query: schemas.UnsubscribeQuery) -> schemas.UnsubscribeView:
    return _unsubscribe_view(notifications.preview_unsubscribe(query.token), done=False)


@endpoint(
    blueprint,
    UNSUBSCRIBE_PATH,
    "POST",
    summary="Unsubscribe (RFC 8058 one-click; no sign-in)",
    tags=TAGS,
    description="Mail clients POST `List-Unsubscribe=One-Click` as a form; any body is ignored.",
)
def confirm_unsubscribe(ctx: RequestContext, query: schemas.UnsubscribeQuery) -> schemas.UnsubscribeView:
    return _unsubscribe_view(notifications.confirm_unsubscribe(query.token, deps.clock().now()), done=True)


def accept_form_posts(app: Chalice) -> None:
    """RFC 8058 clients POST application/x-www-form-urlencoded; Chalice would answer 415."""
    entry = app.routes[UNSUBSCRIBE_PATH]["POST"]
    entry.content_types = cast(list[str], [*entry.content_types, "application/x-www-form-urlencoded", "text/plain"])
