"""The travel request's state machine (TRV-1): every pair of statuses, for each side."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.domain.travel import TRANSITIONS, InvalidTransition, RequestStatus, Side, transition

C, S = Side.CUSTOMER, Side.STAFF
# The workflow as docs/travel.md states it, written out independently of the code's table.
ALLOWED = {
    ("new", "in_review"): {S},
    ("new", "quoted"): {S},
    ("new", "cancelled"): {C, S},
    ("in_review", "quoted"): {S},
    ("in_review", "cancelled"): {C, S},
    ("quoted", "in_review"): {S},
    ("quoted", "confirmed"): {C},
    ("quoted", "cancelled"): {C, S},
    ("confirmed", "completed"): {S},
    ("confirmed", "cancelled"): {C, S},
}
EVERY_MOVE = [
    (current, target, side) for current, target in itertools.product(RequestStatus, RequestStatus) for side in Side
]


@pytest.mark.parametrize(("current", "target", "side"), EVERY_MOVE, ids=lambda v: str(getattr(v, "value", v)))
def test_only_the_listed_transitions_are_allowed_and_every_other_is_refused(current, target, side):
    # proves: TRV-1
    # Given a request in ``current`` and someone of ``side`` asking for ``target``
    listed = side in ALLOWED.get((current.value, target.value), set())
    # When the state machine is asked
    if listed:
        # Then a listed move is allowed
        assert transition(current, target, side) is target
    else:
        # Then every move it does not list is refused (409 invalid-transition)
        with pytest.raises(InvalidTransition):
            transition(current, target, side)


def test_closed_requests_go_nowhere_and_the_table_covers_every_pair():
    # Given every pair of statuses (36) for both sides: 72 moves
    assert len(EVERY_MOVE) == 72
    allowed = [(c, t, s) for c, t, s in EVERY_MOVE if s in ALLOWED.get((c.value, t.value), set())]
    # Then exactly the listed 14 moves are allowed, and none leaves completed or cancelled
    assert len(allowed) == 14
    assert not [move for move in allowed if move[0] in (RequestStatus.COMPLETED, RequestStatus.CANCELLED)]
    # and the code's table says the same as the workflow above
    assert {(c.value, t.value): set(sides) for (c, t), sides in TRANSITIONS.items()} == ALLOWED
