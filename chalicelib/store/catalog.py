"""Businesses, venues, services, specialists and discovery listings (single table).

Keys (every tenant-owned key starts with the tenant):

| item            | pk       | sk                        | GSI                                                 |
|-----------------|----------|---------------------------|-----------------------------------------------------|
| BusinessItem    | BIZ#b    | META                      |                                                     |
| VenueItem       | BIZ#b    | VENUE#v                   | GSI1 VENUE#v / META (public lookup by id alone);    |
|                 |          |                           | GSI3 BIZ#b#VENUES / VENUE#v (the tenant's list)     |
| ServiceItem     | BIZ#b    | VENUE#v#SVC#s             |                                                     |
| SpecialistItem  | BIZ#b    | VENUE#v#SPEC#p            |                                                     |
| VenueListing    | BIZ#b    | LISTING#v#<category or *> | GSI2 DISCOVER#<city>#<category or *> / <name>#v     |

Ids are random (uuid4 hex): a venue id encodes nothing and is resolved through GSI1.
Listings are the venue's public summary, one per category plus a city-wide one, so
discovery by city and category is one GSI2 Query (no Scan). Every change is a conditional
write on ``revision`` (optimistic concurrency); venue changes rewrite the listings in the
same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, cast

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action

from chalicelib import errors
from chalicelib.domain.catalog import (
    MAX_SERVICE_MINUTES,
    Business,
    DateException,
    PaymentDetails,
    Service,
    Specialist,
    TimeOff,
    TimeRange,
    Venue,
    WorkingPlan,
)
from chalicelib.domain.identity import Role
from chalicelib.store import codec, db
from chalicelib.store.bookings import specialist_index_key, venue_index_key
from chalicelib.store.codec import InstantAttribute
from chalicelib.store.memberships import Membership, membership_item
from chalicelib.store.table import TableItem

ANY_CATEGORY = "*"


def new_id() -> str:
    return uuid.uuid4().hex


def business_pk(business_id: str) -> str:
    return f"BIZ#{business_id}"


def normalise_city(city: str) -> str:
    return " ".join(city.casefold().split())


def normalise_category(category: str) -> str:
    return category.strip().casefold()


# --- models ------------------------------------------------------------------------


class BusinessItem(TableItem, discriminator="Business"):
    business_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute(default="")
    tax_number = UnicodeAttribute(null=True)
    payment_details = UnicodeAttribute(null=True)  # JSON: account holder, IBAN, BIC
    created_at = InstantAttribute()
    revision = NumberAttribute(default=0)


class VenueSummary:
    """The attributes a venue and each of its public listings share (one declaration)."""

    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute()
    city = UnicodeAttribute()
    timezone = UnicodeAttribute()
    latitude = NumberAttribute(null=True)
    longitude = NumberAttribute(null=True)
    categories = ListAttribute[UnicodeAttribute](of=UnicodeAttribute, default=list)


class VenueItem(TableItem, VenueSummary, discriminator="Venue"):
    slot_interval_minutes = NumberAttribute()
    min_notice_minutes = NumberAttribute()
    horizon_days = NumberAttribute()
    cancellation_notice_minutes = NumberAttribute()
    reminder_offsets_minutes = ListAttribute[NumberAttribute](of=NumberAttribute, default=list)
    created_at = InstantAttribute()
    revision = NumberAttribute(default=0)


class ServiceItem(TableItem, discriminator="Service"):
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    name = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    buffer_before_minutes = NumberAttribute(default=0)
    buffer_after_minutes = NumberAttribute(default=0)
    specialist_ids = ListAttribute[UnicodeAttribute](of=UnicodeAttribute, default=list)
    revision = NumberAttribute(default=0)


class SpecialistItem(TableItem, discriminator="Specialist"):
    business_id = UnicodeAttribute()
    venue_id = UnicodeAttribute()
    specialist_id = UnicodeAttribute()
    name = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    schedule = UnicodeAttribute(default="{}")  # JSON: weekly plan, breaks, exceptions, time off
    revision = NumberAttribute(default=0)


class VenueListing(TableItem, VenueSummary, discriminator="VenueListing"):
    """The public summary of a venue under one (city, category) discovery key."""


# --- conversions -------------------------------------------------------------------


def _hm(value: time) -> str:
    return value.strftime("%H:%M")


def _parse_hm(value: str) -> time:
    return time.fromisoformat(value)


def _ranges_json(ranges: Sequence[TimeRange]) -> list[list[str]]:
    return [[_hm(r.start), _hm(r.end)] for r in ranges]


def _ranges(raw: Sequence[Sequence[str]]) -> tuple[TimeRange, ...]:
    return tuple(TimeRange(_parse_hm(start), _parse_hm(end)) for start, end in raw)


def schedule_json(specialist: Specialist) -> str:
    plan = specialist.plan
    return json.dumps(
        {
            "hours": {str(day): _ranges_json(r) for day, r in sorted(plan.hours.items())},
            "breaks": {str(day): _ranges_json(r) for day, r in sorted(plan.breaks.items())},
            "exceptions": [{"day": codec.day(e.day), "hours": _ranges_json(e.hours)} for e in specialist.exceptions],
            "time_off": [{"start": codec.encode(t.start), "end": codec.encode(t.end)} for t in specialist.time_off],
        },
        separators=(",", ":"),
    )


def _schedule(raw: str) -> tuple[WorkingPlan, tuple[DateException, ...], tuple[TimeOff, ...]]:
    data: dict[str, Any] = json.loads(raw or "{}")
    plan = WorkingPlan(
        hours={int(day): _ranges(r) for day, r in data.get("hours", {}).items()},
        breaks={int(day): _ranges(r) for day, r in data.get("breaks", {}).items()},
    )
    exceptions = tuple(
        DateException(day=codec.parse_day(e["day"]), hours=_ranges(e["hours"])) for e in data.get("exceptions", [])
    )
    time_off = tuple(
        TimeOff(start=codec.decode(t["start"]), end=codec.decode(t["end"])) for t in data.get("time_off", [])
    )
    return plan, exceptions, time_off


def _strings(values: Any) -> tuple[str, ...]:
    # PynamoDB types list elements as attribute objects; at runtime they are plain strings.
    return tuple(str(v) for v in values or ())


def _business(item: BusinessItem) -> Business:
    payment = None
    if item.payment_details:
        raw = json.loads(item.payment_details)
        payment = PaymentDetails(account_holder=raw["account_holder"], iban=raw["iban"], bic=raw.get("bic"))
    return Business(
        business_id=item.business_id,
        name=item.name,
        address=item.address,
        tax_number=item.tax_number,
        payment_details=payment,
        revision=int(item.revision),
    )


# A venue's public summary is the same fields on the VenueItem and on each VenueListing:
# one mapping each way, shared by both items (and by the venue's update actions).


def _summary_fields(venue: Venue) -> dict[str, Any]:
    return {
        "business_id": venue.business_id,
        "venue_id": venue.venue_id,
        "name": venue.name,
        "address": venue.address,
        "city": venue.city,
        "timezone": venue.timezone,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "categories": list(venue.categories),
    }


def _venue_fields(venue: Venue) -> dict[str, Any]:
    return {
        **_summary_fields(venue),
        "slot_interval_minutes": venue.slot_interval_minutes,
        "min_notice_minutes": venue.min_notice_minutes,
        "horizon_days": venue.horizon_days,
        "cancellation_notice_minutes": venue.cancellation_notice_minutes,
        "reminder_offsets_minutes": list(venue.reminder_offsets_minutes),
        "revision": venue.revision,
    }


def _summary(item: VenueItem | VenueListing) -> dict[str, Any]:
    return {
        "business_id": item.business_id,
        "venue_id": item.venue_id,
        "name": item.name,
        "address": item.address,
        "city": item.city,
        "timezone": item.timezone,
        "latitude": None if item.latitude is None else float(item.latitude),
        "longitude": None if item.longitude is None else float(item.longitude),
        "categories": _strings(item.categories),
    }


def _venue(item: VenueItem) -> Venue:
    return Venue(
        **_summary(item),
        slot_interval_minutes=int(item.slot_interval_minutes),
        min_notice_minutes=int(item.min_notice_minutes),
        horizon_days=int(item.horizon_days),
        cancellation_notice_minutes=int(item.cancellation_notice_minutes),
        reminder_offsets_minutes=tuple(int(m) for m in cast(list[float], item.reminder_offsets_minutes or [])),
        revision=int(item.revision),
    )


def _listing_venue(item: VenueListing) -> Venue:
    return Venue(**_summary(item))


def _service(item: ServiceItem) -> Service:
    return Service(
        business_id=item.business_id,
        venue_id=item.venue_id,
        service_id=item.service_id,
        name=item.name,
        duration_minutes=int(item.duration_minutes),
        price_minor=int(item.price_minor),
        currency=item.currency,
        buffer_before_minutes=int(item.buffer_before_minutes),
        buffer_after_minutes=int(item.buffer_after_minutes),
        specialist_ids=_strings(item.specialist_ids),
        revision=int(item.revision),
    )


def _specialist(item: SpecialistItem) -> Specialist:
    plan, exceptions, time_off = _schedule(item.schedule)
    return Specialist(
        business_id=item.business_id,
        venue_id=item.venue_id,
        specialist_id=item.specialist_id,
        name=item.name,
        plan=plan,
        exceptions=exceptions,
        time_off=time_off,
        user_id=item.user_id,
        revision=int(item.revision),
    )


def _business_item(business: Business, created_at: datetime | None = None) -> BusinessItem:
    """The item (``created_at`` only for an insert: updates and deletes address the key)."""
    payment = business.payment_details
    return BusinessItem(
        pk=business_pk(business.business_id),
        sk="META",
        business_id=business.business_id,
        name=business.name,
        address=business.address,
        tax_number=business.tax_number,
        payment_details=None
        if payment is None
        else json.dumps({"account_holder": payment.account_holder, "iban": payment.iban, "bic": payment.bic}),
        created_at=created_at,
        revision=business.revision,
    )


def _venue_item(venue: Venue, created_at: datetime | None = None) -> VenueItem:
    """The item (``created_at`` only for an insert: updates and deletes address the key)."""
    return VenueItem(
        pk=business_pk(venue.business_id),
        sk=f"VENUE#{venue.venue_id}",
        gsi1pk=f"VENUE#{venue.venue_id}",
        gsi1sk="META",
        gsi3pk=f"BIZ#{venue.business_id}#VENUES",
        gsi3sk=f"VENUE#{venue.venue_id}",
        created_at=created_at,
        **_venue_fields(venue),
    )


def _listings(venue: Venue) -> list[VenueListing]:
    city = normalise_city(venue.city)
    keys = [ANY_CATEGORY, *sorted({normalise_category(c) for c in venue.categories})]
    return [
        VenueListing(
            pk=business_pk(venue.business_id),
            sk=f"LISTING#{venue.venue_id}#{category}",
            gsi2pk=f"DISCOVER#{city}#{category}",
            gsi2sk=f"{venue.name.casefold()}#{venue.venue_id}",
            **_summary_fields(venue),
        )
        for category in keys
    ]


def _service_item(service: Service) -> ServiceItem:
    return ServiceItem(
        pk=business_pk(service.business_id),
        sk=f"VENUE#{service.venue_id}#SVC#{service.service_id}",
        business_id=service.business_id,
        venue_id=service.venue_id,
        service_id=service.service_id,
        name=service.name,
        duration_minutes=service.duration_minutes,
        price_minor=service.price_minor,
        currency=service.currency,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        specialist_ids=list(service.specialist_ids),
        revision=service.revision,
    )


def _specialist_item(specialist: Specialist) -> SpecialistItem:
    return SpecialistItem(
        pk=business_pk(specialist.business_id),
        sk=f"VENUE#{specialist.venue_id}#SPEC#{specialist.specialist_id}",
        business_id=specialist.business_id,
        venue_id=specialist.venue_id,
        specialist_id=specialist.specialist_id,
        name=specialist.name,
        user_id=specialist.user_id,
        schedule=schedule_json(specialist),
        revision=specialist.revision,
    )


# --- businesses --------------------------------------------------------------------

ExtraWrites = Callable[[db.Transaction], None]
BUSINESS = "business"  # the role of the business insert in create_business's transaction


def create_business(
    business: Business, now: datetime, extra: ExtraWrites | None = None, *, tx: db.Transaction | None = None
) -> Business:
    """Insert a new business; ``extra`` adds writes to the same transaction (the owner's
    membership), as does the caller's ``tx`` (its audit record)."""
    item = _business_item(replace(business, revision=1), now)
    tx = tx if tx is not None else db.Transaction()
    tx.put(item, role=BUSINESS, condition=BusinessItem.pk.does_not_exist())
    if extra is not None:
        extra(tx)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if exc.failed:
            raise errors.Conflict("The business already exists") from exc
        raise
    return _business(item)


