"""Stored items hold no plain OTP, password or token; logs hold none of them and no phone or e-mail."""

from __future__ import annotations

import json
import logging

from tests.integration.accounts.helpers import ORIGIN, cookie_header, cookie_jar, last_code, register_body, scan_all
from tests.support.fixtures_accounts import unique_phone

PASSWORD = "a very secret passphrase 42"


def test_sign_in_flows_leave_no_secret_in_the_table_or_the_logs(api, clock, capfd, caplog):
    # proves: SEC-1, SEC-2, SEC-4
    # Our logger at its most verbose; libraries at INFO (botocore's DEBUG wire dumps are never enabled in production)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="booking")
    phone, new_phone, email = unique_phone(), unique_phone(), "secret.person@example.org"
    secrets: list[str] = [PASSWORD]
    # Given every sign-in flow exercised once: register, password, OTP, refresh, cookie, change, failures
    registered = api.post("/v1/auth/register", register_body(phone, email=email, password=PASSWORD))
    secrets += [registered.json["access_token"], registered.json["refresh_token"]]
    login = api.post("/v1/auth/login", {"login": email, "password": PASSWORD})
    secrets += [login.json["access_token"], login.json["refresh_token"]]
    api.post("/v1/auth/login", {"login": phone, "password": PASSWORD + "x"})  # a failure, logged as such
    api.post("/v1/auth/otp", {"phone": phone})
    code = last_code(phone)
    secrets.append(code)
    verified = api.post("/v1/auth/otp/verify", {"phone": phone, "code": code})
    secrets += [verified.json["access_token"], verified.json["refresh_token"]]
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": verified.json["refresh_token"]})
    secrets += [refreshed.json["access_token"], refreshed.json["refresh_token"]]
    api.post("/v1/auth/refresh", {"refresh_token": verified.json["refresh_token"]})  # reuse: revokes, logs a warning
    cookie_login = api.post(
        "/v1/auth/login",
        {"login": phone, "password": PASSWORD, "token_delivery": "cookie"},
        headers={"Origin": ORIGIN},
    )
    jar = cookie_jar(cookie_login)
    secrets += list(jar.values())
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    api.patch("/v1/me", {"phone": new_phone}, headers=headers)
    change_code = last_code(new_phone)
    secrets.append(change_code)
    api.get("/v1/me", headers={"Cookie": cookie_header(jar)})

    # Then no stored item holds a password, code or token in plain text
    stored = json.dumps(scan_all())
    leaked = [s for s in secrets if s and s in stored]
    assert leaked == []
    # And contact data is only where it belongs: the profile (and the pending change on it)
    items_with_phone = {item["entity"]["S"] for item in scan_all() if phone in json.dumps(item)}
    assert items_with_phone == {"User"}
    # And the log output holds no secret, no phone and no e-mail
    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    assert "request" in logs  # the access log was captured
    for value in [*secrets, phone, phone.lstrip("+"), new_phone, email]:
        assert value not in logs
