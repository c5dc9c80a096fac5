"""The signed-in user's account: read and rectify (RIGHT-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib.schemas import me as schemas
    from chalicelib.services import accounts, sessions
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    accounts = lazy_import("chalicelib.services.accounts")
    sessions = lazy_import("chalicelib.services.sessions")
    schemas = lazy_import("chalicelib.schemas.me")

blueprint = Blueprint(__name__)
TAGS = ["me"]


def _view(profile: accounts.Profile) -> schemas.MeResponse:
    user = profile.user
    return schemas.MeResponse(
        user_id=user.user_id,
        name=user.name,
        locale=user.locale,
        phone=user.phone,
        phone_verified=bool(user.phone_verified),
        email=user.email,
        email_verified=bool(user.email_verified),
        pending_phone=user.pending_phone,
        pending_email=user.pending_email,
        telegram_linked=user.telegram_id is not None,
        is_operator=bool(user.is_operator),
        memberships=[schemas.MembershipView(business_id=b, role=r) for b, r in profile.memberships],
        created_at=user.created_at.isoformat(timespec="seconds"),  # stored instants decode as UTC
    )


@endpoint(blueprint, "/v1/me", "GET", summary="My account", tags=TAGS, errors_=[404], auth=True)
def get_me(ctx: RequestContext) -> schemas.MeResponse:
    return _view(accounts.get_profile(ctx.principal.user_id))


@endpoint(
    blueprint,
    "/v1/me",
    "PATCH",
    summary="Correct my name or language; start a verified phone or e-mail change",
    tags=TAGS,
    errors_=[400, 403, 404, 409, 429],
    auth=True,
)
def patch_me(ctx: RequestContext, body: schemas.MePatch) -> schemas.MeResponse:
    changes = accounts.ProfileChanges(name=body.name, locale=body.locale, phone=body.phone, email=body.email)
    client = sessions.ClientInfo(
        ip=ctx.source_ip or "unknown", user_agent=ctx.user_agent, via_cookie=ctx.principal.via_cookie
    )
    return _view(accounts.update_profile(ctx.principal.user_id, changes, client, deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/me/contact-verification",
    "POST",
    summary="Confirm a pending phone or e-mail change with the code sent to the new address",
    tags=TAGS,
    errors_=[400, 401, 403, 404, 409],
    auth=True,
)
def verify_contact(ctx: RequestContext, body: schemas.ContactVerification) -> schemas.MeResponse:
    profile = accounts.confirm_contact_change(ctx.principal.user_id, body.kind, body.code, deps.clock().now())
    return _view(profile)
