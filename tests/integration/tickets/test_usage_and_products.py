"""Usage records (RET-8): a year active, then passive storage, still in the export. Products
(audited, SEC-6), the published keys and the QR image."""

from __future__ import annotations

import base64
from datetime import timedelta

from chalicelib.domain.tickets import public_keys, verify_payload
from tests.integration.tickets.helpers import auth, define_product, issue_ticket, payload_of, register_validator


def test_a_usage_record_older_than_a_year_moves_to_passive_storage_and_stays_in_the_export(
    api, clock, operator, signup, buckets
):
    # proves: RET-8
    # Given a scan of a ticket today: a usage record (validator, place, time, ticket)
    from chalicelib.aws_clients import client
    from chalicelib.privacy import export_document, sweeps
    from chalicelib.store import tickets as store

    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    validator = register_validator(api, operator, "Icherisheher station")
    scan = {"scan_id": "year-1", "payload": payload_of(api, holder, ticket_id)}
    assert api.post("/v1/validators/scans", scan, headers=auth(validator)).json["accepted"]
    assert store.get_usage(holder.user_id, validator["id"], "year-1") is not None

    # When the sweep runs a day before the year is over
    clock.advance(timedelta(days=364))
    sweeps.run(clock.now(), wall=clock.now())
    # Then the record is still active in the table
    assert store.get_usage(holder.user_id, validator["id"], "year-1") is not None

    # When it runs a day after
    clock.advance(timedelta(days=2))
    report = sweeps.run(clock.now(), wall=clock.now())
    # Then it is no longer in the table
    assert report.archived >= 1
    assert store.get_usage(holder.user_id, validator["id"], "year-1") is None
    # And it is in passive storage
    listed = client("s3").list_objects_v2(Bucket=buckets["documents"], Prefix="passive/UsageRecord/")
    keys = [entry["Key"] for entry in listed.get("Contents", [])]
    assert keys == [f"passive/UsageRecord/USER#{holder.user_id}/USAGE#{validator['id']}#year-1.json"]
    # And the holder's export still includes it, with the place and time
    document = export_document.build(holder.user_id, clock.now())
    usage = document["records"]["UsageRecord"]
    assert [(u["validator_id"], u["place"], u["outcome"], u["ticket_id"]) for u in usage] == [
        (validator["id"], "Icherisheher station", "accepted", ticket_id)
    ]
    assert "UsageRecord.place" in document["categories"]["usage"]
    # And through the API too, signed in again a year on
    from chalicelib.services import sessions
    from chalicelib.store import users

    user = users.get_user(holder.user_id)
    assert user is not None
    issued = sessions.start(user, "otp", sessions.ClientInfo(ip="t", user_agent="pytest"), clock.now())
    exported = api.post("/v1/me/exports", headers={"Authorization": f"Bearer {issued.access_token}"})
    assert exported.status in (200, 201, 202), exported.json
    assert "Icherisheher station" in exported.body.decode()


def test_products_are_defined_by_operators_audited_and_listed_publicly_while_on_sale(api, clock, operator, signup):
    # proves: SEC-6
    # Given an operator defining a day pass and a fixed-window event ticket that ends tomorrow
    from chalicelib.store import audit as audit_store

    day_pass = define_product(api, operator, kind="day_pass", minutes=24 * 60, price=300)
    event = api.post(
        "/v1/operator/ticket-products",
        {
            "name": "Jazz festival",
            "kind": "event_ticket",
            "price_minor": 1500,
            "currency": "AZN",
            "validity": {
                "type": "fixed",
                "valid_from": clock.now().isoformat(),
                "valid_until": (clock.now() + timedelta(days=1)).isoformat(),
            },
        },
        headers=operator.headers,
    )
    assert event.status == 201, event.json
    # Then each definition committed its audit record
    records = [r for r in audit_store.list_records("platform") if r.action == "ticket_product.created"]
    assert {r.target_id for r in records} == {day_pass, event.json["id"]}
    assert {r.actor for r in records} == {operator.user_id}
    # And anyone sees both on sale; a customer cannot define one
    public = api.get("/v1/ticket-products").json["items"]
    assert {p["id"] for p in public} == {day_pass, event.json["id"]}
    customer = signup()
    refused = api.post(
        "/v1/operator/ticket-products",
        {
            "name": "x",
            "kind": "single_ride",
            "price_minor": 1,
            "currency": "AZN",
            "validity": {"type": "duration", "minutes": 1},
        },
        headers=customer.headers,
    )
    assert refused.status == 403
    assert len(api.get("/v1/operator/ticket-products", headers=operator.headers).json["items"]) == 2
    # When the event's window has passed, it is no longer on sale
    clock.advance(timedelta(days=2))
    assert {p["id"] for p in api.get("/v1/ticket-products").json["items"]} == {day_pass}


