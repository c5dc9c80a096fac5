"""The local fake payment provider (infra/local/payments_fake.py): "paying" a top-up's page
delivers the signed webhook over real HTTP to the local API server, which credits it once."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from infra.local.api_server import create_server
from infra.local.payments_fake import FakePaymentProvider
from tests.integration.wallet.helpers import CARD_NUMBER


@pytest.fixture
def provider(aws: str) -> Iterator[FakePaymentProvider]:
    server = create_server("127.0.0.1", 0)  # the local API on loopback, an ephemeral port
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    fake = FakePaymentProvider(f"http://127.0.0.1:{server.server.server_address[1]}", "127.0.0.1", 0)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
        server.server.shutdown()
        server.server.server_close()


def _post(url: str) -> dict:
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def test_paying_on_the_fake_provider_credits_the_top_up_once(api, signup, clock, provider):
    # proves: WAL-1
    clock.advance(datetime.now(UTC) - clock.now())  # the fake signs with the wall clock
    # Given a user who started a top-up of 2.50 AZN
    user = signup()
    started = api.post("/v1/me/wallet/top-ups", {"amount_minor": 250}, headers=user.headers).json
    query = urlsplit(started["payment_url"]).query
    # When the user "pays" on the provider's page twice (a double click)
    page = urllib.request.urlopen(f"{provider.base_url}/pay?{query}", timeout=10).read()  # noqa: S310
    first = _post(f"{provider.base_url}/pay?{query}")
    second = _post(f"{provider.base_url}/pay?{query}")
    # Then the page offered the button, the webhook arrived signed, and it credited once
    assert b"<button>Pay</button>" in page
    assert first["delivered"] == 200 and not first["answer"]["replayed"]
    assert second["delivered"] == 200 and second["answer"]["replayed"]
    assert api.get("/v1/me/wallet", headers=user.headers).json["balance_minor"] == 250
    # And a kiosk cash top-up of a linked card arrives the same way, with its means
    card_id = api.post("/v1/me/cards", {"card_number": CARD_NUMBER}, headers=user.headers).json["card_id"]
    kiosk = _post(f"{provider.base_url}/kiosk?card_number={CARD_NUMBER}&amount_minor=100&currency=AZN")
    assert kiosk["delivered"] == 200
    entries = api.get(f"/v1/me/wallet/entries?card_id={card_id}", headers=user.headers).json["items"]
    assert [(e["amount_minor"], e["means"]) for e in entries] == [(100, "kiosk_cash")]
