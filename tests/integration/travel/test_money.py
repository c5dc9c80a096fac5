"""Exchange rates and quotes (TRV-3): versioned rates, Decimal prices in the base currency,
approximate conversions with the rate version used, snapshots, staleness, acceptance."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.identity import Role

LINES = [
    {"description": "Hotel, 2 nights", "quantity": 2, "unit_price": "450.50"},
    {"description": "Airport transfer", "quantity": 1, "unit_price": "99.99"},
]


def _quote(api, desk, request_id, displays=("USD", "IRR", "TOMAN"), headers=None):
    return api.post(
        desk.staff_path(request_id, "/quotes"),
        {"lines": LINES, "display_currencies": list(displays)},
        headers=headers or desk.owner.headers,
    )


def test_rates_are_versioned_conditional_and_public_with_staleness(api, travel_desk, staff, clock):
    # proves: TRV-3
    desk = travel_desk
    # Given version 1 published by the owner; a specialist may not publish
    specialist = staff(desk.business_id, Role.SPECIALIST, name="Agent")
    body = {"base_currency": "EUR", "expected_version": 1, "effective_at": clock.now().isoformat(), "rates": {}}
    assert api.put(f"/v1/businesses/{desk.business_id}/exchange-rates", body, headers=specialist.headers).status == 403
    # When a PUT names a version it did not read, it is refused; the one it read succeeds
    assert desk.rates(version=0).status == 409
    assert desk.rates({"USD": "1.1"}, version=5).status == 409
    second = desk.rates({"USD": "1.1", "IRR": "460000"}, version=1)
    assert second.status == 200 and second.json["version"] == 2
    # Then the public table shows the current version, the Toman row and its freshness
    public = api.get(f"/v1/exchange-rates?business_id={desk.business_id}")
    assert public.status == 200
    assert public.json["version"] == 2 and public.json["stale"] is False and public.json["base_currency"] == "EUR"
    shown = {row["currency"]: (row["rate"], row["places"]) for row in public.json["rates"]}
    assert shown == {"USD": ("1.1", 2), "EUR": ("1", 2), "IRR": ("460000", 0), "TOMAN": ("46000", 0)}
    # and after the configured age (48 h) it is flagged stale
    clock.advance(timedelta(hours=49))
    assert api.get(f"/v1/exchange-rates?business_id={desk.business_id}").json["stale"] is True
    assert api.get("/v1/exchange-rates?business_id=nobody").status == 404


def test_a_quote_is_priced_in_the_base_converted_half_even_and_keeps_its_amounts(api, travel_desk, notify):
    # proves: TRV-3
    desk = travel_desk
    request_id = desk.file()["id"]
    # When staff quote 2 x 450.50 + 99.99 EUR, shown in USD, IRR and Toman
    quoted = _quote(api, desk, request_id)
    assert quoted.status == 201, quoted.body
    quote = quoted.json
    # Then the total is exact in EUR and each display is approximate with the rate version used
    assert quote["total"] == "1000.99" and quote["base_currency"] == "EUR"
    assert [line["amount"] for line in quote["lines"]] == ["901.00", "99.99"]
    displays = {d["currency"]: d for d in quote["displays"]}
    assert displays["USD"]["amount"] == "1083.57"  # 1083.571675
    assert displays["IRR"]["amount"] == "455450450"  # whole rials
    assert displays["TOMAN"]["amount"] == "45545045" and displays["TOMAN"]["label"] == "Toman"
    assert all(d["approximate"] is True and d["rate_version"] == 1 for d in quote["displays"])
    request = api.get(f"/v1/travel-requests/{request_id}", headers=desk.customer.headers).json
    assert request["status"] == "quoted" and request["latest_quote_id"] == quote["id"]
    notify.drain()
    assert any("new offer for your travel request" in text for _p, text in notify.outbox.sms())
    # When the rates change afterwards
    assert desk.rates({"USD": "2.0", "IRR": "1", "AMD": "1", "CNY": "1"}, version=1).status == 200
    # Then the quote keeps the amounts and the rate version it was made with
    kept = api.get(f"/v1/travel-requests/{request_id}/quotes", headers=desk.customer.headers).json["items"]
    assert [d["amount"] for d in kept[0]["displays"]] == ["1083.57", "455450450", "45545045"]
    assert kept[0]["rate_version"] == 1
    # and a new quote uses the new version
    again = _quote(api, desk, request_id, displays=("USD",))
    assert again.json["displays"][0]["amount"] == "2001.98" and again.json["rate_version"] == 2


def test_stale_rates_or_a_missing_rate_price_no_new_quote(api, travel_desk, clock):
    # proves: TRV-3
    desk = travel_desk
    request_id = desk.file()["id"]
    # Given rates that took effect 49 hours ago (older than the 48 allowed)
    clock.advance(timedelta(hours=48))
    from tests.support.fixtures_bookings import relogin

    desk.owner.headers = relogin(desk.owner)
    # When staff quote
    stale = _quote(api, desk, request_id)
    # Then it is refused with a clear problem, and nothing is quoted
    assert stale.status == 409 and stale.json["type"].endswith("stale-exchange-rates"), stale.body
    assert api.get(desk.staff_path(request_id, "/quotes"), headers=desk.owner.headers).json["items"] == []
    # And with fresh rates lacking IRR, Toman cannot be shown: refused naming the field
    assert desk.rates({"USD": "1.1"}, version=1, age=timedelta(0)).status == 200
    missing = _quote(api, desk, request_id, displays=("USD", "TOMAN"))
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "body.display_currencies.1"
    too_precise = api.post(
        desk.staff_path(request_id, "/quotes"),
        {"lines": [{"description": "x", "quantity": 1, "unit_price": "1.001"}]},
        headers=desk.owner.headers,
    )
    assert too_precise.status == 422


def test_accepting_the_quote_on_offer_confirms_the_request_once(api, travel_desk, clock):
    # proves: TRV-1
    desk = travel_desk
    request_id = desk.file()["id"]
    first = _quote(api, desk, request_id).json["id"]
    second = _quote(api, desk, request_id).json["id"]
    accept = f"/v1/travel-requests/{request_id}/quotes/{{}}/accept"
    # When the customer accepts a replaced quote, it is refused; the one on offer confirms the request
    assert api.post(accept.format(first), headers=desk.customer.headers).status == 409
    accepted = api.post(accept.format(second), headers=desk.customer.headers)
    assert accepted.status == 200, accepted.body
    assert accepted.json["status"] == "confirmed" and accepted.json["accepted_quote_id"] == second
    # Then accepting it again answers the same (a safe retry: nothing moves again), and staff complete it
    again = api.post(accept.format(second), headers=desk.customer.headers)
    assert again.status == 200 and again.json == accepted.json
    done = api.post(desk.staff_path(request_id, "/status"), {"status": "completed"}, headers=desk.owner.headers)
    assert done.status == 200 and done.json["status"] == "completed"


def test_an_expired_quote_cannot_be_accepted(api, travel_desk, clock):
    desk = travel_desk
    request_id = desk.file()["id"]
    quote_id = _quote(api, desk, request_id).json["id"]
    # When the validity (72 h) has passed
    clock.advance(timedelta(hours=73))
    from tests.support.fixtures_bookings import relogin

    answer = api.post(f"/v1/travel-requests/{request_id}/quotes/{quote_id}/accept", headers=relogin(desk.customer))
    # Then it is refused and the request stays quoted
    assert answer.status == 409
