"""Domain errors: what went wrong, in the language of the product, not of HTTP or AWS.

The store turns SDK errors into these; the API layer maps each to a problem+json status.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """A problem with one input field.

    Services and the domain name the field in their own terms (``"start"``,
    ``"idempotency_key"``, ``"choices.0.enabled"``); the API layer rewrites the name into
    where the request carried it (``"body.start"``, ``"header.Idempotency-Key"``).
    """

    field: str  # dotted name; the first part is a domain field, or an HTTP location (body/query/header/path)
    reason: str


def describe(errors: list[FieldError]) -> str:
    """The default detail of an InvalidInput: every field and its reason."""
    return "; ".join(f"{e.field}: {e.reason}" for e in errors)


class DomainError(Exception):
    """Base class; ``slug`` names the problem type (/problems/<slug>)."""

    slug = "error"
    title = "Request failed"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class InvalidInput(DomainError):
    slug = "validation-error"
    title = "The request is not valid"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or describe(errors))
        self.errors = errors


class Unauthenticated(DomainError):
    slug = "unauthenticated"
    title = "Sign-in required"


class Forbidden(DomainError):
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    slug = "conflict"
    title = "Conflict with the current state"


class Gone(DomainError):
    slug = "gone"
    title = "No longer available"


class RateLimited(DomainError):
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, int(retry_after_seconds))


class DependencyUnavailable(DomainError):
    slug = "dependency-unavailable"
    title = "A backing service is unavailable"
