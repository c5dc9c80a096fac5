"""The audit hash chain's canonical form (pure: no AWS, no clock).

Each record's hash covers its canonical JSON (sorted keys, no whitespace) including the
previous record's hash, so altering any field, or removing or reordering a record,
breaks every link after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

CHAINED_FIELDS = ("tenant", "seq", "record_id", "actor", "action", "target_entity", "target_id", "at", "summary")


def canonical(fields: Mapping[str, object], prev_hash: str) -> bytes:
    body = {name: fields[name] for name in CHAINED_FIELDS}
    body["prev_hash"] = prev_hash
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()
