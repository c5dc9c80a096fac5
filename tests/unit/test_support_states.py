"""The support ticket state machine (chalicelib/domain/support.py): table-driven, every pair."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.domain import support
from chalicelib.domain.support import TicketStatus

ALLOWED = {
    (TicketStatus.OPEN, TicketStatus.WAITING_ON_CUSTOMER),
    (TicketStatus.OPEN, TicketStatus.RESOLVED),
    (TicketStatus.OPEN, TicketStatus.CLOSED),
    (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.OPEN),
    (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED),
    (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.CLOSED),
    (TicketStatus.RESOLVED, TicketStatus.OPEN),
    (TicketStatus.RESOLVED, TicketStatus.CLOSED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(TicketStatus, TicketStatus)))
def test_every_listed_transition_is_allowed_and_every_other_refused(current, target):
    # proves: RET-6
    # Given a ticket in ``current`` / When it is moved to ``target``
    if (current, target) in ALLOWED:
        # Then a listed move succeeds
        assert support.transition(current, target) is target
    else:
        # Then anything else, staying put included, is a 409 ticket-state
        with pytest.raises(support.InvalidTicketTransition) as refused:
            support.transition(current, target)
        assert refused.value.slug == "ticket-state"


def test_the_table_is_exactly_the_documented_one_and_closed_is_final():
    listed = {(a, b) for a, targets in support.TRANSITIONS.items() for b in targets}
    assert listed == ALLOWED
    assert support.TRANSITIONS[TicketStatus.CLOSED] == frozenset()


def test_a_requester_reply_reopens_a_ticket_waiting_on_them_and_a_closed_one_refuses():
    assert support.after_requester_message(TicketStatus.WAITING_ON_CUSTOMER) is TicketStatus.OPEN
    assert support.after_requester_message(TicketStatus.RESOLVED) is TicketStatus.OPEN
    assert support.after_requester_message(TicketStatus.OPEN) is TicketStatus.OPEN
    with pytest.raises(support.TicketClosed):
        support.after_requester_message(TicketStatus.CLOSED)
