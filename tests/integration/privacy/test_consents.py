"""Consents: per partner or all, history kept, withdrawal and objection take effect at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.privacy.consents import allows_location, allows_partner_marketing
from chalicelib.store.audit import list_records


def test_partner_marketing_is_off_until_consented(api, clock, as_user):
    # proves: SHARE-4
    # Given a user who has said nothing about marketing
    headers = as_user("u-quiet")
    # When their consents are read
    response = api.get("/v1/me/consents", headers=headers)
    # Then nothing is granted, and no partner may send marketing
    assert response.status == 200
    assert response.json["partner_marketing_all"] is False
    assert response.json["partner_marketing"] == []
    assert allows_partner_marketing("u-quiet", "biz1") is False


def test_consent_per_partner_or_all_and_withdrawal_at_once(api, clock, as_user):
    # proves: SHARE-4
    # proves: RIGHT-5
    headers = as_user("u1")
    # Given consent for all partners, but not for biz2
    response = api.put(
        "/v1/me/consents",
        {"partner_marketing": [{"partner_id": "all", "granted": True}, {"partner_id": "biz2", "granted": False}]},
        headers=headers,
    )
    assert response.status == 200
    assert response.json["partner_marketing_all"] is True
    assert response.json["partner_marketing"][0]["partner_id"] == "biz2"
    # Then biz1 may send marketing and biz2 may not
    assert allows_partner_marketing("u1", "biz1") is True
    assert allows_partner_marketing("u1", "biz2") is False
    # When the user withdraws consent for all partners
    clock.advance(timedelta(minutes=1))
    api.put("/v1/me/consents", {"partner_marketing": [{"partner_id": "all", "granted": False}]}, headers=headers)
    # Then the very next check refuses (no caching, strongly consistent read)
    assert allows_partner_marketing("u1", "biz1") is False
    # And the history keeps every change, newest first
    history = api.get("/v1/me/consents", headers=headers).json["history"]
    changes = [(h["scope"], h["granted"]) for h in history]
    assert changes[0] == ("all", False)
    assert sorted(changes[1:]) == [("all", True), ("biz2", False)]
    assert history[0]["at"] > history[-1]["at"]


def test_marketing_objection_is_absolute(api, clock, as_user):
    # proves: RIGHT-5
    headers = as_user("u2")
    # Given consent for a specific partner and for all
    api.put(
        "/v1/me/consents",
        {"partner_marketing": [{"partner_id": "all", "granted": True}, {"partner_id": "biz1", "granted": True}]},
        headers=headers,
    )
    assert allows_partner_marketing("u2", "biz1") is True
    # When the user objects to marketing
    response = api.put("/v1/me/consents", {"marketing_objection": True}, headers=headers)
    # Then no partner may send marketing, whatever the consents say
    assert response.json["marketing_objection"] is True
    assert allows_partner_marketing("u2", "biz1") is False
    assert allows_partner_marketing("u2", "biz9") is False


def test_restriction_stops_optional_processing(api, clock, as_user):
    # proves: RIGHT-5
    headers = as_user("u3")
    api.put(
        "/v1/me/consents",
        {"location": True, "partner_marketing": [{"partner_id": "all", "granted": True}]},
        headers=headers,
    )
    assert allows_location("u3") is True
    # When the user restricts processing
    api.put("/v1/me/consents", {"processing_restriction": True}, headers=headers)
    # Then neither location nor marketing may be used
    assert allows_location("u3") is False
    assert allows_partner_marketing("u3", "biz1") is False


def test_consent_changes_are_audited_with_pseudonymous_ids(api, clock, as_user):
    # proves: SEC-6
    headers = as_user("u4")
    api.put("/v1/me/consents", {"location": True}, headers=headers)
    records = [r for r in list_records("platform") if r.target_entity == "Consent"]
    assert len(records) == 1
    assert records[0].actor == "u4" and records[0].action == "consent.changed"
    assert records[0].summary["changes"] == "location:-=granted"


def test_consents_need_sign_in(api, as_user):
    assert api.get("/v1/me/consents").status == 401


def test_unknown_partner_id_shape_is_refused(api, clock, as_user):
    response = api.put(
        "/v1/me/consents", {"partner_marketing": [{"partner_id": "a b#c", "granted": True}]}, headers=as_user("u5")
    )
    assert response.status == 422


def test_the_registration_record_shows_the_accepted_terms(api, signup):
    # proves: DATA-2
    # Given a customer who registered accepting the current terms
    from chalicelib.settings import get_settings
    from chalicelib.store import users

    me = signup(name="Terry Terms")
    # When they read their consents
    terms = api.get("/v1/me/consents", headers=me.headers).json["terms"]
    # Then the accepted version and time are there, and the record holds the IP too
    assert terms["version"] == get_settings().terms_version and terms["accepted_at"]
    record = users.get_registration(me.user_id)
    assert record.ip and record.accepted_at.isoformat(timespec="seconds") == terms["accepted_at"]


def test_the_same_partner_twice_is_a_422_naming_the_field_and_changes_nothing(api, clock, as_user):
    headers = as_user("u-dup")
    # Given a user whose consents say nothing yet
    # When they send the same partner twice in one change
    response = api.put(
        "/v1/me/consents",
        {"partner_marketing": [{"partner_id": "biz1", "granted": True}, {"partner_id": "biz1", "granted": False}]},
        headers=headers,
    )
    # Then it is refused as their mistake (not reported as an outage), naming the field
    assert response.status == 422
    assert [e["field"] for e in response.json["errors"]] == ["body.partner_marketing"]
    assert "biz1" in response.json["errors"][0]["reason"]
    # And nothing changed
    assert api.get("/v1/me/consents", headers=headers).json["history"] == []


def test_a_database_validation_error_is_our_bug_500_not_an_outage_503(api, clock, as_user, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.store import db

    # Given DynamoDB refuses the write as malformed (a bug in how we built it)
    def invalid(**_: object) -> None:
        raise ClientError(
            {"Error": {"Code": "ValidationException", "Message": "multiple operations on one item"}},
            "TransactWriteItems",
        )

    headers = as_user("u-bug")
    monkeypatch.setattr(db.client(), "transact_write_items", invalid)
    # When a consent change hits it
    response = api.put("/v1/me/consents", {"location": True}, headers=headers)
    # Then it is a 500 (ours to fix), not a 503 "a backing service is unavailable"
    assert response.status == 500


def test_a_cancelled_consent_write_is_a_conflict_not_an_outage(aws, clock):
    from chalicelib import errors
    from chalicelib.domain.consents import LOCATION, NO_SCOPE, ConsentChange
    from chalicelib.store import consents as store
    from chalicelib.store import db

    # Given a concurrent writer makes the consent transaction lose (a conflict, not an outage)
    def conflicted(self: db.Transaction) -> None:
        raise db.TransactionCancelled(frozenset(), conflict=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db.Transaction, "commit", conflicted)
        # When the change is written, Then it is a Conflict (409: try again), never DependencyUnavailable
        with pytest.raises(errors.Conflict):
            store.apply_changes("u-c", [ConsentChange(LOCATION, NO_SCOPE, True)], clock.now(), "settings")


def test_the_store_refuses_two_changes_of_one_consent_before_writing(aws, clock):
    from chalicelib import errors
    from chalicelib.domain.consents import PARTNER_MARKETING, ConsentChange
    from chalicelib.store import consents as store

    # Given a caller (not the API) that names one partner twice
    changes = [ConsentChange(PARTNER_MARKETING, "b1", True), ConsentChange(PARTNER_MARKETING, "b1", False)]
    # When it writes them, Then it is an InvalidInput naming the consent, and nothing is stored
    with pytest.raises(errors.InvalidInput) as refused:
        store.apply_changes("u-s", changes, clock.now(), "settings")
    assert [e.field for e in refused.value.errors] == ["partner_marketing"]
    assert store.current("u-s") == []