def get_business(business_id: str) -> Business:
    item = db.get(BusinessItem, business_pk(business_id), "META", consistent=False)
    if item is None:
        raise errors.NotFound("No such business")
    return _business(item)


def save_business(business: Business, *, tx: db.Transaction | None = None) -> Business:
    """Store a changed business, in one TransactWriteItems with the caller's ``tx`` (its audit
    record); fails with Conflict if it changed since it was read."""
    stored = replace(business, revision=business.revision + 1)
    item = _business_item(stored)
    actions: list[Action] = [
        BusinessItem.name.set(item.name),
        BusinessItem.address.set(item.address),
        BusinessItem.revision.set(stored.revision),
    ]
    for attribute, value in (
        (BusinessItem.tax_number, item.tax_number),
        (BusinessItem.payment_details, item.payment_details),
    ):
        actions.append(attribute.remove() if value is None else attribute.set(value))
    tx = tx if tx is not None else db.Transaction()
    tx.update(item, actions, role=BUSINESS, condition=BusinessItem.revision == business.revision)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise errors.Conflict("The business changed meanwhile; read it again") from exc
    return stored


# --- venues ------------------------------------------------------------------------


def create_venue(venue: Venue, now: datetime, *, tx: db.Transaction | None = None) -> Venue:
    """Insert a venue and its discovery listings; the business must exist. One TransactWriteItems
    (with the caller's ``tx``: its audit record)."""
    venue = replace(venue, revision=1)
    tx = tx if tx is not None else db.Transaction()
    tx.check(BusinessItem(business_pk(venue.business_id), "META"), BusinessItem.pk.exists(), role="business")
    tx.put(_venue_item(venue, now), role="venue", condition=VenueItem.pk.does_not_exist())
    for listing in _listings(venue):
        tx.put(listing, role="listing")
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if exc.failed:
            raise errors.NotFound("No such business") from exc
        raise
    return venue


