"""Audit records: PK ``AUDIT#<tenant>``, SK ``<iso instant>#<record id>`` (time-ordered per tenant)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute, UnicodeAttribute

from chalicelib.store.table import TableItem


class AuditRecord(TableItem, discriminator="AuditRecord"):
    tenant = UnicodeAttribute()
    record_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target_entity = UnicodeAttribute()
    target_id = UnicodeAttribute()
    at = UnicodeAttribute()
    summary = MapAttribute[str, str](default=dict)

    @classmethod
    def new(
        cls,
        *,
        tenant: str,
        record_id: str,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        at: datetime,
        summary: dict[str, str],
    ) -> AuditRecord:
        instant = at.astimezone(UTC).isoformat(timespec="microseconds")
        return cls(
            pk=f"AUDIT#{tenant}",
            sk=f"{instant}#{record_id}",
            tenant=tenant,
            record_id=record_id,
            actor=actor,
            action=action,
            target_entity=entity,
            target_id=entity_id,
            at=instant,
            summary=summary,
        )


def put_record(entry: AuditRecord) -> None:
    """Append-only: the write fails rather than overwrite an existing record."""
    entry.save(condition=AuditRecord.pk.does_not_exist())


def list_records(tenant: str, limit: int = 100) -> list[AuditRecord]:
    return list(AuditRecord.query(f"AUDIT#{tenant}", limit=limit))
