"""Every list cursor is opaque and tamper-proof: one helper (chalicelib/api/pagination.py)
seals each continuation key with AES-GCM, and every route with a `cursor` parameter
refuses a cursor it did not issue for that list."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.api import pagination
from tests.support.fixtures_bookings import make_salon

ROOT = Path(__file__).resolve().parents[2]
# Values for a cursor route's other required query parameters; a new required one fails below.
REQUIRED_QUERY = {"city": "Berlin"}


def _readable(cursor: str) -> str:
    """Whatever a client can read out of a cursor, by every decoding it might try."""
    parts = [cursor]
    for piece in re.split(r"[.~]", cursor):
        with contextlib.suppress(ValueError):
            parts.append(base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)).decode("latin-1"))
    return "\n".join(parts)


def _cursor_routes(api) -> list[tuple[str, list[dict[str, object]]]]:
    routes = []
    for path, operations in api.spec["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            if path.startswith("/v1/validators/"):
                continue  # validator devices sign in with their own credentials, not a user's token
            if any(p["name"] == "cursor" and p["in"] == "query" for p in parameters):
                assert method == "get", f"{method} {path}: a cursor belongs to a list"
                routes.append((path, parameters))
    return routes


def _tampered(genuine: str) -> dict[str, str]:
    raw = bytearray(base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4)))
    raw[-1] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    plain_json = base64.urlsafe_b64encode(json.dumps({"pk": "BIZ#x", "sk": "META"}).encode()).decode()
    return {
        "one bit flipped": flipped,
        "truncated": genuine[:-6],
        "readable base64 JSON (the old privacy cursor)": plain_json,
        "another list's cursor": pagination.encode({"pk": "BIZ#x", "sk": "META"}, scope="some-other-list") or "",
        "garbage": "not-a-cursor",
    }


def test_every_route_with_a_cursor_refuses_a_tampered_one(api, clock, operator):
    # Given a signed-in operator who also owns a business, so that every list is theirs to read
    salon = make_salon(operator, clock.now())
    values = {"business_id": salon.business_id, "venue_id": salon.venue.venue_id} | REQUIRED_QUERY
    routes = _cursor_routes(api)
    assert len(routes) >= 8  # the lists at the time of writing; a new one is covered automatically
    genuine = pagination.encode({"pk": f"BIZ#{salon.business_id}", "sk": "VENUE#1"}, scope="x") or ""

    for path, parameters in routes:
        query = {}
        for parameter in parameters:
            name = str(parameter["name"])
            if parameter.get("required") and parameter["in"] == "query":
                assert name in values, f"{path}: add a value for its required query parameter {name!r}"
                query[name] = values[name]
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "0" * 26), path)  # a cursor is checked first
        for how, cursor in _tampered(genuine).items():
            # When the list is asked for with a cursor it did not issue
            answer = api.get(f"{url}?{urllib.parse.urlencode(query | {'cursor': cursor})}", headers=operator.headers)
            # Then it is refused as bad input naming the cursor, not served and not a 500
            assert answer.status in (400, 422), f"{path} with {how}: {answer.status} {answer.body[:300]!r}"
            assert answer.json["errors"][0]["field"] == "query.cursor", f"{path} with {how}"


def test_a_public_venue_cursor_reveals_no_key_material(api, clock, signup):
    # Given three venues of one business in a city, listed one per page on the public list
    owner = signup(name="Owner")
    salon = make_salon(owner, clock.now())
    for _ in range(2):
        make_salon(owner, clock.now())
    page = api.get("/v1/venues?city=Berlin&limit=1").json
    cursor = page["next_cursor"]
    assert cursor
    # When a client decodes the cursor every way it can
    readable = _readable(cursor)
    # Then it holds no key prefix, no id and no JSON
    for secret in ("BIZ#", "VENUE#", '"pk"', '"sk"', salon.business_id, '{"'):
        assert secret not in readable
    # And the cursor still works for the list it came from
    assert api.get(f"/v1/venues?city=Berlin&limit=1&cursor={cursor}").status == 200


def test_the_cursor_helper_seals_key_material_and_binds_the_scope():
    # Given a continuation key full of table key material
    key = {
        "pk": "BIZ#4f1c",
        "sk": "USER#9a7e",
        "gsi2pk": "PRIVREQS#open",
        "due": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    }
    # When it is encoded twice
    first, second = pagination.encode(key, scope="s"), pagination.encode(key, scope="s")
    assert first and second
    # Then nothing of it can be read, the two cursors differ, and each decodes only for its scope
    for secret in ("BIZ#", "4f1c", "USER#", "9a7e", "PRIVREQS", "2026"):
        assert secret not in _readable(first)
    assert first != second
    assert pagination.decode(first, scope="s") == key
    with pytest.raises(Exception, match="cursor"):
        pagination.decode(first, scope="t")


def test_every_next_cursor_in_the_api_comes_from_the_one_helper():
    # Given every place in the API layer that hands out a next_cursor
    for module in (ROOT / "chalicelib" / "api").glob("*.py"):
        for number, line in enumerate(module.read_text().splitlines(), 1):
            # Then each is built by pagination.encode (sealed), never by hand
            if re.search(r"next_cursor\s*=", line) and "next_cursor: " not in line:
                assert "pagination.encode(" in line, f"{module.name}:{number}: {line.strip()}"
        if module.name != "pagination.py":
            assert "b64" not in module.read_text(), f"{module.name} encodes something by hand"
