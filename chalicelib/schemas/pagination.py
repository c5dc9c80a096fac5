"""The query every list route shares: page size and the opaque cursor (see api/pagination.py)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.schemas.common import RequestModel, server_issued

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(RequestModel):
    """Base for list queries: subclass it to add filters."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page")
    cursor: str | None = Field(
        default=None,
        max_length=2048,
        description="Opaque: the next_cursor of the previous page of this same list (same filters, "
        "same caller); any other value is a 422 naming query.cursor",
        json_schema_extra=server_issued("cursor", "next_cursor"),
    )
