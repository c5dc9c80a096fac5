"""An erasure survives a point-in-time restore: the erasure log (S3) is replayed."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta

from chalicelib.aws_clients import client
from chalicelib.privacy.replay_erasures import main as replay_main
from chalicelib.settings import get_settings
from chalicelib.store import subjects as subject_store
from chalicelib.store import users


def _snapshot() -> list[dict]:
    """Every item of the table (what a point-in-time backup holds)."""
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=get_settings().resolved_table_name())
    return [item for page in pages for item in page["Items"]]


def _restore(snapshot: list[dict]) -> None:
    """Point-in-time restore: the table becomes exactly the snapshot again."""
    table = get_settings().resolved_table_name()
    for item in _snapshot():
        client("dynamodb").delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    for item in snapshot:
        client("dynamodb").put_item(TableName=table, Item=item)


def test_a_restore_to_before_an_erasure_does_not_bring_the_account_back(
    api, signup, clock, buckets, capsys, drain_jobs
):
    # proves: RIGHT-4
    # proves: RET-1
    # Given a customer with consents, and a backup taken while the account existed
    me = signup(name="Rosalind Restore", email="rosalind@example.org")
    api.put("/v1/me/consents", {"location": True}, headers=me.headers)
    backup = _snapshot()
    # And the customer then deleted the account
    assert api.delete("/v1/me", headers=me.headers).status == 202
    assert drain_jobs() >= 1  # the erasure's background job ran to completion
    clock.advance(timedelta(days=2))
    # When the table is restored to the backup, the account is back (this is the danger)
    _restore(backup)
    assert subject_store.get(users.user_pk(me.user_id), users.PROFILE).values["active"] is True
    # And the operator replays the erasure log, then the sweep runs
    assert replay_main(["--sweep"]) == 0
    assert "replayed 1 erasures" in capsys.readouterr().out
    # Then the account is closed again, its old session does not work, its data is gone again
    profile = subject_store.get(users.user_pk(me.user_id), users.PROFILE)
    assert profile is None or profile.values["active"] is False
    assert api.get("/v1/me/consents", headers=me.headers).status == 401
    left = subject_store.items_of(me.user_id)
    assert {item.entity for item in left} <= {"RegistrationRecord", "PrivacyRequest"}
    assert "rosalind@example.org" not in _text(left) and "Rosalind" not in _text(left)
    assert users.find_user_id("email", "rosalind@example.org") is None


def _text(items: list) -> str:
    """Everything the stored items hold, as one text to search."""
    return json.dumps([asdict(item) for item in items], default=str)