def get_venue(business_id: str, venue_id: str) -> Venue:
    item = db.get(VenueItem, business_pk(business_id), f"VENUE#{venue_id}", consistent=False)
    if item is None:
        raise errors.NotFound("No such venue")
    return _venue(item)


def find_venue(venue_id: str) -> Venue:
    """A venue by its id alone (public routes): one GSI1 Query."""
    for item in db.query(VenueItem, f"VENUE#{venue_id}", VenueItem.gsi1sk == "META", index="GSI1", limit=1):
        if isinstance(item, VenueItem):
            return _venue(item)
    raise errors.NotFound("No such venue")


def list_venues(
    business_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Venue], dict[str, Any] | None]:
    """A page of the tenant's venues (GSI3 Query) and the key to continue after."""
    with db.sdk_errors():
        results = VenueItem.gsi3.query(f"BIZ#{business_id}#VENUES", limit=limit, last_evaluated_key=after)
        venues = [_venue(item) for item in results if isinstance(item, VenueItem)]
    return venues, results.last_evaluated_key


def save_venue(old: Venue, new: Venue, *, tx: db.Transaction | None = None) -> Venue:
    """Store a changed venue and rewrite its listings, if nobody changed it since ``old`` was
    read (with the caller's ``tx``)."""
    stored = replace(new, revision=old.revision + 1)
    tx = tx if tx is not None else db.Transaction()
    tx.update(
        _venue_item(stored), _venue_update_actions(stored), role="venue", condition=VenueItem.revision == old.revision
    )
    new_keys = {listing.sk for listing in _listings(stored)}
    for listing in _listings(old):
        if listing.sk not in new_keys:
            tx.delete(listing, role="listing")
    for listing in _listings(stored):
        tx.put(listing, role="listing")
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if exc.failed:
            raise errors.Conflict("The venue changed meanwhile; read it again") from exc
        raise
    return stored


