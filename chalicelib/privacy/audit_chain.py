"""The audit hash chain's canonical form (pure: no AWS, no clock).

Each record's hash covers its canonical JSON (sorted keys, no whitespace) including the
previous record's hash, so altering any field, or removing or reordering a record,
breaks every link after it. The seal head and the anchors carry an HMAC over where they
point (tenant, shard, seq, hash): without the key, a rewritten chain cannot be re-signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

CHAINED_FIELDS = (
    "tenant",
    "shard",
    "seq",
    "record_id",
    "actor",
    "action",
    "target_entity",
    "target_id",
    "at",
    "summary",
)


def canonical(fields: Mapping[str, object], prev_hash: str) -> bytes:
    body = {name: fields[name] for name in CHAINED_FIELDS}
    body["prev_hash"] = prev_hash
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


def signature(key: bytes, tenant: str, shard: int, seq: int, record_hash: str) -> str:
    message = json.dumps([tenant, shard, seq, record_hash], separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(key: bytes, tenant: str, shard: int, seq: int, record_hash: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(signature(key, tenant, shard, seq, record_hash), given)
