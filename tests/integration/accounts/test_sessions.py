"""Sessions (SEC-4): password sign-in, rotating refresh with family revocation, logout,
__Host- cookies for browsers with an Origin check on state changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.store import sessions as session_store
from tests.integration.accounts.helpers import ORIGIN, cookie_header, cookie_jar, register_body, set_cookies
from tests.support.fixtures_accounts import unique_phone

PASSWORD = "correct horse battery staple"


@pytest.fixture
def member(api, clock):
    """An account with a phone, an e-mail and a password (one bcrypt hash)."""
    phone = unique_phone()
    response = api.post("/v1/auth/register", register_body(phone, email="grace@example.org", password=PASSWORD))
    assert response.status == 201, response.body
    return {"phone": phone, "email": "grace@example.org", "user_id": response.json["user_id"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_sign_in_by_phone_or_email_and_wrong_password(api, member):
    # proves: SEC-1
    # When the right password is given with the phone, and with the e-mail in another case
    by_phone = api.post("/v1/auth/login", {"login": member["phone"], "password": PASSWORD})
    by_email = api.post("/v1/auth/login", {"login": "GRACE@example.org", "password": PASSWORD})
    # Then both sign in the same account, and the access token works
    assert by_phone.status == 200 and by_email.status == 200
    assert by_phone.json["user_id"] == by_email.json["user_id"] == member["user_id"]
    assert api.get("/v1/me", headers=bearer(by_phone.json["access_token"])).json["user_id"] == member["user_id"]
    # And a wrong password or an unknown login get the same 401
    wrong = api.post("/v1/auth/login", {"login": member["phone"], "password": PASSWORD + "!"})
    unknown = api.post("/v1/auth/login", {"login": "nobody@example.org", "password": PASSWORD})
    assert wrong.status == unknown.status == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_refresh_rotates_and_reuse_revokes_the_whole_family(api, signup):
    # proves: SEC-4
    # Given a session and one refresh
    person = signup(name="Rotating")
    first = api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token})
    assert first.status == 200 and first.json["refresh_token"] != person.refresh_token
    # When the already used (first) refresh token is presented again (a stolen copy)
    replay = api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token})
    # Then it is refused, and so is the legitimate newest token: the family is revoked
    assert replay.status == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": first.json["refresh_token"]}).status == 401
    # And the access tokens of that session stop working at once
    assert api.get("/v1/me", headers=bearer(first.json["access_token"])).status == 401
    assert session_store.get(first.json["refresh_token"].split(".")[0]).revoke_reason == "refresh_reuse"


def test_a_stranger_who_knows_the_session_id_cannot_revoke_the_session(api, signup):
    # proves: SEC-4
    # Given a live session, whose id anyone holding one of its access tokens can read
    person = signup(name="Targeted")
    session_id = person.refresh_token.split(".")[0]
    # When a stranger presents that session id with secrets it never issued
    for guess in ["anything", "x" * 43, person.refresh_token.split(".")[1][::-1]]:
        assert api.post("/v1/auth/refresh", {"refresh_token": f"{session_id}.{guess}"}).status == 401
    # Then nothing was revoked: the owner's access and refresh tokens still work
    assert session_store.get(session_id).revoked_at is None
    assert api.get("/v1/me", headers=bearer(person.access_token)).status == 200
    renewed = api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token})
    assert renewed.status == 200
    # And a guess after a rotation does not revoke either, while the replaced genuine token does
    assert api.post("/v1/auth/refresh", {"refresh_token": f"{session_id}.guess"}).status == 401
    assert session_store.get(session_id).revoked_at is None
    assert api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token}).status == 401
    assert session_store.get(session_id).revoke_reason == "refresh_reuse"


def test_garbage_or_unknown_refresh_tokens_are_refused(api, signup):
    signup()
    for token in ["garbage", "nosuchsession.secret", "." * 5]:
        assert api.post("/v1/auth/refresh", {"refresh_token": token}).status == 401


def test_access_token_expires_and_refresh_token_outlives_it(api, signup, clock):
    # proves: SEC-4
    person = signup()
    clock.advance(timedelta(minutes=16))
    assert api.get("/v1/me", headers=person.headers).status == 401
    renewed = api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token})
    assert renewed.status == 200
    assert api.get("/v1/me", headers=bearer(renewed.json["access_token"])).status == 200
    # After the refresh lifetime nothing works any more
    clock.advance(timedelta(days=31))
    assert api.post("/v1/auth/refresh", {"refresh_token": renewed.json["refresh_token"]}).status == 401


def test_logout_revokes_access_and_refresh(api, signup):
    # proves: SEC-4
    person = signup()
    assert api.post("/v1/auth/logout", headers=person.headers).status == 204
    assert api.get("/v1/me", headers=person.headers).status == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": person.refresh_token}).status == 401


def test_missing_or_malformed_authorization_is_401(api, signup):
    signup()
    assert api.get("/v1/me").status == 401
    assert api.get("/v1/me", headers={"Authorization": "Basic abc"}).status == 401
    assert api.get("/v1/me", headers={"Authorization": "Bearer not.a.jwt"}).status == 401


def test_browser_session_uses_host_cookies_and_refuses_foreign_origins(api, member):
    # proves: SEC-4
    # When a browser signs in asking for cookies (from the allowed origin)
    response = api.post(
        "/v1/auth/login",
        {"login": member["phone"], "password": PASSWORD, "token_delivery": "cookie"},
        headers={"Origin": ORIGIN},
    )
    # Then the tokens are in __Host- HttpOnly Secure SameSite cookies, not in the body
    assert response.status == 200
    assert response.json.get("access_token") is None and response.json.get("refresh_token") is None
    cookies = set_cookies(response)
    assert {c.split("=", 1)[0] for c in cookies} == {"__Host-access", "__Host-refresh"}
    for cookie in cookies:
        for attribute in ("Path=/", "HttpOnly", "Secure", "SameSite=Strict"):
            assert attribute in cookie
        assert "Domain" not in cookie
    jar = cookie_jar(response)
    # And a cookie-authenticated read works from anywhere (no state change)
    assert api.get("/v1/me", headers={"Cookie": cookie_header(jar)}).status == 200
    # But a cookie-authenticated state change from a foreign or missing Origin is refused
    change = {"name": "Changed"}
    foreign = api.patch("/v1/me", change, headers={"Cookie": cookie_header(jar), "Origin": "https://evil.example"})
    missing = api.patch("/v1/me", change, headers={"Cookie": cookie_header(jar)})
    assert foreign.status == missing.status == 403
    assert api.get("/v1/me", headers={"Cookie": cookie_header(jar)}).json["name"] == "Ada Example"
    # And from the allowed origin it is accepted
    same = api.patch("/v1/me", change, headers={"Cookie": cookie_header(jar), "Origin": ORIGIN})
    assert same.status == 200 and same.json["name"] == "Changed"
    # And the refresh cookie rotates only from the allowed origin
    assert api.post("/v1/auth/refresh", {}, headers={"Cookie": cookie_header(jar)}).status == 403
    rotated = api.post("/v1/auth/refresh", {}, headers={"Cookie": cookie_header(jar), "Origin": ORIGIN})
    assert rotated.status == 200 and cookie_jar(rotated)["__Host-refresh"] != jar["__Host-refresh"]
    # And logout clears the cookies and ends the session
    new_jar = cookie_jar(rotated)
    out = api.post("/v1/auth/logout", headers={"Cookie": cookie_header(new_jar), "Origin": ORIGIN})
    assert out.status == 204
    assert all("Max-Age=0" in c for c in set_cookies(out))
    assert api.get("/v1/me", headers={"Cookie": cookie_header(new_jar)}).status == 401


def test_cookie_sign_in_from_a_foreign_origin_is_refused(api, member):
    # A foreign page cannot plant its own session in the user's browser (login CSRF)
    response = api.post(
        "/v1/auth/login",
        {"login": member["phone"], "password": PASSWORD, "token_delivery": "cookie"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert set_cookies(response) == []
