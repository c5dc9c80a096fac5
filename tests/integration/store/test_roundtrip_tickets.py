"""Round trips through the ticket store: products, tickets (with every state a scan, a flag or a
revocation gives them), validators and usage records, at the extremes of their fields. On moto
and on DynamoDB Local."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.tickets import ProductKind, TicketProduct, TicketStatus
from chalicelib.store import db
from chalicelib.store import tickets as store

COVERS = ("TicketProductRecord", "TicketRecord", "ValidatorRecord", "UsageRecord")

AT = datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)


def _commit(add) -> None:
    tx = db.Transaction()
    add(tx)
    tx.commit()


@pytest.mark.ddblocal
@pytest.mark.parametrize("fixed", [False, True])
def test_a_product_round_trips(aws, fixed):
    product = TicketProduct(
        product_id=uuid.uuid4().hex,
        name="Ä" * 80,
        kind=ProductKind.EVENT_TICKET if fixed else ProductKind.DAY_PASS,
        price_minor=0 if fixed else 100_000_000,
        currency="AZN",
        duration=None if fixed else timedelta(minutes=366 * 24 * 60),
        valid_from=AT if fixed else None,
        valid_until=AT + timedelta(days=1) if fixed else None,
        active=True,
        created_at=AT,
    )
    _commit(lambda tx: store.add_product(tx, product))
    assert store.get_product(product.product_id) == product


@pytest.mark.ddblocal
def test_a_ticket_round_trips_through_use_flag_and_revocation(aws):
    ticket = store.Ticket(
        ticket_id=uuid.uuid4().hex,
        user_id="u" * 32,
        product_id=uuid.uuid4().hex,
        product_name="Single ride",
        kind=ProductKind.SINGLE_RIDE,
        price_minor=50,
        currency="AZN",
        not_before=AT.replace(microsecond=0),
        not_after=AT.replace(microsecond=0) + timedelta(minutes=90),
        nonce="00ff" * 4,
        status=TicketStatus.VALID,
        purchased_at=AT,
        use_count=0,
        used_at=None,
        used_validator_id=None,
        used_place=None,
        used_scan_id=None,
        double_used=False,
        flagged_at=None,
        flag_reason=None,
        revoked_at=None,
        revoke_reason=None,
        entry_balance_id="b" * 32,
        entry_sk="ENTRY#x",
    )
    _commit(lambda tx: store.add_ticket(tx, ticket))
    assert store.get_ticket(ticket.ticket_id, AT) == ticket
    assert store.list_tickets(ticket.user_id, 10, None)[0] == [ticket]
    # Used, then flagged
    scan = store.Scan("v" * 32, "Place " + "é" * 100, "s:" + "9" * 62, AT, "online")
    _commit(lambda tx: store.redeem_in(tx, ticket, scan, single_use=True))
    used = replace(
        ticket,
        status=TicketStatus.USED,
        use_count=1,
        used_at=AT,
        used_validator_id=scan.validator_id,
        used_place=scan.place,
        used_scan_id=scan.scan_id,
    )
    assert store.get_ticket(ticket.ticket_id, AT) == used
    _commit(lambda tx: store.flag_in(tx, ticket.ticket_id, "double_use", AT))
    flagged = replace(used, double_used=True, flagged_at=AT, flag_reason="double_use")
    assert store.get_ticket(ticket.ticket_id, AT) == flagged
    assert store.flagged(10, None)[0] == [flagged]
    # A second ticket refunded: on the revocation list
    other = replace(ticket, ticket_id=uuid.uuid4().hex)
    _commit(lambda tx: store.add_ticket(tx, other))
    _commit(lambda tx: store.revoke_in(tx, other.ticket_id, TicketStatus.REFUNDED, "r" * 200, AT))
    revoked = store.get_ticket(other.ticket_id, AT)
    assert revoked == replace(other, status=TicketStatus.REFUNDED, revoked_at=AT, revoke_reason="r" * 200)
    listed = store.revocations_since(AT - timedelta(seconds=1), 10, None)[0]
    assert listed == [store.Revocation(other.ticket_id, AT, other.not_after, "r" * 200)]
    # And a ticket past its retention deadline reads as gone
    assert store.get_ticket(ticket.ticket_id, store.retention_deadline(ticket.not_after)) is None


@pytest.mark.ddblocal
def test_a_validator_and_usage_records_round_trip(aws):
    validator = store.Validator(uuid.uuid4().hex, "Gate " + "x" * 75, "P" * 120, "f" * 64, True, AT)
    _commit(lambda tx: store.add_validator(tx, validator, "op"))
    assert store.get_validator(validator.validator_id) == validator
    assert store.list_validators(10, None)[0] == [validator]
    for usage in (
        store.Usage(
            "u1", store.Scan(validator.validator_id, "P", "1", AT, "offline"), "double_use", AT, "t" * 32, "Ride"
        ),
        store.Usage("u1", store.Scan(validator.validator_id, "P", "2", AT, "tap"), "accepted", AT, None, None, "c1", 0),
        store.Usage(
            "u1", store.Scan(validator.validator_id, "P", "3", AT, "tap"), "accepted", AT, card_id="c", fare_minor=10**7
        ),
    ):
        _commit(lambda tx, u=usage: store.add_usage(tx, u))
        assert store.get_usage("u1", validator.validator_id, usage.scan.scan_id) == usage
    # The same scan id twice is refused by its condition
    with pytest.raises(db.TransactionCancelled) as refused:
        _commit(lambda tx: store.add_usage(tx, usage))
    assert refused.value.failed == {"usage"}
