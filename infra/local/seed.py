"""Demo data for `make run`: a Baku salon with services and specialists, loaded once.

Interface (called by infra.local.stack after the resources exist, with settings pointing
at the local stack): ``seed() -> bool`` writes the demo data unless it is already there
and returns True when it wrote something. A marker item written with a conditional put
decides who seeds, so two stacks starting at once cannot both write it.

Everything is created through the same service functions the API uses (so it is
validated and audited like real data). Sign in as the demo owner with
``+994501234567`` / ``demo-owner-password`` (local stack only).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.catalog import WorkingPlan

DEMO = "demo-salon-v1"
OWNER_PHONE = "+994501234567"
OWNER_PASSWORD = "demo-owner-password"  # noqa: S105 - local demo account, documented in docs/catalog.md

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _week(days: str, start: str, end: str, breaks: tuple[str, str] | None = None) -> WorkingPlan:
    from chalicelib.domain.catalog import TimeRange, WorkingPlan

    weekdays = [_WEEKDAYS.index(name) for name in days.split(",")]
    hours = (TimeRange(time.fromisoformat(start), time.fromisoformat(end)),)
    pause = () if breaks is None else (TimeRange(time.fromisoformat(breaks[0]), time.fromisoformat(breaks[1])),)
    return WorkingPlan(
        hours={day: hours for day in weekdays},
        breaks={day: pause for day in weekdays} if pause else {},
    )


def seed(now: datetime | None = None) -> bool:
    from chalicelib import deps
    from chalicelib.store import catalog as store

    now = now or deps.clock().now()
    if not store.claim_seed(DEMO, now):
        return False
    try:
        _write(now)
    except BaseException:
        store.release_seed(DEMO)
        raise
    return True


def _write(now: datetime) -> None:
    from chalicelib.domain.identity import Principal
    from chalicelib.services import accounts, businesses, catalog
    from chalicelib.services.sessions import ClientInfo
    from chalicelib.settings import get_settings

    issued = accounts.register(
        accounts.Registration(
            name="Demo Owner",
            phone=OWNER_PHONE,
            email="owner@demo.local",
            password=OWNER_PASSWORD,
            age_16_or_older=True,
            terms_version=get_settings().terms_version,
            locale="en",
        ),
        ClientInfo(ip="127.0.0.1", user_agent="infra.local.seed"),
        now,
    )
    owner = Principal(user_id=issued.user_id, session_id="seed")
    business, _ = businesses.create_business(
        owner,
        businesses.NewBusiness(name="Studio Nizami", address="Nizami küçəsi 10, Baku", tax_number="1700123451"),
        now,
    )
    b = business.business_id
    venue = catalog.create_venue(
        owner,
        b,
        catalog.NewVenue(
            name="Studio Nizami - Sahil",
            address="Nizami küçəsi 10, Baku AZ1000",
            city="Baku",
            timezone="Asia/Baku",
            latitude=40.3725,
            longitude=49.8480,
            categories=("hair", "nails", "massage"),
            slot_interval_minutes=15,
            min_notice_minutes=60,
            horizon_days=60,
            cancellation_notice_minutes=12 * 60,
        ),
        now,
    )
    v = venue.venue_id
    team = {
        name: catalog.create_specialist(
            owner, b, v, catalog.NewSpecialist(name=name, user_id=None, plan=plan, exceptions=(), time_off=()), now
        ).specialist_id
        for name, plan in (
            ("Leyla", _week("mon,tue,wed,thu,fri", "10:00", "19:00", ("14:00", "15:00"))),
            ("Aysel", _week("tue,wed,thu,fri,sat", "09:00", "18:00", ("13:00", "14:00"))),
            ("Rashad", _week("mon,wed,fri,sat", "11:00", "20:00")),
        )
    }
    services = (
        ("Haircut & styling", 45, 3000, 0, 10, ("Leyla", "Aysel")),
        ("Manicure", 60, 2500, 0, 10, ("Aysel",)),
        ("Classic massage", 60, 6000, 5, 10, ("Rashad",)),
        ("Brow shaping", 30, 1500, 0, 5, ("Leyla", "Aysel")),
    )
    for name, minutes, price, before, after, who in services:
        catalog.create_service(
            owner,
            b,
            v,
            catalog.NewService(
                name=name,
                duration_minutes=minutes,
                price_minor=price,
                currency="AZN",
                buffer_before_minutes=before,
                buffer_after_minutes=after,
                specialist_ids=tuple(team[person] for person in who),
            ),
            now,
        )
