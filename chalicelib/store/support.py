"""Support correspondence (RET-6): tickets, their messages, attachments and call recordings.

| item | PK | SK | GSI1 (requester's list) | GSI2 (operator queue) |
|---|---|---|---|---|
| ticket | ``SUPPORT#<id>`` | ``TICKET`` | ``USER#<u>`` / ``SUPPORT#<at>#<id>`` | ``SUPPORTQ#<status>``/``<at>#<id>`` |
| message | ``SUPPORT#<id>`` | ``MSG#<at>#<message id>`` | | |
| attachment | ``SUPPORT#<id>`` | ``ATT#<attachment id>`` | | |
| call recording | ``SUPPORT#<id>`` | ``RECORDING#<recording id>`` | | |

A ticket and all it holds share one partition: one Query reads the conversation. Messages
do not name the requester (``author_role`` "requester"; operators by id), so cutting the
ticket's link to the account (``opened_by`` and its GSI1 entry, on erasure) pseudonymises
the whole correspondence. Every change to a ticket is conditional on the ``version`` read.
Attachments' and recordings' files live in S3 (store/objects.py): documents
``support/<ticket>/<attachment>``, recordings ``recordings/<ticket>/<recording>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.support import TicketCategory, TicketStatus
from chalicelib.store import db, retention
from chalicelib.store.codec import InstantAttribute, encode
from chalicelib.store.table import TableItem

TICKET_SK = "TICKET"
QUEUE_PREFIX = "SUPPORTQ#"
TICKET_ROLE = "ticket"
DOCUMENTS_BUCKET = "documents"
RECORDINGS_BUCKET = "recordings"


class SupportTicket(TableItem, discriminator="SupportTicket"):
    ticket_id = UnicodeAttribute()
    opened_by = UnicodeAttribute(null=True)  # removed on erasure: the link to the account
    opened_as = UnicodeAttribute()  # "customer" or "staff"
    business_id = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)
    subject = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    opened_at = InstantAttribute()
    updated_at = InstantAttribute()
    first_response_due = InstantAttribute()
    first_response_at = InstantAttribute(null=True)
    closed_at = InstantAttribute(null=True)
    message_count = NumberAttribute(default=0)
    attachment_count = NumberAttribute(default=0)
    version = NumberAttribute(default=1)


class SupportMessage(TableItem, discriminator="SupportMessage"):
    ticket_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    author_role = UnicodeAttribute()  # "requester" or "operator"
    author_id = UnicodeAttribute(null=True)  # operators only: the requester is the ticket's
    body = UnicodeAttribute()
    created_at = InstantAttribute()


class SupportAttachment(TableItem, discriminator="SupportAttachment"):
    ticket_id = UnicodeAttribute()
    attachment_id = UnicodeAttribute()
    object_key = UnicodeAttribute()
    file_name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    declared_bytes = NumberAttribute()
    size_bytes = NumberAttribute(null=True)  # what HeadObject found, once registered
    state = UnicodeAttribute()  # "pending" (form issued) or "ready" (object checked)
    uploaded_as = UnicodeAttribute()  # "requester" or "operator"
    created_at = InstantAttribute()


class CallRecording(TableItem, discriminator="CallRecording"):
    ticket_id = UnicodeAttribute()
    recording_id = UnicodeAttribute()
    object_key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    uploaded_by = UnicodeAttribute()  # the operator
    created_at = InstantAttribute()


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    opened_by: str | None
    opened_as: str
    business_id: str | None
    booking_id: str | None
    subject: str
    category: TicketCategory
    status: TicketStatus
    assignee_id: str | None
    opened_at: datetime
    updated_at: datetime
    first_response_due: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    message_count: int
    attachment_count: int
    version: int


@dataclass(frozen=True)
class Message:
    message_id: str
    author_role: str
    author_id: str | None
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    object_key: str
    file_name: str
    content_type: str
    declared_bytes: int
    size_bytes: int | None
    state: str
    uploaded_as: str
    created_at: datetime


@dataclass(frozen=True)
class Recording:
    recording_id: str
    object_key: str
    content_type: str
    size_bytes: int
    uploaded_by: str
    created_at: datetime


@dataclass(frozen=True)
class Conversation:
    ticket: Ticket
    messages: list[Message]
    attachments: list[Attachment]
    recordings: list[Recording]


def ticket_pk(ticket_id: str) -> str:
    return f"SUPPORT#{ticket_id}"


def _ticket(item: SupportTicket) -> Ticket:
    return Ticket(
        ticket_id=item.ticket_id,
        opened_by=item.opened_by,
        opened_as=item.opened_as,
        business_id=item.business_id,
        booking_id=item.booking_id,
        subject=item.subject,
        category=TicketCategory(item.category),
        status=TicketStatus(item.status),
        assignee_id=item.assignee_id,
        opened_at=item.opened_at,
        updated_at=item.updated_at,
        first_response_due=item.first_response_due,
        first_response_at=item.first_response_at,
        closed_at=item.closed_at,
        message_count=int(item.message_count or 0),
        attachment_count=int(item.attachment_count or 0),
        version=int(item.version or 1),
    )


def _message(item: SupportMessage) -> Message:
    return Message(item.message_id, item.author_role, item.author_id, item.body, item.created_at)


def _attachment(item: SupportAttachment) -> Attachment:
    return Attachment(
        attachment_id=item.attachment_id,
        object_key=item.object_key,
        file_name=item.file_name,
        content_type=item.content_type,
        declared_bytes=int(item.declared_bytes),
        size_bytes=None if item.size_bytes is None else int(item.size_bytes),
        state=item.state,
        uploaded_as=item.uploaded_as,
        created_at=item.created_at,
    )


def _recording(item: CallRecording) -> Recording:
    return Recording(
        item.recording_id, item.object_key, item.content_type, int(item.size_bytes), item.uploaded_by, item.created_at
    )


def _queue_key(status: TicketStatus) -> str:
    return f"{QUEUE_PREFIX}{status.value}"


def _message_item(ticket_id: str, message_id: str, role: str, author_id: str | None, body: str, at: datetime) -> Any:
    return SupportMessage(
        pk=ticket_pk(ticket_id),
        sk=f"MSG#{encode(at)}#{message_id}",
        ticket_id=ticket_id,
        message_id=message_id,
        author_role=role,
        author_id=author_id,
        body=body,
        created_at=at,
    )


# --- writes (each into the caller's transaction) ------------------------------------------------


def add_ticket(tx: db.Transaction, ticket: Ticket, first_message_id: str, first_message: str) -> None:
    """The ticket (only if new) and its first message (role ``ticket`` and ``message``)."""
    item = SupportTicket(
        pk=ticket_pk(ticket.ticket_id),
        sk=TICKET_SK,
        gsi1pk=f"USER#{ticket.opened_by}",
        gsi1sk=f"SUPPORT#{encode(ticket.opened_at)}#{ticket.ticket_id}",
        gsi2pk=_queue_key(ticket.status),
        gsi2sk=f"{encode(ticket.opened_at)}#{ticket.ticket_id}",
        ticket_id=ticket.ticket_id,
        opened_by=ticket.opened_by,
        opened_as=ticket.opened_as,
        business_id=ticket.business_id,
        booking_id=ticket.booking_id,
        subject=ticket.subject,
        category=ticket.category.value,
        status=ticket.status.value,
        opened_at=ticket.opened_at,
        updated_at=ticket.opened_at,
        first_response_due=ticket.first_response_due,
        message_count=1,
        attachment_count=0,
        version=1,
    )
    tx.put(item, role=TICKET_ROLE, condition=SupportTicket.pk.does_not_exist())
    message = _message_item(ticket.ticket_id, first_message_id, "requester", None, first_message, ticket.opened_at)
    tx.put(message, role="message", condition=SupportMessage.pk.does_not_exist())


def _ticket_ref(ticket_id: str) -> SupportTicket:
    return SupportTicket(pk=ticket_pk(ticket_id), sk=TICKET_SK)


def change_ticket(
    tx: db.Transaction,
    ticket: Ticket,
    now: datetime,
    *,
    status: TicketStatus | None = None,
    assignee_id: str | None = None,
    first_response_at: datetime | None = None,
    add_messages: int = 0,
    add_attachments: int = 0,
    max_messages: int | None = None,
    max_attachments: int | None = None,
    keep_until: datetime | None = None,
) -> None:
    """Update the ticket (role ``ticket``) on condition its version is still the one read
    (and, with a limit, that the count stays under it). ``keep_until``: the retention deadline
    set when it closes (the sweep deletes it then; TTL backs it up)."""
    actions: list[Any] = [SupportTicket.version.add(1), SupportTicket.updated_at.set(now)]
    if status is not None:
        actions += [SupportTicket.status.set(status.value), SupportTicket.gsi2pk.set(_queue_key(status))]
        if status is TicketStatus.CLOSED:
            actions.append(SupportTicket.closed_at.set(now))
    if assignee_id is not None:
        actions.append(SupportTicket.assignee_id.set(assignee_id))
    if first_response_at is not None:
        actions.append(SupportTicket.first_response_at.set(first_response_at))
    if add_messages:
        actions.append(SupportTicket.message_count.add(add_messages))
    if add_attachments:
        actions.append(SupportTicket.attachment_count.add(add_attachments))
    if keep_until is not None:
        exp_pk, exp_sk = retention.expiry_keys(ticket_pk(ticket.ticket_id), TICKET_SK, keep_until)
        actions += [
            SupportTicket.exp_pk.set(exp_pk),
            SupportTicket.exp_sk.set(exp_sk),
            SupportTicket.ttl.set(keep_until + retention.TTL_BACKSTOP),
        ]
    condition = SupportTicket.version == ticket.version
    if max_messages is not None:
        condition &= SupportTicket.message_count < max_messages
    if max_attachments is not None:
        condition &= SupportTicket.attachment_count < max_attachments
    tx.update(_ticket_ref(ticket.ticket_id), actions, role=TICKET_ROLE, condition=condition)


def add_message(
    tx: db.Transaction, ticket_id: str, message_id: str, role: str, author_id: str | None, body: str, at: datetime
) -> None:
    tx.put(_message_item(ticket_id, message_id, role, author_id, body, at), role="message")


def add_attachment(
    tx: db.Transaction,
    ticket_id: str,
    attachment_id: str,
    *,
    file_name: str,
    content_type: str,
    declared_bytes: int,
    uploaded_as: str,
    at: datetime,
) -> str:
    """A pending attachment (role ``attachment``); returns its object key in "documents"."""
    object_key = f"support/{ticket_id}/{attachment_id}"
    item = SupportAttachment(
        pk=ticket_pk(ticket_id),
        sk=f"ATT#{attachment_id}",
        ticket_id=ticket_id,
        attachment_id=attachment_id,
        object_key=object_key,
        file_name=file_name,
        content_type=content_type,
        declared_bytes=declared_bytes,
        state="pending",
        uploaded_as=uploaded_as,
        created_at=at,
    )
    tx.put(item, role="attachment", condition=SupportAttachment.pk.does_not_exist())
    return object_key


def mark_attachment_ready(ticket_id: str, attachment_id: str, size_bytes: int) -> bool:
    """One UpdateItem, only while it is pending; False when it is not (already ready, or gone)."""
    item = SupportAttachment(pk=ticket_pk(ticket_id), sk=f"ATT#{attachment_id}")
    try:
        db.update(
            item,
            [SupportAttachment.state.set("ready"), SupportAttachment.size_bytes.set(size_bytes)],
            condition=SupportAttachment.state == "pending",
        )
    except db.ConditionFailed:
        return False
    return True


def delete_attachment(ticket_id: str, attachment_id: str) -> None:
    """One DeleteItem (a refused upload leaves no record)."""
    db.delete(SupportAttachment(pk=ticket_pk(ticket_id), sk=f"ATT#{attachment_id}"))


def add_recording(
    ticket_id: str,
    recording_id: str,
    *,
    content_type: str,
    size_bytes: int,
    uploaded_by: str,
    at: datetime,
    keep_until: datetime,
) -> Recording:
    """One PutItem, with its retention deadline (the sweep deletes item and object then)."""
    item = CallRecording(
        pk=ticket_pk(ticket_id),
        sk=f"RECORDING#{recording_id}",
        ticket_id=ticket_id,
        recording_id=recording_id,
        object_key=recording_object_key(ticket_id, recording_id),
        content_type=content_type,
        size_bytes=size_bytes,
        uploaded_by=uploaded_by,
        created_at=at,
    )
    retention.set_expiry(item, keep_until)
    db.put(item, condition=CallRecording.pk.does_not_exist())
    return _recording(item)


def recording_object_key(ticket_id: str, recording_id: str) -> str:
    return f"recordings/{ticket_id}/{recording_id}"


def stamp_correspondence(ticket_id: str, keep_until: datetime) -> int:
    """Give every message and attachment of the ticket its deadline (one Query, then one
    UpdateItem each; an earlier deadline already there is kept). Returns how many."""
    stamped = 0
    for item in db.query(TableItem, ticket_pk(ticket_id), consistent=True):
        if isinstance(item, SupportMessage | SupportAttachment):
            stamped += int(retention.stamp_expiry(item.pk, item.sk, keep_until))
    return stamped


def contents(ticket_id: str) -> list[Any]:
    """Every item of the ticket's partition but the ticket, as generic StoredItems (the
    privacy engine's view: export). One Query."""
    from chalicelib.store import items

    return [held for held in items.query(TableItem.pk == ticket_pk(ticket_id)) if held.sk != TICKET_SK]


