"""Test data helpers: counting what the table holds, filling path templates."""

from __future__ import annotations

import re

from chalicelib.aws_clients import client
from chalicelib.settings import get_settings


def count_items() -> int:
    """Every item in the main table (a test may Scan; request paths may not)."""
    paginator = client("dynamodb").get_paginator("scan")
    return sum(page["Count"] for page in paginator.paginate(TableName=get_settings().resolved_table_name()))


def sample_path(template: str) -> str:
    """A concrete path for a template: each {param} becomes a well-formed unknown id."""
    return re.sub(r"{\w+}", "00000000000000000000000000", template)
