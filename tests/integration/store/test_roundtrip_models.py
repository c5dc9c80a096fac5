"""Round trips through the store for accounts, catalog and their neighbours: values -> store
write -> read back -> equal, field by field, at each field's extremes (instants in years 1,
0837 and 9999; empty and maximum-length text; zero and large numbers; empty and full lists
and maps). On moto and on DynamoDB Local."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from chalicelib import errors
from chalicelib.domain.catalog import (
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
from chalicelib.domain.consents import ConsentChange
from chalicelib.domain.identity import Role
from chalicelib.store import (
    audit,
    catalog,
    codec,
    consents,
    db,
    favorites,
    memberships,
    otp,
    ratelimit,
    reminders,
    sessions,
    users,
)

# The entities these round trips write and read back (test_every_stored_entity_has_a_round_trip_test).
COVERS = (
    "BusinessItem",
    "VenueItem",
    "VenueListing",
    "ServiceItem",
    "SpecialistItem",
    "Membership",
    "SeedMarker",
    "User",
    "RegistrationRecord",
    "ContactClaim",
    "Session",
    "OtpChallenge",
    "RateCounter",
    "AuditRecord",
    "ConsentState",
    "ConsentEvent",
    "Favorite",
    "ReminderItem",
)

# Instants at the codec's extremes, and one in a year below 1000 (strftime's %Y gets it wrong).
YEAR_1 = datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC)
YEAR_837 = datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 20, 23, 59, 59, 999999, tzinfo=UTC)
INSTANTS = [YEAR_1, YEAR_837, datetime(2026, 11, 22, 9, 0, tzinfo=UTC), YEAR_9999]
MAX_NAME = "Ä" + "n" * 118 + "ß"  # 120 characters (schemas' Name), non-ASCII at both ends
BIG = 10**15


def _id(n: int) -> str:
    return f"{n:032x}"


# --- catalog -----------------------------------------------------------------------------------


@pytest.mark.ddblocal
@pytest.mark.parametrize("extreme", ["least", "most"])
def test_business_round_trips(aws, extreme):
    if extreme == "least":
        business = Business(business_id=_id(1), name="", address="", tax_number=None, payment_details=None)
    else:
        business = Business(
            business_id=_id(2),
            name=MAX_NAME,
            address="a" * 300,
            tax_number="DE-123 456 789 0123456789012345"[:32],
            payment_details=PaymentDetails(account_holder=MAX_NAME, iban="DE" + "9" * 32, bic="ABCDEFGHXXX"),
        )
    created = catalog.create_business(business, YEAR_837)
    assert created == replace(business, revision=1)
    assert catalog.get_business(business.business_id) == created
    item = db.get(catalog.BusinessItem, catalog.business_pk(business.business_id), "META")
    assert item is not None and item.created_at == YEAR_837
    # A change (every optional field removed or set) reads back as written
    changed = replace(
        created,
        name=MAX_NAME if extreme == "least" else "",
        tax_number="X12" if extreme == "least" else None,
        payment_details=None if extreme == "most" else PaymentDetails("A", "DE00000000000000", None),
    )
    saved = catalog.save_business(changed)
    assert saved == replace(changed, revision=2)
    assert catalog.get_business(business.business_id) == saved


def _venue(n: int, *, full: bool) -> Venue:
    if not full:
        return Venue(
            business_id=_id(10),
            venue_id=_id(n),
            name="",
            address="",
            city="",
            timezone="UTC",
            latitude=None,
            longitude=None,
            categories=(),
            slot_interval_minutes=0,
            min_notice_minutes=0,
            horizon_days=0,
            cancellation_notice_minutes=0,
            reminder_offsets_minutes=(),
        )
    return Venue(
        business_id=_id(10),
        venue_id=_id(n),
        name=MAX_NAME,
        address="a" * 300,
        city="Sankt Peter-Ording",
        timezone="America/Argentina/ComodRivadavia",
        latitude=-90.0,
        longitude=179.999999,
        categories=tuple(f"category {i}" for i in range(20)),
        slot_interval_minutes=BIG,
        min_notice_minutes=BIG,
        horizon_days=BIG,
        cancellation_notice_minutes=BIG,
        reminder_offsets_minutes=tuple(range(0, 10 * 1440, 1440)),
    )


@pytest.mark.ddblocal
@pytest.mark.parametrize("full", [False, True])
def test_venue_and_its_listings_round_trip(aws, full):
    catalog.create_business(Business(business_id=_id(10), name="b"), YEAR_1)
    venue = _venue(11 if full else 12, full=full)
    created = catalog.create_venue(venue, YEAR_9999)
    assert created == replace(venue, revision=1)
    assert catalog.get_venue(venue.business_id, venue.venue_id) == created
    assert catalog.find_venue(venue.venue_id) == created
    assert catalog.venues_by_keys([(venue.business_id, venue.venue_id)]) == {venue.venue_id: created}
    page, _ = catalog.list_venues(venue.business_id, 10, None)
    assert page == [created]
    item = db.get(catalog.VenueItem, catalog.business_pk(venue.business_id), f"VENUE#{venue.venue_id}")
    assert item is not None and item.created_at == YEAR_9999
    # The public listing carries the summary fields, for the city-wide key and every category
    public = Venue(
        business_id=venue.business_id,
        venue_id=venue.venue_id,
        name=venue.name,
        address=venue.address,
        city=venue.city,
        timezone=venue.timezone,
        latitude=venue.latitude,
        longitude=venue.longitude,
        categories=venue.categories,
    )
    for category in [None, *venue.categories]:
        found, _ = catalog.discover(venue.city, category, 10, None)
        assert found == [public]
    # A save to the other extreme reads back as written (removed coordinates, emptied lists)
    other = replace(_venue(0, full=not full), business_id=venue.business_id, venue_id=venue.venue_id)
    saved = catalog.save_venue(created, other)
    assert saved == replace(other, revision=2)
    assert catalog.get_venue(venue.business_id, venue.venue_id) == saved


def _schedule(full: bool) -> dict[str, object]:
    if not full:
        return {"plan": WorkingPlan(), "exceptions": (), "time_off": ()}
    hours = {day: (TimeRange(time(0, 0), time(11, 59)), TimeRange(time(12, 0), time(23, 59))) for day in range(7)}
    return {
        "plan": WorkingPlan(hours=hours, breaks={day: (TimeRange(time(11, 0), time(11, 1)),) for day in range(7)}),
        "exceptions": (
            DateException(day=date(1, 1, 1), hours=()),
            DateException(day=date(837, 7, 7), hours=(TimeRange(time(9, 0), time(10, 0)),)),
            DateException(day=date(9999, 12, 31), hours=()),
        ),
        "time_off": tuple(TimeOff(start=a, end=a + timedelta(microseconds=1)) for a in INSTANTS),
    }


@pytest.mark.ddblocal
@pytest.mark.parametrize("full", [False, True])
def test_service_and_specialist_round_trip(aws, full):
    catalog.create_business(Business(business_id=_id(10), name="b"), YEAR_1)
    venue = catalog.create_venue(_venue(20, full=False), YEAR_1)
    service = Service(
        business_id=venue.business_id,
        venue_id=venue.venue_id,
        service_id=_id(21),
        name=MAX_NAME if full else "",
        duration_minutes=BIG if full else 0,
        price_minor=BIG if full else 0,
        currency="EUR",
        buffer_before_minutes=BIG if full else 0,
        buffer_after_minutes=BIG if full else 0,
        specialist_ids=tuple(_id(100 + i) for i in range(50)) if full else (),
    )
    specialist = Specialist(
        business_id=venue.business_id,
        venue_id=venue.venue_id,
        specialist_id=_id(22),
        name=MAX_NAME if full else "",
        user_id=_id(23) if full else None,
        **_schedule(full),
    )
    assert catalog.create_service(service) == replace(service, revision=1)
    assert catalog.create_specialist(specialist) == replace(specialist, revision=1)
    stored_service = catalog.get_service(venue.business_id, venue.venue_id, service.service_id)
    stored_specialist = catalog.get_specialist(venue.business_id, venue.venue_id, specialist.specialist_id)
    assert stored_service == replace(service, revision=1)
    assert stored_specialist == replace(specialist, revision=1)
    assert catalog.venue_catalog(venue.business_id, venue.venue_id) == ([stored_service], [stored_specialist])
    assert catalog.get_specialists(venue.business_id, venue.venue_id, None) == [stored_specialist]
    assert catalog.get_specialists(venue.business_id, venue.venue_id, [specialist.specialist_id]) == [stored_specialist]
    # The other extreme, saved over it, reads back as written
    flipped = replace(stored_specialist, **_schedule(not full), user_id=None if full else "u")
    assert catalog.save_specialist(flipped) == replace(flipped, revision=2)
    assert catalog.get_specialist(venue.business_id, venue.venue_id, specialist.specialist_id) == replace(
        flipped, revision=2
    )


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS)
def test_membership_and_seed_marker_round_trip(aws, at):
    item = memberships.add_membership(_id(30), _id(31), Role.MANAGER, at)
    assert memberships.get_role(_id(30), _id(31)) == Role.MANAGER
    [listed] = memberships.list_memberships(_id(31))
    staff, _ = catalog.list_staff(_id(30), 10, None)
    for stored in (listed, *staff):
        assert (stored.business_id, stored.user_id, stored.role, stored.created_at) == (
            _id(30),
            _id(31),
            "manager",
            at,
        )
        assert memberships.since(stored) == memberships.since(item) == at.isoformat(timespec="seconds")
    changed = catalog.change_role(_id(30), _id(31), Role.MANAGER, Role.OWNER)
    assert (changed.role, changed.created_at) == ("owner", at)
    tx = db.Transaction()
    memberships.add_membership_in(tx, _id(32), _id(31), Role.SPECIALIST, at)
    tx.commit()
    assert memberships.get_role(_id(32), _id(31)) == Role.SPECIALIST
    assert catalog.claim_seed("demo", at) is True
    marker = db.get(catalog.SeedMarker, "SEED#demo", "META")
    assert marker is not None and (marker.name, marker.created_at) == ("demo", at)


# --- accounts ----------------------------------------------------------------------------------


@pytest.mark.ddblocal
@pytest.mark.parametrize(("at", "full"), [(YEAR_1, False), (YEAR_837, True), (YEAR_9999, True)])
def test_account_round_trips(aws, at, full):
    account = users.NewAccount(
        user_id=_id(40),
        name="x" * 100 if full else "",
        locale="pt-BR" if full else "",
        phone="+" + "9" * 15 if full else None,
        email=("e" * 64 + "@" + "d" * 185 + ".io") if full else None,
        password_hash="$2b$12$" + "h" * 53 if full else None,
        telegram_id=str(2**63 - 1) if full else None,
        terms_version="v" * 32 if full else "",
        ip="2001:db8::ffff:ffff:ffff:ffff" if full else "",
        method="register",
        at=at,
    )
    created = users.create_account(account)
    user = users.get_user(account.user_id)
    assert user is not None
    for stored in (created, user):
        assert (
            stored.user_id,
            stored.name,
            stored.locale,
            stored.phone,
            stored.email,
            stored.password_hash,
            stored.telegram_id,
            stored.created_at,
            stored.updated_at,
            stored.phone_verified,
            stored.email_verified,
            stored.is_operator,
            stored.active,
        ) == (
            account.user_id,
            account.name,
            account.locale,
            account.phone,
            account.email,
            account.password_hash,
            account.telegram_id,
            at,
            at,
            False,
            False,
            False,
            True,
        )
    record = users.get_registration(account.user_id)
    assert record is not None
    assert (record.terms_version, record.accepted_at, record.ip, record.age_16_or_older, record.method) == (
        account.terms_version,
        at,
        account.ip,
        True,
        "register",
    )
    for kind, value in (("phone", account.phone), ("email", account.email), ("telegram", account.telegram_id)):
        assert users.find_user_id(kind, value or "absent") == (account.user_id if value else None)
    # Profile changes read back (updated_at moves, revision counts)
    later = at if at.year == 9999 else at + timedelta(days=1)
    users.update_profile(account.user_id, 0, later, {"name": "y" * 100, "pending_email": None, "locale": "de"})
    users.set_operator(account.user_id, True, later)
    user = users.get_user(account.user_id)
    assert user is not None
    assert (user.name, user.locale, user.is_operator, user.updated_at, int(user.revision)) == (
        "y" * 100,
        "de",
        True,
        later,
        2,
    )
    assert user.created_at == at


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_837, YEAR_9999 - timedelta(days=40)])
def test_session_round_trips(aws, at):
    new = sessions.NewSession(
        session_id=_id(50),
        user_id=_id(51),
        refresh_hash="f" * 64,
        via_cookie=True,
        method="telegram",
        ip="i" * 80,
        user_agent="u" * 300,
        at=at,
        lifetime=timedelta(days=30, microseconds=1),
    )
    sessions.create(new)
    stored = sessions.get(new.session_id)
    assert stored is not None
    assert (
        stored.session_id,
        stored.user_id,
        stored.refresh_hash,
        int(stored.generation),
        stored.via_cookie,
        stored.method,
        stored.created_at,
        stored.expires_at,
        stored.revoked_at,
        stored.revoke_reason,
        stored.ip,
        stored.user_agent,
    ) == (
        new.session_id,
        new.user_id,
        "f" * 64,
        0,
        True,
        "telegram",
        at,
        at + new.lifetime,
        None,
        None,
        "i" * 64,
        "u" * 256,
    )
    assert stored.gsi1sk == f"SESSION#{codec.encode(at)}#{new.session_id}"
    # Rotation compares instants: live one microsecond before expiry, refused at it
    assert sessions.rotate(new.session_id, "f" * 64, "e" * 64, at + new.lifetime) is None
    rotated = sessions.rotate(new.session_id, "f" * 64, "e" * 64, at + new.lifetime - timedelta(microseconds=1))
    assert rotated is not None and (rotated.refresh_hash, int(rotated.generation)) == ("e" * 64, 1)
    sessions.revoke(new.session_id, at, "")
    sessions.revoke(new.session_id, at + timedelta(days=1), "second")  # the first one stands
    [listed] = sessions.list_for_user(new.user_id)
    assert (listed.revoked_at, listed.revoke_reason, listed.expires_at) == (at, "", at + new.lifetime)


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", [YEAR_1, YEAR_837, YEAR_9999 - timedelta(hours=2)])
def test_otp_challenge_and_rate_counter_round_trip(aws, at):
    otp.put("+15550001111", "signin", "c" * 64, at, timedelta(minutes=10))
    pk, sk = otp._key("+15550001111", "signin")
    item = db.get(otp.OtpChallenge, pk, sk)
    assert item is not None
    assert (item.purpose, item.code_hash, int(item.attempts), item.created_at, item.expires_at) == (
        "signin",
        "c" * 64,
        0,
        at,
        at + timedelta(minutes=10),
    )
    # Expiry compares instants, to the microsecond
    assert otp.spend_attempt("+15550001111", "signin", at + timedelta(minutes=10), 5) is None
    assert otp.spend_attempt("+15550001111", "signin", at + timedelta(minutes=10, microseconds=-1), 5) == "c" * 64
    assert otp.consume("+15550001111", "signin", "c" * 64) is True
    assert otp.consume("+15550001111", "signin", "c" * 64) is False
    # A rate window holds its count up to the limit, keyed by the window's start instant
    for _ in range(3):
        ratelimit.hit("probe", "subject", 3, 60, at)
    with pytest.raises(errors.RateLimited):
        ratelimit.hit("probe", "subject", 3, 60, at)


# --- audit, consents, favourites, reminders -----------------------------------------------------


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS)
def test_audit_record_round_trips_and_its_hash_input_is_stable(aws, at):
    from chalicelib.privacy.audit_chain import chain_hash

    summaries: list[dict[str, str]] = [{}, {f"k{i}": "v" * 200 for i in range(30)}]
    news = [
        audit.NewRecord(
            tenant="t",
            record_id=_id(60 + n),
            actor="" if n == 1 else "a" * 64,
            action="x.y",
            entity="E",
            entity_id="",
            at=at,
            summary=summary,
            expires_at=None,
        )
        for n, summary in enumerate(summaries, start=1)
    ]
    for new in news:
        tx = db.Transaction()
        audit.add(tx, new)
        tx.commit()
    by_id = {r.record_id: r for r in audit.list_records("t")}
    for new in news:
        chain = audit.Chain("t", audit.shard_of(new.record_id))
        audit.seal(chain, chain_hash, lambda *_: "sig", at)
        [stored] = [r for r in audit.sealed_records(chain) if r["record_id"] == new.record_id]
        unsealed = by_id[new.record_id]
        assert stored["at"] == at == unsealed.at
        assert stored["summary"] == new.summary
        fields = audit.chained_fields(stored)
        assert fields["at"] == at.isoformat(timespec="microseconds")  # "+00:00", as chained
        assert fields["summary"] == new.summary
        assert {k: v for k, v in fields.items() if k != "seq"} == {
            k: v for k, v in unsealed.chained_fields().items() if k != "seq"
        }
        assert chain_hash(fields, stored["prev_hash"]) == stored["hash"]


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS)
def test_consents_round_trip(aws, at):
    assert consents.current("u") == []
    changes = [ConsentChange("partner_marketing", _id(i), i % 2 == 0) for i in range(consents.MAX_CHANGES_PER_WRITE)]
    consents.apply_changes("u", changes, at, "s" * 100)
    shown = at.isoformat(timespec="microseconds")
    assert sorted((v.kind, v.scope, v.granted, v.at) for v in consents.current("u")) == sorted(
        (c.kind, c.scope, c.granted, shown) for c in changes
    )
    history = consents.history("u", limit=100)
    assert sorted((v.scope, v.granted, v.at, v.source) for v in history) == sorted(
        (c.scope, c.granted, shown, "s" * 100) for c in changes
    )
    assert consents.states("u", [("partner_marketing", _id(0)), ("location", "-")]) == {
        ("partner_marketing", _id(0)): True
    }


@pytest.mark.ddblocal
@pytest.mark.parametrize("at", INSTANTS)
def test_favorite_round_trips(aws, at):
    saved = favorites.put("u", _id(70), _id(71), at)
    again = favorites.put("u", _id(70), _id(71), at + timedelta(seconds=1) if at.year < 9999 else at)
    page, _ = favorites.list_page("u", 10, None)
    assert saved == again == page[0] == favorites.FavoriteVenue(_id(70), _id(71), at.isoformat(timespec="seconds"))
    favorites.delete("u", _id(71))
    assert favorites.list_page("u", 10, None)[0] == []


@pytest.mark.ddblocal
@pytest.mark.parametrize(
    "start", [datetime(1, 1, 12, 0, 0, 0, 5, tzinfo=UTC), YEAR_837, datetime(9999, 12, 29, 1, 2, 3, tzinfo=UTC)]
)
def test_reminders_round_trip(aws, start):
    params = {f"p{i}": "v" * 100 for i in range(20)}
    offsets = [0, 1, 5, 120]
    written = reminders.schedule(
        booking_id="b",
        business_id=_id(80),
        customer_user_id="c",
        start=start,
        offsets_minutes=offsets,
        params=params,
        now=start - timedelta(hours=3),
    )
    assert written == len(offsets)
    reminders.schedule(
        booking_id="e", business_id="", customer_user_id="", start=start, offsets_minutes=[1], params={}, now=YEAR_1
    )
    found = list(reminders.due(start - timedelta(hours=2), start))
    assert sorted((r.booking_id, r.offset_minutes) for r in found) == sorted([("b", o) for o in offsets] + [("e", 1)])
    for reminder in found:
        assert reminder.due_at == start - timedelta(minutes=reminder.offset_minutes)
        assert reminder.booking_start == start
        shard = reminders.shard_of(reminder.booking_id)
        assert reminder.key[0] == f"REMIND#{codec.encode(reminder.due_at)[:10]}#{shard:02d}"
        if reminder.booking_id == "b":
            assert (reminder.business_id, reminder.customer_user_id, reminder.params) == (_id(80), "c", params)
        else:
            assert (reminder.business_id, reminder.customer_user_id, reminder.params) == ("", "", {})
    # Due exactly at ``until`` is included; a microsecond before it is not yet
    assert 0 in [r.offset_minutes for r in reminders.due(start, start) if r.booking_id == "b"]
    assert 0 not in [r.offset_minutes for r in reminders.due(start, start - timedelta(microseconds=1))]
    reminders.remove([r.key for r in found])
    assert list(reminders.due(start - timedelta(hours=2), start)) == []
    assert reminders.processed_until() is None
    reminders.set_processed_until(start)
    assert reminders.processed_until() == start


def test_the_bucket_key_keeps_its_text_for_years_below_1000():
    # The day partition is "REMIND#yyyy-mm-dd#<shard>", the legacy bucket "REMIND#yyyy-mm-ddThh:mmZ":
    # zero-padded years, minutes floored to 5
    assert reminders._partition(YEAR_837, 7) == "REMIND#0837-07-07#07"
    assert reminders._legacy_bucket_pk(reminders.bucket_of(YEAR_837)) == "REMIND#0837-07-07T05:40Z"
    at = datetime(2026, 11, 22, 9, 4, 59, tzinfo=UTC)
    assert reminders._partition(at, 31) == "REMIND#2026-11-22#31"
    assert reminders._legacy_bucket_pk(reminders.bucket_of(at)) == "REMIND#2026-11-22T09:00Z"
