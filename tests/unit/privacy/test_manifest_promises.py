"""Promises checked against the manifest itself: what is stored, and who may receive it."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.privacy.manifest import parse

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = parse()


def _attributes():
    for entity in MANIFEST.entities.values():
        yield from ((entity.entity, attr) for attr in entity.attributes.values())


def test_technical_data_serves_security_and_audit_only():
    # proves: DATA-4
    # Given every stored IP address and user agent
    technical = [(e, a) for e, a in _attributes() if a.name in ("ip", "user_agent") or a.name.endswith("_ip")]
    assert technical, "expected the session and registration records to hold an IP"
    # Then none is shared with anyone, and none rests on consent-less marketing or contract grounds
    for entity, attr in technical:
        assert attr.recipients == (), f"{entity}.{attr.name} must not be shared"
        assert attr.legal_basis in ("legitimate_interest", "legal_obligation"), f"{entity}.{attr.name}"


def test_no_data_goes_to_advertisers_analytics_or_buyers():
    # proves: SHARE-3
    # Given every recipient the manifest names, and every runtime dependency
    recipients = {r.lower() for _, a in _attributes() for r in a.recipients}
    forbidden = re.compile(r"advertis|analytic|tracking|broker|buyer|marketing partner|third.party")
    # Then none is an advertiser, an analytics or tracking service, or a data buyer
    assert not [r for r in recipients if forbidden.search(r)]
    requirements = (ROOT / "requirements.txt").read_text().lower()
    for sdk in ("segment", "mixpanel", "amplitude", "google-analytics", "posthog", "facebook", "appsflyer", "sentry"):
        assert sdk not in requirements, f"{sdk} is a third-party analytics/tracking SDK"


def test_location_is_never_stored_unless_the_user_saves_it():
    # proves: DATA-5
    # Given the manifest: no entity holds a customer's coordinates
    location = [(e, a.name) for e, a in _attributes() if a.category == "location" or a.name in ("lat", "lon")]
    # Then the only coordinates stored are venues' published addresses (business data)
    assert all(entity.startswith("Venue") for entity, _ in location), location


def test_registration_record_holds_version_time_and_ip():
    # proves: DATA-2
    registration = MANIFEST.entity("RegistrationRecord").attributes
    assert {"terms_version", "accepted_at", "ip"} <= set(registration)
    assert MANIFEST.entity("RegistrationRecord").retention == "registration_record"
    assert MANIFEST.rule("registration_record").days >= 5 * 365
