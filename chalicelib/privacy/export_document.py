"""The export document (RIGHT-1, RIGHT-2): every category of a user's data as JSON.

Shared by the inline answer (chalicelib/privacy/exports.py) and the jobs worker that
builds big exports into S3 (chalicelib/privacy/jobs.py), so neither imports the other.

The document holds every item keyed by the user (the same locations erasure uses), each
attribute the manifest classifies, minus technical keys and secrets (hashes). It is
built only for the caller: nothing keyed by anyone else is read. Published schema:
docs/export-schema.json.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.privacy import subjects
from chalicelib.privacy.manifest import Manifest, load
from chalicelib.store.items import StoredItem, json_value

SCHEMA_VERSION = 1
SCHEMA_URL = "/docs/export-schema.json"
EXPORTS_BUCKET = "exports"  # logical name (chalicelib.resources.BUCKETS)
# A document's link in the export lives 15 minutes from the export's build, not the export
# file's 7 days: a week-long bearer link to a passport scan in a file that may be forwarded is
# too much, and a presigned URL cannot outlive the signing role's session anyway. So each such
# record says when its link expires and where a fresh one comes from (the owner's GET).
DOCUMENT_LINK_SECONDS = 15 * 60
FRESH_LINKS = {"TravelDocumentRecord": "GET /v1/travel-requests/{request_id}/documents/{document_id}"}


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
    # A ticket's messages, attachments and recordings are keyed by the ticket, not the user.
    found += [
        held for item in found if item.entity == subjects.TICKET_ENTITY for held in subjects.ticket_contents(item)
    ]
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
        if entity in subjects.ATTACHED_OBJECTS:  # a travel document: its file as a short-lived link
            attributes["download_url"] = subjects.attached_object_link(item, DOCUMENT_LINK_SECONDS)
            expires = now + timedelta(seconds=DOCUMENT_LINK_SECONDS)
            attributes["download_url_expires_at"] = expires.astimezone(UTC).isoformat(timespec="seconds")
            if entity in FRESH_LINKS:
                fresh = FRESH_LINKS[entity].format(**{k: item.text(k) for k in ("request_id", "document_id")})
                attributes["fresh_download_url_from"] = fresh
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
