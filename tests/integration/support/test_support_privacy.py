"""Surveys and support in the privacy engine: the export holds survey answers and tickets with
their messages; erasure removes the answers and keeps the correspondence pseudonymised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.surveys.test_surveys import ANSWER, _attended


def _outbox_relay(notify: Any) -> None:
    notify.relay()  # the erasure's domain event queues its job


def test_export_then_erasure_of_survey_answers_and_tickets(api, salon, customer, clock, notify, drain_jobs, buckets):
    # proves: RET-6
    # proves: REV-3
    from chalicelib.privacy import export_document
    from chalicelib.store import db, retention
    from chalicelib.store import support as support_store
    from chalicelib.store import surveys as survey_store

    # Given a customer with a survey answer and a ticket with a message
    booking_id = _attended(api, salon, customer, clock)
    assert api.post(f"/v1/bookings/{booking_id}/survey", ANSWER, headers=customer.headers).status == 201
    ticket = api.post(
        "/v1/support/tickets",
        {"subject": "Refund", "category": "payment", "message": "Please refund the difference."},
        headers=customer.headers,
    ).json["ticket"]["ticket_id"]
    # When they export their data
    document = export_document.build(customer.user_id, clock.now())
    # Then the answer, the ticket and its message are in it
    assert document["records"]["SurveyAnswer"][0]["feedback"] == ANSWER["feedback"]
    assert document["records"]["SupportTicket"][0]["subject"] == "Refund"
    assert document["records"]["SupportMessage"][0]["body"] == "Please refund the difference."
    # When they delete their account and the background job runs
    assert api.delete("/v1/me", headers=customer.headers).status == 202
    _outbox_relay(notify)
    drain_jobs()
    # Then the survey answer is gone (the venue's counters keep their anonymous counts)
    assert survey_store.get_answer(booking_id) is None
    totals = survey_store.venue_totals(salon.venue_id)
    assert totals is not None and totals.answers == 1
    # And the ticket is kept, cut from the account: no requester, not in their list, with a
    # deadline 5 years on, which its message carries too
    kept = db.get(support_store.SupportTicket, support_store.ticket_pk(ticket), support_store.TICKET_SK)
    assert kept is not None and kept.opened_by is None and kept.gsi1pk is None
    deadline = retention.due_at(kept)
    assert deadline is not None and deadline >= clock.now() + timedelta(days=1826)
    found = support_store.conversation(ticket, clock.now())
    assert found is not None and len(found.messages) == 1
    message = next(
        item
        for item in db.query(
            support_store.SupportMessage,
            support_store.ticket_pk(ticket),
            support_store.SupportMessage.sk.startswith("MSG#"),
        )
    )
    assert retention.due_at(message) == deadline
    assert support_store.tickets_of(customer.user_id, 10, None)[0] == []