# --- reads --------------------------------------------------------------------------------------


def get_ticket(ticket_id: str) -> Ticket | None:
    """One GetItem (consistent: callers act on its version)."""
    item = db.get(SupportTicket, ticket_pk(ticket_id), TICKET_SK)
    return _ticket(item) if item is not None else None


def conversation(ticket_id: str, now: datetime) -> Conversation | None:
    """The ticket and everything it holds, in time order: one Query of its partition. Items
    past their retention deadline are treated as gone (the sweep may not have run yet)."""
    ticket: Ticket | None = None
    messages: list[Message] = []
    attachments: list[Attachment] = []
    recordings: list[Recording] = []
    for item in db.query(TableItem, ticket_pk(ticket_id), consistent=True):
        if retention.is_expired(item, now):
            continue
        if isinstance(item, SupportTicket):
            ticket = _ticket(item)
        elif isinstance(item, SupportMessage):
            messages.append(_message(item))
        elif isinstance(item, SupportAttachment):
            attachments.append(_attachment(item))
        elif isinstance(item, CallRecording):
            recordings.append(_recording(item))
    if ticket is None:
        return None
    messages.sort(key=lambda m: (m.created_at, m.message_id))
    return Conversation(ticket, messages, attachments, recordings)


def get_attachment(ticket_id: str, attachment_id: str) -> Attachment | None:
    item = db.get(SupportAttachment, ticket_pk(ticket_id), f"ATT#{attachment_id}")
    return _attachment(item) if item is not None else None


def _tickets(key_condition: Any, index: str, limit: int, after: dict[str, Any] | None, ascending: bool) -> Any:
    raw, last = db.query_raw(key_condition, index=index, limit=limit, start_key=after, ascending=ascending)
    return [_ticket(SupportTicket.from_raw_data(each)) for each in raw], last


def tickets_of(user_id: str, limit: int, after: dict[str, Any] | None) -> tuple[list[Ticket], dict[str, Any] | None]:
    """The requester's tickets, newest first: one GSI1 Query."""
    condition = (TableItem.gsi1pk == f"USER#{user_id}") & TableItem.gsi1sk.startswith("SUPPORT#")
    found, last = _tickets(condition, "GSI1", limit, after, ascending=False)
    return found, last


def queue(status: TicketStatus, limit: int, after: dict[str, Any] | None) -> tuple[list[Ticket], dict[str, Any] | None]:
    """Tickets in one status, oldest first: one GSI2 Query."""
    found, last = _tickets(TableItem.gsi2pk == _queue_key(status), "GSI2", limit, after, ascending=True)
    return found, last
