"""Bookings made by staff (issue #18, item 1): walk-ins, phone calls and personal blocks.

The same lock mechanism as a customer's booking (store/bookings.py: specialist-day locks,
version-conditioned claims, one TransactWriteItems with the booking, the event and the audit
record). A staff booking may skip the venue's minimum notice, never the overlap check; a
block occupies any interval of at most a day (no service, no working hours, no slot grid).

Who: owners and managers for any specialist of the venue (or "any"); a specialist only for
the specialist profile linked to their own account.

The customer is the business's own record (store/business_customers.py): a new one (name,
optional phone) or one the business entered before (``customer_id``). When its phone is the
exact phone of an account (the keyed-hash lookup item, security/lookup.py), the booking is
also linked to that account: the customer sees it, gets its notifications and may cancel it.
The business's answer is the same either way (its own record as the card, no account id),
so it learns nothing about the number beyond what the linked customer later does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from chalicelib import errors
from chalicelib.domain import availability
from chalicelib.domain.bookings import (
    BLOCK_MAX,
    NOTES_MAX_CHARS,
    Booking,
    BookingKind,
    BookingStatus,
    SlotBusy,
    SlotTaken,
    first_overlap,
    lock_days,
)
from chalicelib.domain.catalog import Specialist, Venue
from chalicelib.domain.identity import Principal, Role
from chalicelib.services import bookings
from chalicelib.store import bookings as store
from chalicelib.store import codec, db
from chalicelib.store.business_customers import Customer

BLOCK_SERVICE_NAME = "Blocked time"


@dataclass(frozen=True)
class WalkIn:
    """A customer the business enters: a name and, optionally, an E.164 phone."""

    name: str
    phone: str | None = None


@dataclass(frozen=True)
class StaffRequest:
    kind: BookingKind
    venue_id: str
    start: datetime
    specialist_id: str | None = None  # None = any free specialist (owners and managers)
    service_id: str | None = None  # a booking's service
    end: datetime | None = None  # a block's end
    customer: WalkIn | None = None  # a new record ...
    customer_id: str | None = None  # ... or one the business entered before
    notes: str | None = None

    def fingerprint(self, business_id: str) -> dict[str, object]:
        return {
            "operation": "staff_create",
            "business_id": business_id,
            "kind": self.kind,
            "venue_id": self.venue_id,
            "start": codec.encode(self.start.astimezone(UTC)),
            "end": codec.encode(self.end.astimezone(UTC)) if self.end else None,
            "specialist_id": self.specialist_id,
            "service_id": self.service_id,
            "customer": [self.customer.name, self.customer.phone] if self.customer else None,
            "customer_id": self.customer_id,
            "notes": self.notes,
        }


def create(
    principal: Principal, business_id: str, request: StaffRequest, idempotency_key: str | None, now: datetime
) -> bookings.StaffView:
    """Calls: GetItem membership + [GetItem idempotency record, with a key] + GetItem venue +
    Query venue catalog + [GetItem customer record, for ``customer_id``] + [GetItem phone
    lookup item, when the customer has a phone] + BatchGetItem locks + TransactWriteItems
    (booking, locks, customer record put or append, [idempotency record], event, audit) +
    BatchGetItem (the card, after the commit); a lost race repeats the BatchGetItem of locks
    and the TransactWriteItems (≤ 6 attempts). A replay: GetItem membership + GetItem
    record + GetItem booking + BatchGetItem card."""
    from chalicelib.services import authz

    role = authz.require_staff(principal, business_id, bookings.STAFF_ROLES)
    _validate(request)

    def change(idempotency: store.Idempotency | None) -> Booking:
        return _create(principal, role, business_id, request, idempotency, now)

    def read(found: str) -> Booking:
        return bookings._business_booking(business_id, found, now)

    done = bookings._idempotent(principal, idempotency_key, request.fingerprint(business_id), read, change)
    return bookings._staff_view(done, now)


def _validate(request: StaffRequest) -> None:
    problems: list[errors.FieldError] = []
    if request.start.tzinfo is None:
        problems.append(errors.FieldError("start", "needs a UTC offset"))
    if request.notes is not None and len(request.notes) > NOTES_MAX_CHARS:
        problems.append(errors.FieldError("notes", f"at most {NOTES_MAX_CHARS} characters"))
    if request.kind == "block":
        if request.end is None or request.end.tzinfo is None:
            problems.append(errors.FieldError("end", "a block needs an end with a UTC offset"))
        elif request.start.tzinfo is not None and not (request.start < request.end <= request.start + BLOCK_MAX):
            problems.append(errors.FieldError("end", "after the start, at most 24 hours later"))
        if request.customer or request.customer_id or request.service_id:
            problems.append(errors.FieldError("kind", "a block has no customer and no service"))
    else:
        if request.service_id is None:
            problems.append(errors.FieldError("service_id", "required for a booking"))
        if (request.customer is None) == (request.customer_id is None):
            problems.append(errors.FieldError("customer", "give either a new customer or customer_id"))
        if request.end is not None:
            problems.append(errors.FieldError("end", "only a block has an end (a booking lasts its service)"))
    if problems:
        raise errors.InvalidInput(problems)


def _own_specialists(
    role: Role, principal: Principal, specialists: list[Specialist], requested: str | None
) -> str | None:
    """A specialist books only for themselves (the profile linked to their account)."""
    if role is not Role.SPECIALIST:
        return requested
    own = [s.specialist_id for s in specialists if s.user_id == principal.user_id]
    if requested is None and len(own) == 1:
        return own[0]
    if requested is None or requested not in own:
        raise errors.Forbidden("A specialist can book and block only their own time")
    return requested


def _create(
    principal: Principal,
    role: Role,
    business_id: str,
    request: StaffRequest,
    idempotency: store.Idempotency | None,
    now: datetime,
) -> Booking:
    from chalicelib.store import catalog

    venue = catalog.get_venue(business_id, request.venue_id)  # NotFound for another tenant's venue
    services, specialists = catalog.venue_catalog(business_id, venue.venue_id)
    specialist_id = _own_specialists(role, principal, specialists, request.specialist_id)
    start = request.start.astimezone(UTC)
    if request.kind == "block":
        if specialist_id is None:
            raise errors.InvalidInput([errors.FieldError("specialist_id", "a block is for one specialist")])
        return _block(principal, venue, specialists, specialist_id, request, start, idempotency, now)
    service = next((s for s in services if s.service_id == request.service_id), None)
    if service is None:
        raise errors.InvalidInput([errors.FieldError("service_id", "no such service at this venue")])
    candidates = bookings._candidates(service, specialists, specialist_id)
    customer_id, name, phone, is_new = _customer(business_id, request, now)
    account = _linked_account(phone)
    occupied = availability.occupied_interval(service, start)
    days = lock_days(occupied)
    staff_venue = replace(venue, min_notice_minutes=0)  # staff may skip the notice, never the overlap
    booking_id = uuid.uuid4().hex
    for attempt in range(bookings.MAX_ATTEMPTS):
        locks, _ = store.read_locks_and_discount(business_id, {s.specialist_id: days for s in candidates}, None, now)
        chosen = bookings._choose(staff_venue, service, candidates, locks, days, start, now, requested=specialist_id)
        booking = Booking(
            booking_id=booking_id,
            business_id=business_id,
            venue_id=venue.venue_id,
            specialist_id=chosen.specialist_id,
            specialist_requested=specialist_id is not None,
            service_id=service.service_id,
            customer_user_id=account or "",
            status=BookingStatus.CONFIRMED,  # the business made it: nothing to confirm
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            occupied_start=occupied[0],
            occupied_end=occupied[1],
            timezone=venue.timezone,
            created_at=now,
            updated_at=now,
            notes=request.notes or None,
            price_minor=service.price_minor,
            currency=service.currency,
            venue_name=venue.name,
            venue_address=venue.address,
            service_name=service.name,
            specialist_name=chosen.name,
            business_customer_id=customer_id,
        )
        tx = _prepared(principal, booking, venue, now)
        _customer_write(tx, business_id, customer_id, name, phone, is_new, booking_id, now)
        if _committed(booking, [locks[(chosen.specialist_id, day)] for day in days], idempotency, tx, now, attempt):
            return booking
    raise SlotBusy("Many people are booking this specialist right now; try again")


def _block(
    principal: Principal,
    venue: Venue,
    specialists: list[Specialist],
    specialist_id: str,
    request: StaffRequest,
    start: datetime,
    idempotency: store.Idempotency | None,
    now: datetime,
) -> Booking:
    specialist = next((s for s in specialists if s.specialist_id == specialist_id), None)
    if specialist is None:
        raise errors.InvalidInput([errors.FieldError("specialist_id", "no such specialist at this venue")])
    end = (request.end or start).astimezone(UTC)
    if end <= now:
        raise errors.InvalidInput([errors.FieldError("end", "a block must end in the future")])
    occupied = (start, end)
    days = lock_days(occupied)
    booking_id = uuid.uuid4().hex
    for attempt in range(bookings.MAX_ATTEMPTS):
        locks, _ = store.read_locks_and_discount(venue.business_id, {specialist_id: days}, None, now)
        if first_overlap(occupied, bookings._busy(locks, specialist_id, days)) is not None:
            raise SlotTaken("Another booking holds this time; pick another start")
        block = Booking(
            booking_id=booking_id,
            business_id=venue.business_id,
            venue_id=venue.venue_id,
            specialist_id=specialist_id,
            specialist_requested=True,
            service_id="",
            customer_user_id="",
            status=BookingStatus.CONFIRMED,
            start=start,
            end=end,
            occupied_start=start,
            occupied_end=end,
            timezone=venue.timezone,
            created_at=now,
            updated_at=now,
            notes=request.notes or None,
            currency="EUR",
            venue_name=venue.name,
            venue_address=venue.address,
            service_name=BLOCK_SERVICE_NAME,
            specialist_name=specialist.name,
            kind="block",
        )
        tx = _prepared(principal, block, venue, now)
        if _committed(block, [locks[(specialist_id, day)] for day in days], idempotency, tx, now, attempt):
            return block
    raise SlotBusy("Many people are booking this specialist right now; try again")


def _prepared(principal: Principal, booking: Booking, venue: Venue, now: datetime) -> db.Transaction:
    """The transaction with the domain event (booking.created, its kind in the payload) and the audit record."""
    tx = bookings._with_event("booking.created", booking, venue, now)
    bookings._audit(
        tx, principal, booking, "booking.staff_created" if booking.kind == "booking" else "booking.blocked", now
    )
    return tx


def _committed(
    booking: Booking,
    locks: list[store.DayLock],
    idempotency: store.Idempotency | None,
    tx: db.Transaction,
    now: datetime,
    attempt: int,
) -> bool:
    """Commit; False after a lost race (re-read and retry). Other refusals are raised."""
    try:
        store.create_booking(booking, locks, now=now, idempotency=idempotency, tx=tx)
    except store.LockConflict:
        bookings._back_off(attempt)
        return False
    except store.CustomerGone:
        raise errors.Conflict("The customer record was erased meanwhile, or lists too many bookings") from None
    return True


def _customer(business_id: str, request: StaffRequest, now: datetime) -> tuple[str, str, str | None, bool]:
    """(customer id, name, phone, is new): a new record's values, or the stored record's (one GetItem)."""
    from chalicelib.store import business_customers

    if request.customer is not None:
        return uuid.uuid4().hex, request.customer.name, request.customer.phone, True
    found = business_customers.get(business_id, request.customer_id or "", now)
    if found is None:
        raise errors.InvalidInput([errors.FieldError("customer_id", "no such customer of this business")])
    return found.customer_id, found.name, found.phone, False


def _linked_account(phone: str | None) -> str | None:
    """The account with exactly this phone, if any (one GetItem of the keyed-hash lookup item)."""
    if phone is None:
        return None
    from chalicelib.store import users

    return users.find_user_id("phone", phone)


def _customer_write(
    tx: db.Transaction,
    business_id: str,
    customer_id: str,
    name: str,
    phone: str | None,
    is_new: bool,
    booking_id: str,
    now: datetime,
) -> None:
    from chalicelib.store import business_customers

    if is_new:
        business_customers.add_new(tx, business_id, customer_id, name, phone, booking_id, now)
    else:
        business_customers.add_booking(tx, business_id, customer_id, booking_id, now)


# --- the business's customer records: export and erasure on its instruction ---------------------

ERASE_CHUNK = 99  # bookings per TransactWriteItems (limit 100)


@dataclass(frozen=True)
class CustomerExport:
    customer: Customer
    bookings: list[Booking]


def export_customer(principal: Principal, business_id: str, customer_id: str, now: datetime) -> CustomerExport:
    """Everything stored about a customer the business entered (its record and the bookings
    made for it), for the business to hand over. Owners and managers; the read is audited.
    Calls: GetItem membership + GetItem record + BatchGetItem bookings (per 100) + PutItem audit."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz
    from chalicelib.store import business_customers

    authz.require_staff(principal, business_id, authz.MANAGERS)
    record = business_customers.get(business_id, customer_id, now)
    if record is None:
        raise errors.NotFound("No such customer")
    found = store.get_bookings(record.booking_ids, now)
    audit.record_read(
        tenant=business_id,
        actor=principal.user_id,
        action="business_customer.export",
        entity="business_customer",
        entity_id=customer_id,
        at=now,
        summary={"bookings": str(len(found))},
    )
    return CustomerExport(record, [b for b in found if b.business_id == business_id])


