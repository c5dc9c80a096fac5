"""Support correspondence (RET-6): tickets between a requester (a customer or business staff)
and operator staff, their messages, attachments and call recordings.

Parties: the requester (who opened it) and operators. Anyone else is told the ticket does not
exist. Every status change and assignment commits with its audit record; every operator read
of a ticket writes one (SEC-6). When a ticket closes, its correspondence (the ticket, messages,
attachments' records and files) gets its deadline: the manifest's ``correspondence`` window
(5 years) from the close; the retention sweep removes it then. Call recordings carry their own,
shorter window (``call_recordings``, 3 months) from their upload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.domain import support as rules
from chalicelib.domain.identity import Principal
from chalicelib.domain.support import TicketCategory, TicketStatus
from chalicelib.settings import get_settings
from chalicelib.store import db, objects
from chalicelib.store import support as store

REQUESTER = "requester"
OPERATOR = "operator"
AUDIT_TENANT = "platform"  # tickets are between the platform and a person, not one business's


@dataclass(frozen=True)
class UploadForm:
    attachment_id: str
    url: str
    fields: dict[str, str]
    expires_in_seconds: int


@dataclass(frozen=True)
class Download:
    url: str
    expires_in_seconds: int


def _keep_window() -> Any:
    from chalicelib.retention_rules import window

    return window("correspondence")


def _is_party(principal: Principal, ticket: store.Ticket) -> bool:
    return principal.is_operator or (ticket.opened_by is not None and ticket.opened_by == principal.user_id)


def _ticket_for(principal: Principal, ticket_id: str) -> store.Ticket:
    """One GetItem: the ticket, if the caller is one of its parties (else it is not there)."""
    ticket = store.get_ticket(ticket_id)
    if ticket is None or not _is_party(principal, ticket):
        raise errors.NotFound("No such ticket")
    return ticket


def _audit(
    tx: db.Transaction, principal: Principal, ticket: store.Ticket, action: str, now: datetime, **summary: str
) -> None:
    from chalicelib.privacy import audit

    audit.record(
        tx,
        tenant=AUDIT_TENANT,
        actor=principal.user_id,
        action=action,
        entity="support_ticket",
        entity_id=ticket.ticket_id,
        at=now,
        summary={"status": ticket.status.value, **summary},
    )


def _commit(tx: db.Transaction) -> None:
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if store.TICKET_ROLE in cancelled.failed:
            raise errors.Conflict("The ticket changed meanwhile; read it again") from None
        raise errors.Conflict("The ticket changed meanwhile; try again") from None


def _booking_reference(principal: Principal, booking_id: str) -> tuple[str, bool]:
    """The referenced booking must be the caller's own or their business's: (its business id,
    whether the caller is that business's staff). Calls: GetItem booking [+ GetItem membership]."""
    from chalicelib.store import bookings, memberships

    booking = bookings.get_booking(booking_id)
    if booking is not None and booking.customer_user_id == principal.user_id:
        return booking.business_id, False
    if booking is not None and memberships.get_role(booking.business_id, principal.user_id) is not None:
        return booking.business_id, True
    raise errors.InvalidInput([errors.FieldError("booking_id", "not one of your bookings or your business's")])


def open_ticket(
    principal: Principal,
    *,
    subject: str,
    category: TicketCategory,
    message: str,
    booking_id: str | None,
    now: datetime,
) -> store.Conversation:
    """Calls: [GetItem booking (+ GetItem membership when it is not the caller's own), with a
    booking reference] + TransactWriteItems (ticket, first message, audit record)."""
    business_id, as_staff = _booking_reference(principal, booking_id) if booking_id else (None, False)
    opened_as = "staff" if as_staff else "customer"
    ticket = store.Ticket(
        ticket_id=uuid.uuid4().hex,
        opened_by=principal.user_id,
        opened_as=opened_as,
        business_id=business_id,
        booking_id=booking_id,
        subject=subject,
        category=category,
        status=TicketStatus.OPEN,
        assignee_id=None,
        opened_at=now,
        updated_at=now,
        first_response_due=rules.first_response_due(now, get_settings().support_first_response_hours),
        first_response_at=None,
        closed_at=None,
        message_count=1,
        attachment_count=0,
        version=1,
    )
    tx = db.Transaction()
    message_id = uuid.uuid4().hex
    store.add_ticket(tx, ticket, message_id, message)
    _audit(tx, principal, ticket, "support.ticket_opened", now, category=category.value)
    _commit(tx)
    first = store.Message(message_id, REQUESTER, None, message, now)
    return store.Conversation(ticket, [first], [], [])


def list_mine(principal: Principal, limit: int, after: dict[str, Any] | None) -> tuple[list[store.Ticket], Any]:
    """Calls: one GSI1 Query."""
    return store.tickets_of(principal.user_id, limit, after)


def get_ticket(principal: Principal, ticket_id: str, now: datetime) -> store.Conversation:
    """Calls: one Query (the ticket's partition) [+ PutItem audit record, for an operator]."""
    found = store.conversation(ticket_id, now)
    if found is None or not _is_party(principal, found.ticket):
        raise errors.NotFound("No such ticket")
    if principal.is_operator and found.ticket.opened_by != principal.user_id:
        from chalicelib.privacy import audit

        audit.record_read(
            tenant=AUDIT_TENANT,
            actor=principal.user_id,
            entity="support_ticket",
            entity_id=ticket_id,
            at=now,
            subject=found.ticket.opened_by,
            action="support.ticket_read",
        )
    if not principal.is_operator:  # call recordings are operator tooling
        found = store.Conversation(found.ticket, found.messages, found.attachments, [])
    return found


SUPPORT_REPLIED = "support.replied"  # domain event: an operator answered (services/subscribers.py)


def post_message(principal: Principal, ticket_id: str, body: str, now: datetime) -> store.Message:
    """The requester's message reopens a ticket waiting on them; an operator's first one is
    the first response, and every operator message tells the requester (a domain event in the
    same transaction; the notification carries no text of the thread, SHARE-2). Calls: GetItem
    ticket + TransactWriteItems (message, ticket [+ audit when the status moves] [+ event])."""
    ticket = _ticket_for(principal, ticket_id)
    if ticket.status is TicketStatus.CLOSED:
        raise rules.TicketClosed("This ticket is closed; open a new one")
    as_requester = ticket.opened_by == principal.user_id
    role = REQUESTER if as_requester else OPERATOR
    status = rules.after_requester_message(ticket.status) if as_requester else ticket.status
    first_response = now if role == OPERATOR and ticket.first_response_at is None else None
    tx = db.Transaction()
    message_id = uuid.uuid4().hex
    store.add_message(tx, ticket_id, message_id, role, None if as_requester else principal.user_id, body, now)
    store.change_ticket(
        tx,
        ticket,
        now,
        status=status if status is not ticket.status else None,
        first_response_at=first_response,
        add_messages=1,
        max_messages=rules.MAX_MESSAGES,
    )
    if status is not ticket.status:
        _audit(tx, principal, ticket, "support.ticket_status", now, to=status.value)
    if role == OPERATOR and ticket.opened_by:  # the requester hears of the answer (not its text)
        from chalicelib.services import events

        reply = {"user_id": ticket.opened_by, "ticket_id": ticket_id}
        events.record(tx, events.DomainEvent(SUPPORT_REPLIED, f"{ticket_id}:reply:{message_id}", reply), now)
    try:
        tx.commit()
    except db.TransactionCancelled as cancelled:
        if store.TICKET_ROLE in cancelled.failed and ticket.message_count >= rules.MAX_MESSAGES:
            raise rules.TicketFull(f"A ticket holds at most {rules.MAX_MESSAGES} messages; open a new one") from None
        raise errors.Conflict("The ticket changed meanwhile; try again") from None
    return store.Message(message_id, role, None if as_requester else principal.user_id, body, now)


def operator_queue(
    principal: Principal, status: TicketStatus, limit: int, after: dict[str, Any] | None
) -> tuple[list[store.Ticket], Any]:
    """Operators: tickets in one status, oldest first. Calls: one GSI2 Query."""
    from chalicelib.services import authz

    authz.require_operator(principal)
    return store.queue(status, limit, after)


def assign(principal: Principal, ticket_id: str, assignee_id: str | None, now: datetime) -> store.Ticket:
    """Operators: assign to an operator (oneself when no one is named). Calls: GetItem ticket
    [+ GetItem assignee's profile] + TransactWriteItems (ticket, audit record) + GetItem ticket."""
    from chalicelib.services import authz
    from chalicelib.store import users

    authz.require_operator(principal)
    target = assignee_id or principal.user_id
    if target != principal.user_id:
        user = users.get_user(target)
        if user is None or not user.is_operator:
            raise errors.InvalidInput([errors.FieldError("assignee_id", "not an operator")])
    ticket = _ticket_for(principal, ticket_id)
    if ticket.status is TicketStatus.CLOSED:
        raise rules.TicketClosed("This ticket is closed")
    tx = db.Transaction()
    store.change_ticket(tx, ticket, now, assignee_id=target)
    _audit(tx, principal, ticket, "support.ticket_assigned", now, assignee=target)
    _commit(tx)
    return _reread(ticket_id)


def change_status(principal: Principal, ticket_id: str, target: TicketStatus, now: datetime) -> store.Ticket:
    """Operators: move the ticket along the state machine (domain/support.py). Closing gives
    the correspondence its deadline, ``correspondence`` (5 years) from now: messages and
    attachments first (idempotent: an earlier deadline is kept), then the ticket with the
    status in one transaction with its audit record. Calls: GetItem ticket + [on close: Query
    the ticket's partition + UpdateItem per message/attachment] + TransactWriteItems (ticket,
    audit record) + GetItem ticket."""
    from chalicelib.services import authz

    authz.require_operator(principal)
    ticket = _ticket_for(principal, ticket_id)
    rules.transition(ticket.status, target)
    keep_until = None
    if target is TicketStatus.CLOSED:
        keep_until = now + _keep_window()
        store.stamp_correspondence(ticket_id, keep_until)
    tx = db.Transaction()
    store.change_ticket(tx, ticket, now, status=target, keep_until=keep_until)
    _audit(tx, principal, ticket, "support.ticket_status", now, to=target.value)
    _commit(tx)
    return _reread(ticket_id)


def _reread(ticket_id: str) -> store.Ticket:
    ticket = store.get_ticket(ticket_id)
    if ticket is None:
        raise errors.NotFound("No such ticket")
    return ticket


# --- attachments ---------------------------------------------------------------------------------


def attachment_form(
    principal: Principal, ticket_id: str, *, file_name: str, content_type: str, size_bytes: int, now: datetime
) -> UploadForm:
    """A presigned POST for one file (type and size bounded by the signed policy, SSE-KMS) and
    its pending record. Calls: GetItem ticket + TransactWriteItems (attachment, ticket count
    under its limit); the form is signed locally (no call)."""
    settings = get_settings()
    if content_type not in rules.ATTACHMENT_TYPES:
        raise errors.InvalidInput([errors.FieldError("content_type", "not an accepted file type")])
    if not 1 <= size_bytes <= settings.support_attachment_max_bytes:
        raise errors.InvalidInput(
            [errors.FieldError("size_bytes", f"between 1 and {settings.support_attachment_max_bytes} bytes")]
        )
    ticket = _ticket_for(principal, ticket_id)
    if ticket.status is TicketStatus.CLOSED:
        raise rules.TicketClosed("This ticket is closed")
    attachment_id = uuid.uuid4().hex
    tx = db.Transaction()
    key = store.add_attachment(
        tx,
        ticket_id,
        attachment_id,
        file_name=file_name,
        content_type=content_type,
        declared_bytes=size_bytes,
        uploaded_as=REQUESTER if ticket.opened_by == principal.user_id else OPERATOR,
        at=now,
    )
    store.change_ticket(tx, ticket, now, add_attachments=1, max_attachments=rules.MAX_ATTACHMENTS)
    try:
        tx.commit()
    except db.TransactionCancelled:
        if ticket.attachment_count >= rules.MAX_ATTACHMENTS:
            raise rules.TicketFull(f"A ticket holds at most {rules.MAX_ATTACHMENTS} attachments") from None
        raise errors.Conflict("The ticket changed meanwhile; try again") from None
    lifetime = settings.support_upload_form_seconds
    form = objects.upload_form(
        store.DOCUMENTS_BUCKET, key, content_type=content_type, max_bytes=size_bytes, lifetime_seconds=lifetime
    )
    return UploadForm(attachment_id, form["url"], form["fields"], lifetime)


def complete_attachment(principal: Principal, ticket_id: str, attachment_id: str) -> store.Attachment:
    """Register an uploaded file after HeadObject shows it matches what the form allowed; a
    mismatch (or nothing uploaded) is refused, and a wrong object deleted with its record.
    Calls: GetItem ticket + GetItem attachment + HeadObject + (UpdateItem | DeleteObject +
    DeleteItem)."""
    _ticket_for(principal, ticket_id)
    attachment = store.get_attachment(ticket_id, attachment_id)
    if attachment is None:
        raise errors.NotFound("No such attachment")
    if attachment.state == "ready":
        return attachment
    info = objects.object_info(store.DOCUMENTS_BUCKET, attachment.object_key)
    if info is None:
        raise errors.Conflict("Nothing has been uploaded for this attachment yet")
    if info.content_type != attachment.content_type or not 1 <= info.size <= attachment.declared_bytes:
        objects.delete(store.DOCUMENTS_BUCKET, attachment.object_key)
        store.delete_attachment(ticket_id, attachment_id)
        raise errors.InvalidInput(
            [errors.FieldError("attachment_id", "the uploaded file does not match its declared type or size")]
        )
    store.mark_attachment_ready(ticket_id, attachment_id, info.size)
    found = store.get_attachment(ticket_id, attachment_id)
    if found is None:
        raise errors.NotFound("No such attachment")
    return found


def attachment_download(principal: Principal, ticket_id: str, attachment_id: str) -> Download:
    """A short-lived presigned GET, for the ticket's parties only. Calls: GetItem ticket +
    GetItem attachment (signing is local)."""
    _ticket_for(principal, ticket_id)
    attachment = store.get_attachment(ticket_id, attachment_id)
    if attachment is None or attachment.state != "ready":
        raise errors.NotFound("No such attachment")
    lifetime = get_settings().support_download_seconds
    return Download(objects.download_link(store.DOCUMENTS_BUCKET, attachment.object_key, lifetime), lifetime)


# --- call recordings (operator tooling: chalicelib/cli/support_recordings.py) -------------------


def add_recording(operator_id: str, ticket_id: str, data: bytes, content_type: str, now: datetime) -> store.Recording:
    """Upload a call recording linked to a ticket: PutObject (SSE-KMS) to "recordings", then
    its record with the ``call_recordings`` deadline (3 months), and an audit record. The S3
    lifecycle rule expires the object on the same window; the sweep deletes record and object.
    Calls: GetItem ticket + PutObject + PutItem + PutItem (audit)."""
    from chalicelib.privacy import audit
    from chalicelib.retention_rules import window

    if content_type not in rules.RECORDING_TYPES:
        raise errors.InvalidInput([errors.FieldError("content_type", "not an accepted audio type")])
    if not data:
        raise errors.InvalidInput([errors.FieldError("file", "empty")])
    if store.get_ticket(ticket_id) is None:
        raise errors.NotFound("No such ticket")
    recording_id = uuid.uuid4().hex
    objects.put_bytes(
        store.RECORDINGS_BUCKET, store.recording_object_key(ticket_id, recording_id), data, content_type=content_type
    )
    recording = store.add_recording(
        ticket_id,
        recording_id,
        content_type=content_type,
        size_bytes=len(data),
        uploaded_by=operator_id,
        at=now,
        keep_until=now + window("call_recordings"),
    )
    audit.record_alone(
        tenant=AUDIT_TENANT,
        actor=operator_id,
        action="support.recording_added",
        entity="support_ticket",
        entity_id=ticket_id,
        at=now,
        summary={"recording": recording_id},
    )
    return recording
