"""Sign-in routes and the one authenticator (SEC-1..4).

Mobile clients send ``Authorization: Bearer <access token>`` and keep the refresh token
from the JSON answer. Browsers ask for ``token_delivery: "cookie"`` and get both tokens as
``__Host-`` HttpOnly Secure SameSite=Strict cookies; any state change authenticated by a
cookie must come from an allowed Origin (defence in depth beside SameSite).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint

from chalicelib import deps, errors
from chalicelib.api.routing import RequestContext, endpoint
from chalicelib.domain.identity import Principal
from chalicelib.lazy import lazy_import

if TYPE_CHECKING:
    from chalicelib import settings
    from chalicelib.schemas import auth as schemas
    from chalicelib.services import accounts, contact_codes
    from chalicelib.services import sessions as session_service
else:  # loaded on first use: the store, the SDK and pydantic models stay out of cold start
    settings = lazy_import("chalicelib.settings")
    accounts = lazy_import("chalicelib.services.accounts")
    contact_codes = lazy_import("chalicelib.services.contact_codes")
    session_service = lazy_import("chalicelib.services.sessions")
    schemas = lazy_import("chalicelib.schemas.auth")

blueprint = Blueprint(__name__)

ACCESS_COOKIE = "__Host-access"
REFRESH_COOKIE = "__Host-refresh"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TAGS = ["auth"]


# --- authentication -------------------------------------------------------------------


def require_same_origin(ctx: RequestContext) -> None:
    """A cookie-authenticated state change must name an allowed Origin (or Referer)."""
    origin = ctx.header("origin") or ""
    if not origin:
        referer = ctx.header("referer") or ""
        scheme, sep, rest = referer.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}" if sep else ""
    if origin not in settings.get_settings().allowed_origins:
        raise errors.Forbidden("Cross-origin request refused")


def authenticate_request(ctx: RequestContext) -> Principal:
    """Registered with routing.set_authenticator: Bearer header first, else the access cookie."""
    now = deps.clock().now()
    header = ctx.header("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.Unauthenticated("Use: Authorization: Bearer <access token>")
        return session_service.authenticate(token.strip(), via_cookie=False, now=now)
    cookie = ctx.cookies.get(ACCESS_COOKIE)
    if not cookie:
        raise errors.Unauthenticated("Sign in first")
    if ctx.request.method.upper() not in _SAFE_METHODS:
        require_same_origin(ctx)
    return session_service.authenticate(cookie, via_cookie=True, now=now)


def _client(ctx: RequestContext, via_cookie: bool) -> session_service.ClientInfo:
    return session_service.ClientInfo(ip=ctx.source_ip or "unknown", user_agent=ctx.user_agent, via_cookie=via_cookie)


def _cookie(name: str, value: str, max_age: int) -> str:
    # __Host- prefix: Secure, Path=/ and no Domain, so no subdomain can set or read it.
    return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"


def _session_answer(ctx: RequestContext, issued: session_service.IssuedSession) -> schemas.SessionResponse:
    if not issued.via_cookie:
        return schemas.SessionResponse(
            user_id=issued.user_id,
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
        )
    ctx.response_headers["Set-Cookie"] = [  # Chalice sends a list as a multi-value header
        _cookie(ACCESS_COOKIE, issued.access_token, issued.expires_in),
        _cookie(REFRESH_COOKIE, issued.refresh_token, issued.refresh_expires_in),
    ]
    return schemas.SessionResponse(user_id=issued.user_id, expires_in=issued.expires_in)


def _cleared_cookies() -> list[str]:
    return [_cookie(ACCESS_COOKIE, "", 0), _cookie(REFRESH_COOKIE, "", 0)]


def _delivery(ctx: RequestContext, token_delivery: str) -> bool:
    via_cookie = token_delivery == "cookie"  # noqa: S105 - not a secret
    if via_cookie:
        require_same_origin(ctx)  # no login CSRF: a foreign page cannot plant its session
    return via_cookie


# --- routes -----------------------------------------------------------------------------


@endpoint(
    blueprint,
    "/v1/auth/register",
    "POST",
    summary="Create an account (name, phone, optional e-mail/password, 16+ confirmation, terms)",
    tags=TAGS,
    status=201,
    errors_=[400, 403, 409, 429],
)
def register(ctx: RequestContext, body: schemas.RegisterRequest) -> schemas.SessionResponse:
    via_cookie = _delivery(ctx, body.token_delivery)
    form = accounts.Registration(
        name=body.name,
        phone=body.phone,
        email=body.email,
        password=body.password,
        age_16_or_older=body.age_16_or_older,
        terms_version=body.terms_version,
        locale=body.locale,
    )
    return _session_answer(ctx, accounts.register(form, _client(ctx, via_cookie), deps.clock().now()))


@endpoint(
    blueprint,
    "/v1/auth/login",
    "POST",
    summary="Sign in with phone or e-mail and password",
    tags=TAGS,
    errors_=[400, 401, 403, 429],
)
def login(ctx: RequestContext, body: schemas.LoginRequest) -> schemas.SessionResponse:
    via_cookie = _delivery(ctx, body.token_delivery)
    issued = accounts.login_with_password(body.login, body.password, _client(ctx, via_cookie), deps.clock().now())
    return _session_answer(ctx, issued)


@endpoint(
    blueprint,
    "/v1/auth/otp",
    "POST",
    summary="Send a one-time sign-in code by SMS",
    tags=TAGS,
    status=202,
    errors_=[400, 429],
)
def request_otp(ctx: RequestContext, body: schemas.OtpRequest) -> schemas.OtpRequested:
    expires_in = contact_codes.request_sign_in_code(body.phone, _client(ctx, False), deps.clock().now())
    return schemas.OtpRequested(expires_in=expires_in)


@endpoint(
    blueprint,
    "/v1/auth/otp/verify",
    "POST",
    summary="Sign in with the one-time code",
    tags=TAGS,
    errors_=[400, 401, 403, 429],
)
def verify_otp(ctx: RequestContext, body: schemas.OtpVerifyRequest) -> schemas.SessionResponse:
    via_cookie = _delivery(ctx, body.token_delivery)
    issued = contact_codes.sign_in_with_code(body.phone, body.code, _client(ctx, via_cookie), deps.clock().now())
    return _session_answer(ctx, issued)


@endpoint(
    blueprint,
    "/v1/auth/telegram",
    "POST",
    summary="Sign in with Telegram WebApp initData (links Telegram when already signed in)",
    tags=TAGS,
    errors_=[400, 401, 403, 409, 429],
)
def telegram(ctx: RequestContext, body: schemas.TelegramRequest) -> schemas.SessionResponse:
    via_cookie = _delivery(ctx, body.token_delivery)
    # Optional authentication: a signed-in caller links Telegram to their own account.
    linking = None
    if ctx.header("authorization") is not None or ctx.cookies.get(ACCESS_COOKIE):
        linking = authenticate_request(ctx).user_id
    issued = accounts.sign_in_with_telegram(
        body.init_data,
        body.age_16_or_older,
        body.terms_version,
        linking,
        _client(ctx, via_cookie),
        deps.clock().now(),
    )
    return _session_answer(ctx, issued)


@endpoint(
    blueprint,
    "/v1/auth/refresh",
    "POST",
    summary="Trade a refresh token for new tokens (rotating; a reused token ends the session)",
    tags=TAGS,
    errors_=[400, 401, 403],
    body_required=False,  # a browser refreshing by cookie sends no body
)
def refresh(ctx: RequestContext, body: schemas.RefreshRequest) -> schemas.SessionResponse:
    now = deps.clock().now()
    if body.refresh_token:
        return _session_answer(ctx, session_service.refresh(body.refresh_token, via_cookie=False, now=now))
    token = ctx.cookies.get(REFRESH_COOKIE)
    if not token:
        raise errors.Unauthenticated("No refresh token")
    require_same_origin(ctx)
    return _session_answer(ctx, session_service.refresh(token, via_cookie=True, now=now))


@endpoint(
    blueprint,
    "/v1/auth/logout",
    "POST",
    summary="End this session (its refresh token family and access tokens)",
    tags=TAGS,
    status=204,
    errors_=[403],
    auth=True,
)
def logout(ctx: RequestContext) -> None:
    principal: Principal = ctx.principal
    session_service.revoke(principal.session_id, deps.clock().now())
    ctx.response_headers["Set-Cookie"] = _cleared_cookies()
