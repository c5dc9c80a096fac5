"""Schemathesis against the app's own /openapi.json: every operation, every check, as three callers.

For each operation, positive and negative cases (fixed seed, ``fuzz.EXAMPLES`` each) are sent
as anonymous, as a customer who holds a booking and as the salon's owner, with the path
parameters pointing at objects that exist. Every check schemathesis 4 runs by default applies
(not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance, response_headers_conformance, negative_data_rejection,
positive_data_acceptance, ignored_auth, ...): a 5xx, an undocumented status or type, a body
off its schema, a schema-violating request that is accepted or a valid one refused with 400/422
fails the test. Nothing is filtered; the only exceptions are listed in ``KNOWN`` below.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

import app  # noqa: F401 - registers every endpoint
from tests.support import fuzz

# Known failures as (operation, check), each with its reason. An entry that no longer fails
# fails the test ("fixed, remove from KNOWN"), so the list only shrinks. All of them, on the
# code this was written against, are schema-valid requests refused with 422: a rule the
# server applies that /openapi.json does not state (so a client generated from the document
# cannot know it). Empty each group when its owner's fix or a stated rule lands.
PDA = "positive_data_acceptance"
_CURSOR = "cursor is opaque: any string is schema-valid, a forged one is 422 (document it or answer 400)"
_SERVICE = "duration/buffer limits not stated"
_PHONE = "phone: the E.164 rule is not in the schema (pattern/format missing)"
KNOWN: dict[tuple[str, str], str] = {
    # date ranges (owned by the date-range fix): from > to, years 0001-1999 are schema-valid
    ("GET /v1/venues/{venue_id}/availability", PDA): "availability from/to: range rules not in the schema",
    # the accepted date range is documented (formatMinimum/formatMaximum, x-max-days-ahead) but
    # JSON Schema has no standard keyword for a date range, so schemathesis generates year 0109
    ("PATCH /v1/businesses/{business_id}/discount-codes/{code}", PDA): "valid_until: date range not in standard schema",
    # opaque cursors
    ("GET /v1/businesses/{business_id}/discount-codes", PDA): _CURSOR,
    ("GET /v1/businesses/{business_id}/staff", PDA): _CURSOR,
    ("GET /v1/businesses/{business_id}/venues", PDA): _CURSOR,
    ("GET /v1/me/favorites", PDA): _CURSOR,
    ("GET /v1/venues", PDA): "near (lat,lon text) and cursor: format not in the schema",
    # unsubscribe tokens are signed: an unknown token cannot be schema-invalid
    ("GET /v1/unsubscribe", PDA): "token: a forged token is 422; a credential-like value (401/403/404?)",
    ("POST /v1/unsubscribe", PDA): "token: a forged token is 422; a credential-like value (401/403/404?)",
    # contact fields (owned by the text-types fix)
    ("POST /v1/auth/otp", PDA): _PHONE,
    ("POST /v1/auth/otp/verify", PDA): _PHONE,
    ("POST /v1/auth/register", PDA): _PHONE + "; age_16_or_older must be true (const)",
    ("PATCH /v1/me", PDA): "email: format not in the schema",
    # catalogue rules
    ("PATCH /v1/businesses/{business_id}/venues/{venue_id}", PDA): "slot_interval_minutes: divisor rule not stated",
    (
        "PATCH /v1/businesses/{business_id}/venues/{venue_id}/services/{service_id}",
        PDA,
    ): "duration/buffer limits not stated",
}


@pytest.fixture
def world(api: Any, salon: Any, customer: Any, clock: Any, staff: Any, notify: Any) -> fuzz.World:
    from chalicelib.domain.identity import Role

    start = salon.at(2, "10:00")
    booking = api.post(
        "/v1/bookings",
        salon.body(start, salon.specialist_ids[0]),
        headers={**customer.headers, "Idempotency-Key": "fuzz-booking-1"},
    )
    assert booking.status == 201, booking.body
    code = api.post(
        f"/v1/businesses/{salon.business_id}/discount-codes",
        {
            "code": "fuzz10",
            "kind": "percent",
            "value": 10,
            "valid_from": (clock.now() - timedelta(days=1)).isoformat(),
            "valid_until": (clock.now() + timedelta(days=30)).isoformat(),
        },
        headers=salon.owner.headers,
    )
    assert code.status == 201, code.body
    device = api.post("/v1/me/devices", {"platform": "fcm", "token": "f" * 40}, headers=customer.headers)
    export = api.post("/v1/me/exports", headers=customer.headers)
    member = staff(salon.business_id, Role.SPECIALIST, name="Fuzz Specialist")
    values = {
        "business_id": salon.business_id,
        "venue_id": salon.venue_id,
        "service_id": salon.service.service_id,
        "specialist_id": salon.specialist_ids[0],
        "booking_id": booking.json["id"],
        "code": code.json.get("code", "FUZZ10"),
        "user_id": member.user_id,
    }
    if device.status == 201:
        values["device_id"] = device.json["device_id"]
    if export.status == 201:
        values["export_id"] = export.json["export_id"]
    identities = {"anonymous": {}, "customer": dict(customer.headers), "owner": dict(salon.owner.headers)}
    return fuzz.World(values, identities)


def _order(operation: Any) -> tuple[int, str]:
    """Destructive operations last, erasing the account at the very end, so the objects the
    others point at exist while they run."""
    label = operation.label
    return (2 if label == "DELETE /v1/me" else 1 if label.startswith("DELETE") else 0, label)


@pytest.mark.timeout(300)
def test_every_operation_survives_fuzzing(api: Any, world: fuzz.World) -> None:
    # Given existing objects and three callers
    started = time.perf_counter()
    operations = fuzz.operations(fuzz.wsgi(api))
    found: dict[tuple[str, str], list[fuzz.Finding]] = {}
    cases = 0
    # When schemathesis fuzzes every operation
    for operation in sorted(operations, key=_order):
        report = fuzz.fuzz(operation, world)
        cases += report.cases
        for finding in report.findings.values():
            found.setdefault(finding.key, []).append(finding)
    elapsed = time.perf_counter() - started
    # Then no check fails, except the known defects listed in KNOWN (which must still fail)
    unexpected = [f.line() for key, group in sorted(found.items()) if key not in KNOWN for f in group]
    stale = sorted(set(KNOWN) - set(found))
    print(f"fuzz: {len(operations)} operations, {cases} cases, {elapsed:.1f} s, {len(found)} failing keys")
    assert cases >= len(operations) * 6
    assert not unexpected, f"{len(unexpected)} failing check(s):\n" + "\n".join(unexpected)
    assert not stale, f"fixed, remove from KNOWN: {stale}"
    if found:
        pytest.xfail(f"{len(found)} known defect(s) still fail: " + "; ".join(sorted({KNOWN[k] for k in found})))