def erase_customer(principal: Principal, business_id: str, customer_id: str, now: datetime) -> None:
    """Erase a customer the business entered: the record goes, and the notes of its bookings
    (free text the staff typed) are removed; the bookings stay, with no card (their
    ``business_customer_id`` names nothing any more). Owners and managers; audited.
    Idempotent: an erased record is a 404. Calls: GetItem membership + GetItem record +
    BatchGetItem bookings (per 100) + TransactWriteItems per 99 bookings with notes +
    TransactWriteItems (record delete + audit record)."""
    from chalicelib.privacy import audit
    from chalicelib.services import authz
    from chalicelib.store import business_customers

    authz.require_staff(principal, business_id, authz.MANAGERS)
    record = business_customers.get(business_id, customer_id, now)
    if record is None:
        raise errors.NotFound("No such customer")
    noted = [b for b in store.get_bookings(record.booking_ids, now) if b.notes and b.business_id == business_id]
    for first in range(0, len(noted), ERASE_CHUNK):
        tx = db.Transaction()
        for booking in noted[first : first + ERASE_CHUNK]:
            store.remove_notes(tx, booking.booking_id)
        tx.commit()
    tx = db.Transaction()
    business_customers.delete_in(tx, business_id, customer_id)
    audit.record(
        tx,
        tenant=business_id,
        actor=principal.user_id,
        action="business_customer.erased",
        entity="business_customer",
        entity_id=customer_id,
        at=now,
        summary={"bookings": str(len(record.booking_ids))},
    )
    tx.commit()
