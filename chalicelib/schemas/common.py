"""Base models and the shapes every route shares (problem details, pages)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RequestModel(BaseModel):
    """Client input: unknown fields are refused, never silently dropped."""

    # defer_build keeps cold start lean: a schema is compiled on first use, not at import.
    model_config = ConfigDict(extra="forbid", defer_build=True, str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ProblemFieldError(ResponseModel):
    field: str = Field(description="Where the problem is: body.<field>, query.<param>, header.<name>, path.<param>")
    reason: str


class Problem(ResponseModel):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str = Field(description="A URI reference naming the problem type, e.g. /problems/not-found")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = None
    errors: list[ProblemFieldError] | None = None
