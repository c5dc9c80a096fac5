"""Round trips of the survey and support items (store/surveys.py, store/support.py): what is
written reads back exactly, at the codec's extremes, on DynamoDB Local too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.support import TicketCategory, TicketStatus
from chalicelib.domain.surveys import Answer
from chalicelib.store import db
from chalicelib.store import support as support_store
from chalicelib.store import surveys as survey_store

COVERS = (
    "SurveyAnswer",
    "SurveyVenueTotals",
    "SurveyPriceTotals",
    "SupportTicket",
    "SupportMessage",
    "SupportAttachment",
    "CallRecording",
)

YEAR_837 = datetime(837, 7, 7, 5, 44, 10, 123456, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 20, 23, 59, 59, 999999, tzinfo=UTC)
TEXT = "Ä" + "n" * 1998 + "ß"


@pytest.mark.ddblocal
@pytest.mark.parametrize("full", [False, True])
def test_a_survey_answer_and_its_counters_round_trip(aws, full):
    answer = Answer(True, TEXT, 0, 100_000_000, "EUR") if full else Answer(False, None, None, None, None)
    tx = db.Transaction()
    survey_store.add_answer(
        tx, booking_id="b1", business_id="biz", venue_id="v1", user_id="u1", answer=answer, via="link", now=YEAR_837
    )
    tx.commit()
    stored = survey_store.get_answer("b1")
    assert stored is not None
    assert (stored.answer, stored.via, stored.answered_at, stored.user_id) == (answer, "link", YEAR_837, "u1")
    totals = survey_store.venue_totals("v1")
    assert totals is not None and (totals.answers, totals.attended) == (1, int(full))
    assert totals.gaps == ({"EUR": (1, 100_000_000)} if full else {})
    assert survey_store.venues_page(10, None) == (["v1"], None)


@pytest.mark.ddblocal
def test_a_ticket_with_messages_attachments_and_a_recording_round_trips(aws):
    ticket = support_store.Ticket(
        ticket_id="t1",
        opened_by="u1",
        opened_as="customer",
        business_id=None,
        booking_id="b1",
        subject=TEXT[:200],
        category=TicketCategory.COMPLAINT,
        status=TicketStatus.OPEN,
        assignee_id=None,
        opened_at=YEAR_837,
        updated_at=YEAR_837,
        first_response_due=YEAR_9999,
        first_response_at=None,
        closed_at=None,
        message_count=1,
        attachment_count=0,
        version=1,
    )
    tx = db.Transaction()
    support_store.add_ticket(tx, ticket, "m1", TEXT)
    support_store.add_attachment(
        tx,
        "t1",
        "a1",
        file_name="ä.pdf",
        content_type="application/pdf",
        declared_bytes=10,
        uploaded_as="requester",
        at=YEAR_837,
    )
    tx.commit()
    recording = support_store.add_recording(
        "t1", "r1", content_type="audio/mpeg", size_bytes=5, uploaded_by="op", at=YEAR_837, keep_until=YEAR_9999
    )
    found = support_store.conversation("t1", YEAR_837)
    assert found is not None
    assert found.ticket == ticket
    assert [(m.message_id, m.author_role, m.author_id, m.body, m.created_at) for m in found.messages] == [
        ("m1", "requester", None, TEXT, YEAR_837)
    ]
    [attachment] = found.attachments
    assert (attachment.file_name, attachment.state, attachment.size_bytes, attachment.declared_bytes) == (
        "ä.pdf",
        "pending",
        None,
        10,
    )
    assert found.recordings == [recording]
    assert support_store.mark_attachment_ready("t1", "a1", 9) is True
    assert support_store.mark_attachment_ready("t1", "a1", 9) is False
    assert support_store.tickets_of("u1", 10, None)[0] == [ticket]
    assert support_store.queue(TicketStatus.OPEN, 10, None)[0] == [ticket]