def test_a_day_pass_admits_again_within_its_window(api, clock, operator, signup):
    # Given a day pass
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator, kind="day_pass", minutes=24 * 60))
    payload = payload_of(api, holder, ticket_id)
    validator = register_validator(api, operator)
    # When it is scanned three times during the day
    answers = []
    for n in range(3):
        clock.advance(timedelta(hours=2))
        answers.append(
            api.post("/v1/validators/scans", {"scan_id": f"d{n}", "payload": payload}, headers=auth(validator))
        )
    # Then each admits, and the ticket counts three uses
    assert [a.json["accepted"] for a in answers] == [True, True, True]
    from chalicelib.store import tickets as store

    ticket = store.get_ticket(ticket_id, clock.now())
    assert ticket is not None and ticket.use_count == 3 and ticket.status == "valid"


def test_the_qr_image_and_the_published_keys_let_anyone_verify_the_ticket(api, clock, operator, signup):
    # proves: WAL-2
    # Given a ticket
    holder = signup()
    ticket_id = issue_ticket(holder.user_id, define_product(api, operator))
    # When its holder fetches the QR image
    image = api.get(f"/v1/me/tickets/{ticket_id}/qr?format=svg", headers=holder.headers)
    # Then it is an SVG, and nobody else can fetch it
    assert image.status == 200 and image.header("Content-Type") == "image/svg+xml"
    assert image.body.decode().lstrip().startswith("<svg")
    assert api.get(f"/v1/me/tickets/{ticket_id}/qr", headers=signup().headers).status == 404
    # And the payload verifies with the published key it names, and only with it
    listed = api.get("/v1/tickets/keys").json["keys"]
    assert [k["algorithm"] for k in listed] == ["Ed25519"]
    raw = {k["key_id"]: base64.urlsafe_b64decode(k["public_key"] + "=") for k in listed}
    payload = payload_of(api, holder, ticket_id)
    verdict = verify_payload(payload, public_keys(raw), clock.now())
    assert verdict.accepted and verdict.claims is not None and verdict.claims.ticket_id == ticket_id
    assert len(payload) == 156


def test_erasure_deletes_tickets_and_every_usage_record_active_or_passive(
    api, clock, operator, signup, buckets, drain_jobs
):
    # proves: RET-8
    # Given a customer whose first ride is over a year old (passive storage) and a second is recent
    from chalicelib.aws_clients import client
    from chalicelib.privacy import sweeps
    from chalicelib.services import sessions
    from chalicelib.store import subjects as subject_store
    from chalicelib.store import tickets as store
    from chalicelib.store import users

    holder = signup()
    product = define_product(api, operator)
    validator = register_validator(api, operator)
    first = issue_ticket(holder.user_id, product)
    assert api.post(
        "/v1/validators/scans", {"scan_id": "e-1", "payload": payload_of(api, holder, first)}, headers=auth(validator)
    ).json["accepted"]
    clock.advance(timedelta(days=366))
    assert sweeps.run(clock.now(), wall=clock.now()).archived >= 1
    user = users.get_user(holder.user_id)
    assert user is not None
    issued = sessions.start(user, "otp", sessions.ClientInfo(ip="t", user_agent="pytest"), clock.now())
    holder.headers = {"Authorization": f"Bearer {issued.access_token}"}
    second = issue_ticket(holder.user_id, product)
    assert api.post(
        "/v1/validators/scans", {"scan_id": "e-2", "payload": payload_of(api, holder, second)}, headers=auth(validator)
    ).json["accepted"]
    passive = f"passive/UsageRecord/USER#{holder.user_id}/"
    assert client("s3").list_objects_v2(Bucket=buckets["documents"], Prefix=passive).get("KeyCount") == 1
    # When the account is deleted and the erasure job runs
    assert api.delete("/v1/me", headers=holder.headers).status == 202
    drain_jobs()
    # Then the tickets are gone, and no usage record is left, in the table or in passive storage
    assert store.get_ticket(second, clock.now()) is None
    left = {item.entity for item in subject_store.items_of(holder.user_id)}
    assert not left & {"TicketRecord", "UsageRecord"}, left
    assert store.get_usage(holder.user_id, validator["id"], "e-2") is None
    assert client("s3").list_objects_v2(Bucket=buckets["documents"], Prefix=passive).get("KeyCount") == 0
