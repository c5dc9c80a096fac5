"""The one way to declare a route.

``@endpoint(...)`` registers a Chalice route and records it for /openapi.json. The
handler's signature is its contract::

    @endpoint(blueprint, "/v1/bookings", "POST", summary="Book", tags=TAGS, status=201, auth=True)
    def create_booking(ctx: RequestContext, body: schemas.BookingCreate) -> schemas.BookingOut:

- a ``body: Model`` parameter: the JSON body, validated (problem+json naming the field);
- a ``query: Model`` parameter: the query string, validated the same way;
- the other parameters: the path's ``{placeholders}``;
- the return annotation: the response model (sent with ``status``), ``None`` (204), or a
  Chalice ``Response`` for bodies that are not JSON (``produces=`` names their type).

Services name the fields of an ``InvalidInput`` in domain terms (``"start"``); the route
answers with where the request carried them (``"body.start"``), see ``FieldLocations``.

Extra response headers (Location, Set-Cookie) go in ``ctx.response_headers``. The
annotations are resolved on a route's first request, not at import: every Lambda function
imports app.py, and none should pay for pydantic models it never uses (cold start).
"""

from __future__ import annotations

import functools
import json
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Chalice, Request, Response

from chalicelib import errors
from chalicelib.api import problems
from chalicelib.observability import logger

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from chalicelib.domain.identity import Principal

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Route options for views that read no body: every Content-Type is accepted (and ignored).
NO_BODY_ROUTE: dict[str, Any] = {"content_types": ["*/*"]}


@dataclass(frozen=True)
class Contract:
    """The models a handler's annotations name (resolved once, on first use)."""

    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None


@functools.cache
def contract(handler: Callable[..., Any]) -> Contract:
    from pydantic import BaseModel

    hints = typing.get_type_hints(handler)

    def model(name: str) -> type[BaseModel] | None:
        hint = hints.get(name)
        if hint is None or hint is type(None) or hint is Response:
            return None
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return hint
        raise TypeError(f"{handler.__qualname__}: {name} must be a pydantic model, None or Response, not {hint!r}")

    return Contract(body=model("body"), query=model("query"), response=model("return"))


# Domain field names a request carries in a header rather than in its body or query string.
HEADER_FIELDS: dict[str, str] = {"idempotency_key": "Idempotency-Key"}
# First parts of a field name that already say where in the request it is (pydantic's errors
# and the API layer's own, e.g. "query.cursor"): such names are answered as they are.
LOCATIONS = frozenset({"body", "query", "header", "path"})


def _wire_names(model: type[BaseModel] | None) -> dict[str, str]:
    """Field name and alias -> the name the client sends (the alias, e.g. "from" for from_)."""
    names: dict[str, str] = {}
    for name, info in (model.model_fields if model is not None else {}).items():
        wire = info.alias or name
        names[name] = names[wire] = wire
    return names


@dataclass(frozen=True)
class FieldLocations:
    """Where one route's request carries each field a service may name in an InvalidInput."""

    body: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    path: frozenset[str] = frozenset()

    @classmethod
    def of(cls, models: Contract | None, path: str) -> FieldLocations:
        return cls(
            body=_wire_names(models.body if models else None),
            query=_wire_names(models.query if models else None),
            path=frozenset(path_params(path)),
        )

    def locate(self, name: str) -> str:
        """The location of a field the domain names: e.g. "start" -> "body.start",
        "choices.0.enabled" -> "body.choices.0.enabled", "to" -> "query.to",
        "idempotency_key" -> "header.Idempotency-Key", "venue_id" -> "path.venue_id". A name
        that already is a location, or that this route's request does not carry, is kept."""
        head, dot, rest = name.partition(".")
        if head in LOCATIONS:
            return name
        if head in HEADER_FIELDS:
            return f"header.{HEADER_FIELDS[head]}{dot}{rest}"
        for where, names in (("body", self.body), ("query", self.query)):
            if head in names:
                return f"{where}.{names[head]}{dot}{rest}"
        if head in self.path:
            return f"path.{name}"
        return name


@dataclass(frozen=True)
class EndpointSpec:
    path: str
    method: str
    summary: str
    tags: tuple[str, ...]
    handler: Callable[..., Any]
    status: int
    error_statuses: tuple[int, ...]
    auth: bool
    produces: str = "application/json"
    description: str = ""
    body_required: bool = True
    # A body the handler reads itself (``raw_body`` of ``endpoint``): documented, not pre-parsed.
    raw_body: Callable[[], type[BaseModel]] | None = None
    idempotent: bool = False  # takes an optional Idempotency-Key header (documented as a parameter)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def body(self) -> type[BaseModel] | None:
        found = contract(self.handler).body
        return found if found is not None or self.raw_body is None else self.raw_body()

    @property
    def query(self) -> type[BaseModel] | None:
        return contract(self.handler).query

    @property
    def response(self) -> type[BaseModel] | None:
        return contract(self.handler).response


