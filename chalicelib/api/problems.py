"""RFC 9457 problem+json responses, and the one table mapping domain errors to statuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib import errors

PROBLEM_CONTENT_TYPE = "application/problem+json"

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.RateLimited: 429,
    errors.DependencyUnavailable: 503,
}

# Titles for statuses raised by the HTTP layer itself rather than by a domain error.
HTTP_TITLES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Sign-in required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "The request is not valid"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("dependency-unavailable", "A backing service is unavailable"),
}


def problem(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    title: str | None = None,
    field_errors: list[errors.FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_slug, default_title = HTTP_TITLES.get(status, ("error", "Request failed"))
    body: dict[str, Any] = {
        "type": f"/problems/{slug or default_slug}",
        "title": title or default_title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if field_errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in field_errors]
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})},
    )


def from_domain_error(error: errors.DomainError, locate: Callable[[str], str] | None = None) -> Response:
    """``locate`` turns a field name of the domain into where the request carried it
    (routing.FieldLocations.locate); without it the names are sent as they are."""
    status = next((code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 400)
    headers: dict[str, str] = {}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    detail = error.detail
    field_errors = None
    if isinstance(error, errors.InvalidInput):
        field_errors = error.errors
        if locate is not None:
            located = [errors.FieldError(locate(e.field), e.reason) for e in field_errors]
            if detail == errors.describe(field_errors):  # the default detail names the fields too
                detail = errors.describe(located)
            field_errors = located
    return problem(
        status,
        detail,
        slug=error.slug,
        title=error.title,
        field_errors=field_errors,
        headers=headers,
    )
