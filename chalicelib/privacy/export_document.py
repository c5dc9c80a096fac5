"""The export document (RIGHT-1, RIGHT-2): every category of a user's data as JSON.

Shared by the inline answer (chalicelib/privacy/exports.py) and the jobs worker that
builds big exports into S3 (chalicelib/privacy/jobs.py), so neither imports the other.

The document holds every item keyed by the user (the same locations erasure uses), each
attribute the manifest classifies, minus technical keys and secrets (hashes). It is
built only for the caller: nothing keyed by anyone else is read. Published schema:
docs/export-schema.json.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.privacy import subjects
from chalicelib.privacy.manifest import Manifest, load
from chalicelib.store.items import StoredItem, json_value

SCHEMA_VERSION = 1
SCHEMA_URL = "/docs/export-schema.json"
EXPORTS_BUCKET = "exports"  # logical name (chalicelib.resources.BUCKETS)


def _exportable(entity: str, name: str, manifest: Manifest) -> bool:
    if name.endswith("_hash") or name in manifest.base.attributes:
        return False  # secrets are never exported; keys are technical
    classified = manifest.attribute(entity, name)
    return classified is not None and classified.category != "technical"


def build(user_id: str, now: datetime, manifest: Manifest | None = None) -> dict[str, Any]:
    """The export document (validates against docs/export-schema.json)."""
    manifest = manifest or load()
    records: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, set[str]] = {}
    from chalicelib.privacy.sweeps import passive_items_of

    found = sorted(subjects.items_of(user_id), key=lambda i: i.key)
    # wallet (RET-4): the ledger entries live in their balance's partition, not the user's
    found += ledger_entries([i for i in found if i.entity == "WalletBalance"])
    # Records the retention sweep moved to passive storage (RET-8) are still the user's.
    found += sorted(passive_items_of(f"USER#{user_id}", manifest), key=lambda i: i.key)
    for item in found:
        entity = item.entity
        if entity not in manifest.entities or entity in ("ExportJob",):
            continue
        attributes = {}
        for name, value in sorted(item.values.items()):
            if _exportable(entity, name, manifest):
                attributes[name] = json_value(value)
                classified = manifest.attribute(entity, name)
                if classified is not None:
                    categories.setdefault(classified.category, set()).add(f"{entity}.{name}")
        records.setdefault(entity, []).append(attributes)
    return {
        "schema": SCHEMA_URL,
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "user_id": user_id,
        "categories": {name: sorted(fields) for name, fields in sorted(categories.items())},
        "records": records,
    }


def ledger_entries(balances: list[StoredItem]) -> list[StoredItem]:
    """The entries of the user's own wallets and cards (one Query per balance)."""
    from chalicelib.store import items
    from chalicelib.store import wallet as wallet_store
    from chalicelib.store.table import TableItem

    entries: list[StoredItem] = []
    for balance in balances:
        partition = wallet_store.balance_pk(str(balance.values["balance_id"]))
        condition = (TableItem.pk == partition) & TableItem.sk.startswith(wallet_store.ENTRY_PREFIX)
        entries += items.query(condition)
    return entries


def object_key(user_id: str, export_id: str) -> str:
    return f"exports/{user_id}/{export_id}.json"