# Every endpoint declared in the process, in declaration order (read by the OpenAPI builder).
ENDPOINTS: list[EndpointSpec] = []

Authenticator = Callable[["RequestContext"], "Principal"]
_authenticator: Authenticator | None = None


def set_authenticator(authenticate: Authenticator) -> None:
    """Register the one function that turns a request into a principal (or raises
    Unauthenticated). ``auth=True`` routes call it before parsing their input."""
    global _authenticator
    _authenticator = authenticate


@dataclass
class RequestContext:
    """What a handler may know about the HTTP request, and the headers it adds to the answer."""

    request: Request
    path_params: dict[str, str] = field(default_factory=dict)
    # Sent with the handler's answer (a list value is a multi-value header, e.g. Set-Cookie).
    response_headers: dict[str, str | list[str]] = field(default_factory=dict)
    _principal: Principal | None = field(default=None, init=False, repr=False)

    @property
    def principal(self) -> Principal:
        """The signed-in caller: set before the handler runs on ``auth=True`` routes, by the
        registered authenticator. Other routes have none, and asking for it is a bug."""
        if self._principal is None:
            raise RuntimeError("no principal: only auth=True routes have one")
        return self._principal

    @principal.setter
    def principal(self, principal: Principal) -> None:
        self._principal = principal

    @property
    def headers(self) -> Any:
        return self.request.headers

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name)
        return None if value is None else str(value)

    @property
    def request_id(self) -> str:
        return str(self.request.context.get("requestId", ""))

    @property
    def source_ip(self) -> str:
        identity = self.request.context.get("identity") or {}
        return str(identity.get("sourceIp") or "")

    @property
    def user_agent(self) -> str:
        return self.header("user-agent") or ""

    @property
    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for part in (self.header("cookie") or "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                jar[name] = value
        return jar


def _field_errors(exc: ValidationError, prefix: str) -> list[errors.FieldError]:
    result: list[errors.FieldError] = []
    for err in exc.errors(include_url=False):
        parts = [str(part) for part in err["loc"] if not _union_member(part)]
        location = ".".join((prefix, *parts))
        if all(e.field != location or e.reason != err["msg"] for e in result):
            result.append(errors.FieldError(field=location, reason=err["msg"]))
    return result


def _union_member(part: object) -> bool:
    """A segment pydantic adds for the member of a union it tried (``FixedValidity``,
    ``function-after[...]``): not a field the client sent, so not part of its path. Field
    names are snake_case, so a capitalised or bracketed segment is never one."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


# JSON nesting deeper than this is refused (400) before it is parsed: json.loads recurses,
# and a small body nested thousands deep would raise RecursionError (a 500). No request model
# nests anywhere near this deep.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[][{}]")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``raw`` opens more than ``limit`` nested arrays/objects: one linear scan of the
    text (strings blanked out first, so brackets inside them do not count), no recursion."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _validation_context() -> dict[str, Any]:
    """What the shared date types check against: the request's time (schemas/common.py)."""
    from chalicelib import deps

    return {"now": deps.clock().now()}


def parse_body(request: Request, model: type[BaseModel], *, required: bool = True) -> BaseModel:
    """The validated body. An empty one is refused (422 naming ``body``) where the operation's
    body is required, as the spec says, instead of being read as ``{}``."""
    from pydantic import ValidationError

    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if not raw.strip():
        if required:
            raise errors.InvalidInput([errors.FieldError("body", "a JSON body is required")])
        payload: Any = {}
    elif json_depth_exceeds(raw):
        raise _MalformedJson(f"nested deeper than {MAX_JSON_DEPTH} levels")
    else:
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _MalformedJson(str(exc)) from None
        except RecursionError:  # only if the interpreter's limit is below MAX_JSON_DEPTH
            raise _MalformedJson(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    try:
        return model.model_validate(payload, context=_validation_context())
    except ValidationError as exc:
        raise errors.InvalidInput(_field_errors(exc, "body")) from None


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    from pydantic import ValidationError

    params = dict(request.query_params or {})
    try:
        return model.model_validate(params, context=_validation_context())
    except ValidationError as exc:
        raise errors.InvalidInput(_field_errors(exc, "query")) from None


class _MalformedJson(Exception):
    pass


def to_response(result: Any, status: int, headers: dict[str, str | list[str]]) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=204 if status in (200, 204) else status, headers=headers)
    if hasattr(result, "model_dump_json"):  # a pydantic model
        body = result.model_dump_json(by_alias=True)
        return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **headers})
    raise TypeError(f"handler returned {type(result).__name__}; return a model, None or Response")