# The item's identity (key and ids) never changes; every other field is set, or removed when None.
_VENUE_IDENTITY = frozenset({"business_id", "venue_id"})


def _venue_update_actions(venue: Venue) -> list[Action]:
    actions: list[Action] = []
    for name, value in _venue_fields(venue).items():
        if name in _VENUE_IDENTITY:
            continue
        attribute = getattr(VenueItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def delete_venue(venue: Venue, now: datetime, *, tx: db.Transaction | None = None) -> None:
    """Remove a venue and its listings (its services and specialists stay, unreachable).
    Conflict while live future bookings need it (counted on GSI2)."""
    item = _venue_item(venue)
    _refuse_if_booked(venue_index_key(venue.business_id, venue.venue_id), "GSI2", now, "venue")
    tx = tx if tx is not None else db.Transaction()
    tx.delete(item, role="venue", condition=VenueItem.revision == venue.revision)
    for listing in _listings(venue):
        tx.delete(listing, role="listing")
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if exc.failed:
            raise errors.Conflict("The venue changed meanwhile; read it again") from exc
        raise


def venue_catalog(business_id: str, venue_id: str) -> tuple[list[Service], list[Specialist]]:
    """The venue's services and specialists: one Query on the tenant's partition."""
    services: list[Service] = []
    specialists: list[Specialist] = []
    for item in db.query(TableItem, business_pk(business_id), TableItem.sk.startswith(f"VENUE#{venue_id}#")):
        if isinstance(item, ServiceItem):
            services.append(_service(item))
        elif isinstance(item, SpecialistItem):
            specialists.append(_specialist(item))
    return services, specialists


# --- what live bookings need: checked before a delete ---------------------------------
# A delete counts the live future bookings that need the item (booking GSI2 by venue, GSI3
# by specialist; no Scan) and refuses while there are any. Bookings do not write their
# venue, service or specialist (that would make the venue item a hot spot every booking of
# the venue contends on), so a booking committed in the instant between the count and the
# delete is not caught; it stays the customer's to see and cancel (cancel needs no venue).


def _refuse_if_booked(partition: str, index: str, now: datetime, what: str, service_id: str | None = None) -> None:
    from chalicelib.store import bookings

    # A booking that started before now may still be running: look back one longest service.
    lower = bookings.sort_bound(now - timedelta(minutes=MAX_SERVICE_MINUTES))
    count, start_key = 0, None
    while True:
        page, start_key = bookings.query_bookings(index, partition, lower=lower, limit=100, start_key=start_key)
        count += sum(1 for b in page if b.live and b.end > now and (service_id is None or b.service_id == service_id))
        if start_key is None:
            break
    if count:
        plural = "booking needs" if count == 1 else "bookings need"
        raise errors.Conflict(f"{count} live future {plural} this {what}: cancel or move them first")


# --- discovery ---------------------------------------------------------------------


def discover(
    city: str, category: str | None, limit: int, after: dict[str, Any] | None
) -> tuple[list[Venue], dict[str, Any] | None]:
    """Venues listed in a city (and category), by name: one GSI2 Query per page."""
    key = f"DISCOVER#{normalise_city(city)}#{normalise_category(category) if category else ANY_CATEGORY}"
    with db.sdk_errors():
        results = VenueListing.gsi2.query(key, limit=limit, last_evaluated_key=after)
        venues = [_listing_venue(item) for item in results if isinstance(item, VenueListing)]
    return venues, results.last_evaluated_key


# --- services and specialists: versioned items under a venue ---------------------------
# Both live in the tenant's partition at VENUE#<venue>#SVC#/SPEC#<id> and carry a revision:
# create checks the venue in the same transaction, save and delete succeed only on the
# revision that was read (Conflict otherwise), so no write is based on a stale read.

VenueChild = ServiceItem | SpecialistItem
_SPECIALIST_ROLE = "specialist:"


class UnknownSpecialists(Exception):
    """A service names specialists the venue does not have (``ids``, in the order named)."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"no such specialists: {', '.join(ids)}")
        self.ids = tuple(ids)


def _check_specialists(tx: db.Transaction, business_id: str, venue_id: str, specialist_ids: Sequence[str]) -> None:
    """A ConditionCheck per named specialist: the transaction commits only if each exists."""
    for specialist_id in dict.fromkeys(specialist_ids):
        key = SpecialistItem(business_pk(business_id), f"VENUE#{venue_id}#SPEC#{specialist_id}")
        tx.check(key, SpecialistItem.pk.exists(), role=f"{_SPECIALIST_ROLE}{specialist_id}")


def _raise_unknown_specialists(exc: db.TransactionCancelled, specialist_ids: Sequence[str]) -> None:
    missing = [sid for sid in dict.fromkeys(specialist_ids) if f"{_SPECIALIST_ROLE}{sid}" in exc.failed]
    if missing:
        raise UnknownSpecialists(missing) from exc


def _create_under_venue(
    item: VenueChild,
    business_id: str,
    venue_id: str,
    specialist_ids: Sequence[str] = (),
    tx: db.Transaction | None = None,
) -> None:
    """Insert ``item``; NotFound unless the venue exists, UnknownSpecialists unless every
    named specialist of the venue does (one TransactWriteItems, with the caller's ``tx``)."""
    tx = tx if tx is not None else db.Transaction()
    tx.check(VenueItem(business_pk(business_id), f"VENUE#{venue_id}"), VenueItem.pk.exists(), role="venue")
    tx.put(item, role="child", condition=type(item).pk.does_not_exist())
    _check_specialists(tx, business_id, venue_id, specialist_ids)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "venue" in exc.failed:
            raise errors.NotFound("No such venue") from exc
        _raise_unknown_specialists(exc, specialist_ids)
        if exc.failed:
            raise errors.Conflict("It was created meanwhile; read it again") from exc
        raise


def _save_at_revision(item: VenueChild, read_revision: int, what: str, tx: db.Transaction | None = None) -> None:
    """Put ``item`` if the stored one is still at ``read_revision`` (one TransactWriteItems
    with the caller's ``tx``: its audit record)."""
    tx = tx if tx is not None else db.Transaction()
    tx.put(item, role="child", condition=type(item).revision == read_revision)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise errors.Conflict(f"The {what} changed meanwhile; read it again") from exc


def _delete_at_revision(item: VenueChild, what: str, tx: db.Transaction | None = None) -> None:
    """Delete ``item`` if it is still at its revision (one TransactWriteItems with ``tx``)."""
    tx = tx if tx is not None else db.Transaction()
    tx.delete(item, role="child", condition=type(item).revision == item.revision)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise errors.Conflict(f"The {what} changed meanwhile; read it again") from exc


def create_service(
    service: Service, require_specialists: Sequence[str] = (), *, tx: db.Transaction | None = None
) -> Service:
    """Insert a service; ``require_specialists`` (the named ones) must exist at the venue,
    checked in the same transaction (UnknownSpecialists otherwise)."""
    service = replace(service, revision=1)
    _create_under_venue(_service_item(service), service.business_id, service.venue_id, require_specialists, tx)
    return service


def get_service(business_id: str, venue_id: str, service_id: str) -> Service:
    item = db.get(ServiceItem, business_pk(business_id), f"VENUE#{venue_id}#SVC#{service_id}", consistent=False)
    if item is None:
        raise errors.NotFound("No such service")
    return _service(item)


def save_service(
    service: Service, require_specialists: Sequence[str] = (), *, tx: db.Transaction | None = None
) -> Service:
    """Store a changed service at the revision read; with ``require_specialists``, one
    transaction that also checks each of them still exists (UnknownSpecialists otherwise)."""
    stored = replace(service, revision=service.revision + 1)
    if not require_specialists:
        _save_at_revision(_service_item(stored), service.revision, "service", tx)
        return stored
    tx = tx if tx is not None else db.Transaction()
    tx.put(_service_item(stored), role="service", condition=ServiceItem.revision == service.revision)
    _check_specialists(tx, service.business_id, service.venue_id, require_specialists)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        if "service" in exc.failed:
            raise errors.Conflict("The service changed meanwhile; read it again") from exc
        _raise_unknown_specialists(exc, require_specialists)
        raise
    return stored


def delete_service(service: Service, now: datetime, *, tx: db.Transaction | None = None) -> None:
    """Conflict while live future bookings need it (GSI2, this service)."""
    item = _service_item(service)
    _refuse_if_booked(
        venue_index_key(service.business_id, service.venue_id), "GSI2", now, "service", service.service_id
    )
    _delete_at_revision(item, "service", tx)


def create_specialist(specialist: Specialist, *, tx: db.Transaction | None = None) -> Specialist:
    specialist = replace(specialist, revision=1)
    _create_under_venue(_specialist_item(specialist), specialist.business_id, specialist.venue_id, (), tx)
    return specialist


def get_specialist(business_id: str, venue_id: str, specialist_id: str) -> Specialist:
    item = db.get(SpecialistItem, business_pk(business_id), f"VENUE#{venue_id}#SPEC#{specialist_id}", consistent=False)
    if item is None:
        raise errors.NotFound("No such specialist")
    return _specialist(item)


def get_specialists(business_id: str, venue_id: str, specialist_ids: Sequence[str] | None) -> list[Specialist]:
    """The named specialists of a venue (BatchGetItem), or all of them (one Query) when ``None``.

    Raises NotFound if any named specialist does not exist.
    """
    if specialist_ids is None:
        return [
            _specialist(item)
            for item in db.query(
                SpecialistItem, business_pk(business_id), SpecialistItem.sk.startswith(f"VENUE#{venue_id}#SPEC#")
            )
            if isinstance(item, SpecialistItem)
        ]
    wanted = list(dict.fromkeys(specialist_ids))
    if not wanted:
        return []
    keys = [(business_pk(business_id), f"VENUE#{venue_id}#SPEC#{sid}") for sid in wanted]
    with db.sdk_errors():
        found = {item.specialist_id: _specialist(item) for item in SpecialistItem.batch_get(keys)}
    missing = [sid for sid in wanted if sid not in found]
    if missing:
        raise errors.NotFound("No such specialist")
    return [found[sid] for sid in wanted]


def save_specialist(specialist: Specialist, *, tx: db.Transaction | None = None) -> Specialist:
    stored = replace(specialist, revision=specialist.revision + 1)
    _save_at_revision(_specialist_item(stored), specialist.revision, "specialist", tx)
    return stored


def delete_specialist(specialist: Specialist, now: datetime, *, tx: db.Transaction | None = None) -> None:
    """Conflict while live future bookings need them (GSI3)."""
    item = _specialist_item(specialist)
    _refuse_if_booked(specialist_index_key(specialist.business_id, specialist.specialist_id), "GSI3", now, "specialist")
    _delete_at_revision(item, "specialist", tx)


def venues_by_keys(keys: Sequence[tuple[str, str]]) -> dict[str, Venue]:
    """Venues by (business id, venue id), missing ones left out: one BatchGetItem per 100."""
    if not keys:
        return {}
    with db.sdk_errors():
        items = list(VenueItem.batch_get([(business_pk(b), f"VENUE#{v}") for b, v in dict.fromkeys(keys)]))
    return {item.venue_id: _venue(item) for item in items}


# --- staff (membership items are defined in store/memberships.py) ------------------


def list_staff(
    business_id: str, limit: int, after: dict[str, Any] | None
) -> tuple[list[Membership], dict[str, Any] | None]:
    """A page of the business's memberships: one Query on its partition (``STAFF#`` items)."""
    with db.sdk_errors():
        results = Membership.query(
            business_pk(business_id), Membership.sk.startswith("STAFF#"), limit=limit, last_evaluated_key=after
        )
        staff = [item for item in results if isinstance(item, Membership)]
    return staff, results.last_evaluated_key


def change_role(
    business_id: str, user_id: str, old_role: Role, new_role: Role, *, tx: db.Transaction | None = None
) -> Membership:
    """Set a member's role if it is still ``old_role``: one TransactWriteItems (with the
    caller's ``tx``: its audit record), then one GetItem of the membership as stored."""
    item = membership_item(business_id, user_id, new_role)
    tx = tx if tx is not None else db.Transaction()
    tx.update(
        item,
        [Membership.role.set(new_role.value)],
        role="membership",
        condition=Membership.pk.exists() & (Membership.role == old_role.value),
    )
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise errors.Conflict("The membership changed meanwhile; read it again") from exc
    stored = db.get(Membership, item.pk, item.sk, consistent=True)  # a transaction returns no values
    return stored if stored is not None else item


def remove_member(business_id: str, user_id: str, role: Role, *, tx: db.Transaction | None = None) -> None:
    """Delete a membership if it still has ``role`` (one TransactWriteItems with ``tx``)."""
    tx = tx if tx is not None else db.Transaction()
    tx.delete(membership_item(business_id, user_id, role), role="membership", condition=Membership.role == role.value)
    try:
        tx.commit()
    except db.TransactionCancelled as exc:
        raise errors.Conflict("The membership changed meanwhile; read it again") from exc


# --- demo data marker (infra/local/seed.py) -----------------------------------------


class SeedMarker(TableItem, discriminator="SeedMarker"):
    name = UnicodeAttribute()
    created_at = InstantAttribute()


def claim_seed(name: str, now: datetime) -> bool:
    """True for the one caller that gets to write the named demo data (a conditional PutItem)."""
    try:
        db.put(
            SeedMarker(pk=f"SEED#{name}", sk="META", name=name, created_at=now),
            condition=SeedMarker.pk.does_not_exist(),
        )
    except db.ConditionFailed:
        return False
    return True


def release_seed(name: str) -> None:
    """Forget a claim whose data could not be written, so the next start tries again."""
    db.delete(SeedMarker(pk=f"SEED#{name}", sk="META"))
