"""Access tokens (SEC-4): tampered, expired, alg none, wrong audience/issuer, other algorithms."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chalicelib.security import tokens
from chalicelib.settings import get_settings

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SECRET = get_settings().jwt_secret.get_secret_value()


def _claims(**overrides):
    settings = get_settings()
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "u1",
        "sid": "s1",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=15)).timestamp()),
        "opr": False,
    }
    claims.update(overrides)
    return claims


def test_a_fresh_token_verifies():
    # proves: SEC-4
    token, lifetime = tokens.issue_access_token("u1", "s1", False, NOW)
    claims = tokens.verify_access_token(token, NOW + timedelta(seconds=lifetime - 1))
    assert (claims.user_id, claims.session_id, claims.is_operator) == ("u1", "s1", False)
    assert lifetime <= 3600


def test_expired_token_is_refused():
    # proves: SEC-4
    token, lifetime = tokens.issue_access_token("u1", "s1", False, NOW)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(token, NOW + timedelta(seconds=lifetime))


def test_tampered_payload_is_refused():
    # proves: SEC-4
    # Given a valid token whose payload is changed to claim operator rights
    token, _ = tokens.issue_access_token("u1", "s1", False, NOW)
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["opr"] = True
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    # Then it no longer verifies
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(f"{header}.{forged}.{signature}", NOW)


def test_alg_none_is_refused():
    # proves: SEC-4
    unsigned = jwt.encode(_claims(), key=None, algorithm="none")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(unsigned, NOW)


def test_other_algorithms_are_refused_even_with_the_right_key():
    # proves: SEC-4
    other = jwt.encode(_claims(), SECRET, algorithm="HS512")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(other, NOW)


@pytest.mark.parametrize("override", [{"aud": "someone-else"}, {"iss": "evil"}, {"sid": ""}])
def test_wrong_audience_issuer_or_session_is_refused(override):
    # proves: SEC-4
    token = jwt.encode(_claims(**override), SECRET, algorithm="HS256")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(token, NOW)


@pytest.mark.parametrize("missing", ["exp", "aud", "iss", "sub", "sid"])
def test_required_claims_must_be_present(missing):
    claims = _claims()
    del claims[missing]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(token, NOW)


def test_a_token_signed_with_another_key_is_refused():
    token = jwt.encode(_claims(), "not-our-secret-but-long-enough-000000", algorithm="HS256")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(token, NOW)


def test_refresh_tokens_are_random_and_only_their_hash_is_kept():
    token_a, hash_a = tokens.new_refresh_token("sid")
    token_b, _ = tokens.new_refresh_token("sid")
    assert token_a != token_b
    session_id, secret = tokens.split_refresh_token(token_a)
    assert session_id == "sid" and len(secret) >= 40
    assert hash_a == tokens.refresh_hash(secret) and secret not in hash_a
