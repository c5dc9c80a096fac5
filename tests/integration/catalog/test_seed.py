"""The demo seed writes a bookable salon once, however often the local stack starts."""

from __future__ import annotations

from tests.support.data import count_items


def test_seed_writes_once_and_the_salon_is_bookable(api, clock):
    from infra.local import seed

    # Given an empty table; When the seed runs twice
    first = seed.seed()
    items = count_items()
    second = seed.seed()
    # Then only the first run wrote, and nothing more was written by the second
    assert (first, second) == (True, False)
    assert count_items() == items
    # And the salon can be found, shows its services and specialists, and has free slots
    found = api.get("/v1/venues?city=Baku&category=massage").json["items"]
    assert [v["name"] for v in found] == ["Studio Nizami - Sahil"]
    page = api.get(f"/v1/venues/{found[0]['id']}").json
    assert len(page["services"]) == 4 and {p["name"] for p in page["specialists"]} == {"Leyla", "Aysel", "Rashad"}
    massage = next(s for s in page["services"] if s["name"] == "Classic massage")
    slots = api.get(
        f"/v1/venues/{found[0]['id']}/availability?service_id={massage['id']}&from=2026-11-23&to=2026-11-29"
    )
    assert slots.status == 200 and slots.json["slots"]
    # And the demo owner can sign in with the documented password
    login = api.post("/v1/auth/login", {"login": seed.OWNER_PHONE, "password": seed.OWNER_PASSWORD})
    assert login.status == 200, login.body
