"""Reachability of the tables, for GET /v1/health."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from chalicelib import errors
from chalicelib.store import table


def check_table() -> str:
    """Status of the main table (``ACTIVE`` when healthy). One DescribeTable call."""
    try:
        return str(table.describe().get("TableStatus", "UNKNOWN"))
    except PynamoDBException as exc:
        raise errors.DependencyUnavailable("The table is not reachable") from exc
