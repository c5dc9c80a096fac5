"""Shared steps of the ticket tests: a product, a ticket, a validator, a QR payload."""

from __future__ import annotations

from typing import Any

from chalicelib import deps
from chalicelib.store import db


def define_product(api: Any, operator: Any, *, kind: str = "single_ride", minutes: int = 90, price: int = 50) -> str:
    answer = api.post(
        "/v1/operator/ticket-products",
        {
            "name": f"{kind} {minutes} min",
            "kind": kind,
            "price_minor": price,
            "currency": "AZN",
            "validity": {"type": "duration", "minutes": minutes},
        },
        headers=operator.headers,
    )
    assert answer.status == 201, answer.json
    return str(answer.json["id"])


def issue_ticket(user_id: str, product_id: str) -> str:
    """A ticket issued straight into the table (the purchase tests go through the ledger)."""
    from chalicelib.services import tickets
    from chalicelib.store import tickets as store

    product = store.get_product(product_id)
    assert product is not None
    tx = db.Transaction()
    ticket = tickets.issue_in(tx, user_id, product, deps.clock().now())
    tx.commit()
    return ticket.ticket_id


def register_validator(api: Any, operator: Any, place: str = "Koroglu station, gate 1") -> dict[str, str]:
    answer = api.post("/v1/operator/validators", {"name": "Gate", "place": place}, headers=operator.headers)
    assert answer.status == 201, answer.json
    return {"Authorization": f"Validator {answer.json['id']}:{answer.json['secret']}", "id": answer.json["id"]}


def auth(validator: dict[str, str]) -> dict[str, str]:
    return {"Authorization": validator["Authorization"]}


def payload_of(api: Any, holder: Any, ticket_id: str) -> str:
    answer = api.get(f"/v1/me/tickets/{ticket_id}", headers=holder.headers)
    assert answer.status == 200, answer.json
    return str(answer.json["qr_payload"])
