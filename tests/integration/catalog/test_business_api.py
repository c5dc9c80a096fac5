"""Business side over HTTP: a business and its owner, staff and roles, venues, services,
specialists with schedules; every change audited (SEC-6); payment details for owners (DATA-6)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.store.audit import list_records

VENUE = {
    "name": "Studio Nizami",
    "address": "Nizami 10",
    "city": "Baku",
    "timezone": "Asia/Baku",
    "latitude": 40.3777,
    "longitude": 49.8920,
    "categories": ["hair", "nails"],
    "slot_interval_minutes": 30,
}
PAYMENT = {"account_holder": "Aysel Mammadova", "iban": "AZ21 NABZ 0000 0000 1370 1000 1944"}


def _audit(business_id: str) -> list[Any]:
    return sorted(list_records(business_id), key=lambda r: r.sk)


def _summary(record: Any) -> dict[str, str]:
    summary = record.summary
    return summary.as_dict() if hasattr(summary, "as_dict") else dict(summary)


def _business(api: Any, owner: Any, **extra: Any) -> dict[str, Any]:
    response = api.post("/v1/businesses", {"name": "Salon Aysel", **extra}, headers=owner.headers)
    assert response.status == 201, response.body
    return response.json


def test_creating_a_business_makes_the_caller_owner_atomically(api, clock, signup):
    # Given a signed-in user
    owner = signup(name="Aysel")
    # When they create a business with tax number and payment details
    business = _business(api, owner, address="Nizami 10, Baku", tax_number="1234567890", payment_details=PAYMENT)
    # Then they are its owner, see the payment details in full, and the creation is audited
    assert business["your_role"] == "owner"
    assert business["payment_details"]["iban"] == "AZ21NABZ00000000137010001944"
    from chalicelib.store import memberships

    assert memberships.get_role(business["id"], owner.user_id).value == "owner"
    assert [r.action for r in _audit(business["id"])] == ["business.create"]


def test_only_owners_change_the_profile_and_managers_see_masked_bank_details(api, clock, signup, staff):
    # proves: DATA-6
    owner = signup(name="Owner")
    business = _business(api, owner, tax_number="1234567890", payment_details=PAYMENT)
    from chalicelib.domain.identity import Role

    manager = staff(business["id"], Role.MANAGER)
    path = f"/v1/businesses/{business['id']}"
    # When the manager reads and tries to change the profile
    seen = api.get(path, headers=manager.headers).json
    refused = api.patch(path, {"name": "Hijacked"}, headers=manager.headers)
    # Then the IBAN is masked for them and the change is refused
    assert seen["payment_details"]["iban"].endswith("1944") and "NABZ" not in seen["payment_details"]["iban"]
    assert refused.status == 403
    # When the owner changes the tax number and clears the payment details
    changed = api.patch(path, {"tax_number": "999888777", "payment_details": None}, headers=owner.headers)
    # Then the change is stored and audited by field name only, never the values
    assert changed.status == 200, changed.body
    assert changed.json["tax_number"] == "999888777" and changed.json["payment_details"] is None
    # (records of one instant have no order until sealed: find it by its action)
    [last] = [r for r in _audit(business["id"]) if r.action == "business.update"]
    assert _summary(last)["fields"] == "payment_details,tax_number"
    assert "999888777" not in str(_summary(last))


def test_staff_are_added_by_phone_and_roles_change_under_audit(api, clock, signup):
    # proves: SEC-6
    owner = signup(name="Owner")
    business = _business(api, owner)
    base = f"/v1/businesses/{business['id']}/staff"
    colleague = signup(name="Colleague")
    # When the owner adds an existing account by phone as manager
    added = api.post(base, {"phone": colleague.phone, "role": "manager"}, headers=owner.headers)
    # Then the membership exists at once
    assert added.status == 201, added.body
    assert added.json["user_id"] == colleague.user_id and added.json["role"] == "manager"
    # And the manager may add specialists but not managers
    third = signup(name="Third")
    assert api.post(base, {"user_id": third.user_id, "role": "manager"}, headers=colleague.headers).status == 403
    assert api.post(base, {"user_id": third.user_id, "role": "specialist"}, headers=colleague.headers).status == 201
    # And adding the same person twice is a conflict; an unknown phone is a 404
    assert api.post(base, {"user_id": third.user_id, "role": "specialist"}, headers=owner.headers).status == 409
    assert api.post(base, {"phone": "+4915199999999", "role": "specialist"}, headers=owner.headers).status == 404
    # When the owner promotes the specialist, and tries to demote themself
    promoted = api.patch(f"{base}/{third.user_id}", {"role": "manager"}, headers=owner.headers)
    self_change = api.patch(f"{base}/{owner.user_id}", {"role": "manager"}, headers=owner.headers)
    # Then the promotion is audited with both roles; owners cannot change their own role
    assert promoted.status == 200 and promoted.json["role"] == "manager"
    assert self_change.status == 409
    change = [r for r in _audit(business["id"]) if r.action == "staff.role_change"]
    assert [(_summary(r)["from"], _summary(r)["to"]) for r in change] == [("specialist", "manager")]
    # And the list shows everyone, paged with an opaque cursor
    first = api.get(f"{base}?limit=2", headers=owner.headers).json
    rest = api.get(f"{base}?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    users = {m["user_id"] for m in first["items"] + rest["items"]}
    assert users == {owner.user_id, colleague.user_id, third.user_id}
    # When the owner removes the colleague, they lose access at once
    assert api.delete(f"{base}/{colleague.user_id}", headers=owner.headers).status == 204
    assert api.get(f"/v1/businesses/{business['id']}", headers=colleague.headers).status in (403, 404)


def test_a_tampered_cursor_is_422_naming_it(api, clock, signup):
    owner = signup(name="Owner")
    business = _business(api, owner)
    for extra in ({"phone": signup(name="A").phone}, {"phone": signup(name="B").phone}):
        api.post(f"/v1/businesses/{business['id']}/staff", {**extra, "role": "specialist"}, headers=owner.headers)
    base = f"/v1/businesses/{business['id']}/staff"
    cursor = api.get(f"{base}?limit=1", headers=owner.headers).json["next_cursor"]
    # When the cursor is altered, or replayed on another list
    forged = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    other = _business(api, owner)
    for path in (f"{base}?cursor={forged}", f"/v1/businesses/{other['id']}/staff?cursor={cursor}"):
        response = api.get(path, headers=owner.headers)
        # Then it is refused naming query.cursor
        assert response.status == 422, response.body
        assert response.json["errors"][0]["field"] == "query.cursor"


@pytest.mark.ddblocal
def test_venue_service_specialist_lifecycle_with_audit(api, clock, signup):
    # proves: SEC-6
    owner = signup(name="Owner")
    business = _business(api, owner)
    base = f"/v1/businesses/{business['id']}/venues"
    # When a venue is created with an unknown zone, and then with a real one
    bad = api.post(base, {**VENUE, "timezone": "Mars/Base"}, headers=owner.headers)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "body.timezone"
    venue = api.post(base, VENUE, headers=owner.headers)
    assert venue.status == 201, venue.body
    v = venue.json["id"]
    # And a specialist with a weekly plan, a break, a date exception and time off
    specialist = api.post(
        f"{base}/{v}/specialists",
        {
            "name": "Leyla",
            "weekly": {
                "mon": {"hours": [{"start": "09:00", "end": "18:00"}], "breaks": [{"start": "13:00", "end": "14:00"}]}
            },
            "exceptions": [{"date": "2026-12-31", "hours": []}],
            "time_off": [{"start": "2026-12-01T00:00:00Z", "end": "2026-12-03T00:00:00Z"}],
        },
        headers=owner.headers,
    )
    assert specialist.status == 201, specialist.body
    p = specialist.json["id"]
    assert specialist.json["weekly"] == {
        "mon": {"hours": [{"start": "09:00", "end": "18:00"}], "breaks": [{"start": "13:00", "end": "14:00"}]}
    }
    # And a service performed by that specialist
    service = api.post(
        f"{base}/{v}/services",
        {"name": "Haircut", "duration_minutes": 45, "price_minor": 3000, "currency": "AZN", "specialist_ids": [p]},
        headers=owner.headers,
    )
    assert service.status == 201, service.body
    s = service.json["id"]
    # When the price changes and the schedule changes
    repriced = api.patch(f"{base}/{v}/services/{s}", {"price_minor": 3500}, headers=owner.headers)
    rescheduled = api.patch(
        f"{base}/{v}/specialists/{p}",
        {"weekly": {"tue": {"hours": [{"start": "10:00", "end": "24:00"}]}}},
        headers=owner.headers,
    )
    # Then both are stored and audited (price with its previous value)
    assert repriced.status == 200 and repriced.json["price_minor"] == 3500
    assert rescheduled.status == 200 and rescheduled.json["weekly"] == {
        "tue": {"hours": [{"start": "10:00", "end": "24:00"}], "breaks": []}
    }
    records = _audit(business["id"])
    price = next(r for r in records if r.action == "service.update")
    assert _summary(price)["price_minor"] == "3500" and _summary(price)["previous_price_minor"] == "3000"
    assert any(r.action == "specialist.schedule_change" for r in records)
    # And the lists show them; deleting removes them
    assert [x["id"] for x in api.get(f"{base}/{v}/services", headers=owner.headers).json["items"]] == [s]
    assert [x["id"] for x in api.get(f"{base}/{v}/specialists", headers=owner.headers).json["items"]] == [p]
    assert api.delete(f"{base}/{v}/services/{s}", headers=owner.headers).status == 204
    assert api.get(f"{base}/{v}/services/{s}", headers=owner.headers).status == 404
    assert api.delete(f"{base}/{v}", headers=owner.headers).status == 204
    assert api.get(f"{base}/{v}", headers=owner.headers).status == 404
    assert api.get(f"/v1/venues/{v}").status == 404


def test_a_specialist_may_change_only_their_own_schedule(api, clock, signup):
    owner = signup(name="Owner")
    business = _business(api, owner)
    me = signup(name="Leyla")
    api.post(
        f"/v1/businesses/{business['id']}/staff", {"user_id": me.user_id, "role": "specialist"}, headers=owner.headers
    )
    base = f"/v1/businesses/{business['id']}/venues"
    v = api.post(base, VENUE, headers=owner.headers).json["id"]
    mine = api.post(f"{base}/{v}/specialists", {"name": "Leyla", "user_id": me.user_id}, headers=owner.headers).json
    other = api.post(f"{base}/{v}/specialists", {"name": "Other"}, headers=owner.headers).json
    off = {"time_off": [{"start": "2026-12-24T00:00:00Z", "end": "2026-12-27T00:00:00Z"}]}
    # When the specialist books time off for themself, renames themself, and edits a colleague
    own = api.patch(f"{base}/{v}/specialists/{mine['id']}", off, headers=me.headers)
    rename = api.patch(f"{base}/{v}/specialists/{mine['id']}", {"name": "Boss"}, headers=me.headers)
    colleague = api.patch(f"{base}/{v}/specialists/{other['id']}", off, headers=me.headers)
    # Then only their own schedule changes
    assert own.status == 200 and len(own.json["time_off"]) == 1
    assert rename.status == 403 and colleague.status == 403
    # And they cannot create catalog entries
    assert api.post(f"{base}/{v}/specialists", {"name": "X"}, headers=me.headers).status == 403