def _declares(handler: Callable[..., Any], parameter: str) -> bool:
    """Whether the handler takes ``parameter``: read from the signature without resolving types."""
    code = handler.__code__
    return parameter in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def endpoint(
    router: Blueprint | Chalice,
    path: str,
    method: str,
    *,
    summary: str,
    tags: Sequence[str],
    status: int = 200,
    errors_: Sequence[int] = (),
    auth: bool = False,
    produces: str = "application/json",
    description: str = "",
    body_required: bool = True,
    raw_body: Callable[[], type[BaseModel]] | None = None,
    idempotent: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route. ``errors_`` lists the problem statuses it can answer besides those its
    signature implies (400/415/422 for a body, 422 for a query, 401/403 when signed in, 500).
    ``body_required=False`` reads a missing body as ``{}`` (the spec says it is optional);
    otherwise a request without one is refused, naming ``body``. ``raw_body`` (a function
    returning the model, resolved on first use) documents a body the handler must see as raw
    bytes before parsing it itself with ``parse_body`` (a signed webhook: the signature first);
    list 400 and 422 in ``errors_`` then. ``idempotent=True``: the handler reads an optional
    ``Idempotency-Key`` header, which the OpenAPI document states."""
    method = method.upper()

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        takes_body = _declares(handler, "body")
        takes_query = _declares(handler, "query")

        @functools.cache
        def locations() -> FieldLocations:
            return FieldLocations.of(contract(handler) if takes_body or takes_query else None, path)

        def locate(name: str) -> str:  # called for an InvalidInput's fields only
            return locations().locate(name)

        def view(**path_params: str) -> Response:
            request = router.current_request
            if request is None:  # Chalice always sets it while a route runs
                raise RuntimeError("no current request")
            ctx = RequestContext(request=request, path_params=path_params)
            try:
                if auth:
                    if _authenticator is None:
                        raise RuntimeError("auth=True route but no authenticator is registered")
                    ctx.principal = _authenticator(ctx)
                kwargs: dict[str, Any] = {}
                if takes_body or takes_query:
                    models = contract(handler)
                    if models.body is not None:
                        kwargs["body"] = parse_body(request, models.body, required=body_required)
                    if models.query is not None:
                        kwargs["query"] = parse_query(request, models.query)
                return to_response(handler(ctx, **path_params, **kwargs), status, ctx.response_headers)
            except _MalformedJson as exc:
                return problems.problem(
                    400,
                    "The body is not valid JSON",
                    slug="malformed-json",
                    title="Malformed JSON",
                    field_errors=[errors.FieldError("body", str(exc))],
                )
            except errors.DomainError as exc:
                return problems.from_domain_error(exc, locate)
            except Exception:
                logger.exception("unhandled error", extra={"route": path, "method": method})
                return problems.problem(500, "An internal error occurred; quote the request id.")

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        # Chalice itself answers 415 for non-JSON bodies; the middleware makes it a problem. A
        # route without a body ignores Content-Type (a GET or DELETE may carry one; no 415).
        router.route(path, methods=[method], **({} if takes_body else NO_BODY_ROUTE))(view)
        implied = {
            *((400, 415, 422) if takes_body else ()),
            *((422,) if takes_query else ()),
            # signed-in routes: no or expired session; a cookie session from a foreign Origin
            *((401, 403) if auth else ()),
            500,
        }
        ENDPOINTS.append(
            EndpointSpec(
                path=path,
                method=method,
                summary=summary,
                tags=tuple(tags),
                handler=handler,
                status=status,
                error_statuses=tuple(sorted({*errors_, *implied})),
                auth=auth,
                produces=produces,
                description=description or (handler.__doc__ or "").strip(),
                body_required=body_required,
                raw_body=raw_body,
                idempotent=idempotent,
            )
        )
        return handler

    return decorate


_PATH_PARAM = re.compile(r"{(\w+)}")


def path_params(path: str) -> list[str]:
    return _PATH_PARAM.findall(path)


METHOD_NOT_ALLOWED_VIEWS: set[str] = set()


def install_method_not_allowed(app: Chalice) -> None:
    """Answer 405 (with Allow) for the methods a known path does not serve.

    API Gateway would otherwise answer 403 "Missing Authentication Token" for them.
    Call once, after every blueprint is registered.
    """
    for path, views in list(app.routes.items()):
        allowed = sorted(views)
        for method in HTTP_METHODS:
            if method in views:
                continue
            name = f"method_not_allowed_{len(METHOD_NOT_ALLOWED_VIEWS)}"
            METHOD_NOT_ALLOWED_VIEWS.add(name)
            app.route(path, methods=[method], name=name, **NO_BODY_ROUTE)(_method_not_allowed_view(method, allowed))


def _method_not_allowed_view(method: str, allowed: list[str]) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        return problems.problem(
            405,
            f"{method} is not supported here; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )

    return view
