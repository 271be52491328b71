"""The per-order sequence policy, row by row as CONTRACT §2 states it, and the stash drain."""

from __future__ import annotations

import pytest

from domain.sequencing import Decision, decide, releasable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("last", "seq", "stashed", "decision"),
    [
        # seq == last: a redelivery of the last applied event
        (3, 3, (), Decision.DEDUP),
        (1, 1, (), Decision.DEDUP),
        (3, 3, (5,), Decision.DEDUP),
        # seq < last: an event already superseded
        (3, 2, (), Decision.SKIP),
        (3, 1, (), Decision.SKIP),
        (9, 2, (10, 12), Decision.SKIP),
        # seq == last + 1: the next event, including the first one of a new order
        (0, 1, (), Decision.APPLY),
        (3, 4, (), Decision.APPLY),
        (3, 4, (5, 6), Decision.APPLY),
        # seq > last + 1: a gap, held until it closes
        (0, 2, (), Decision.STASH),
        (3, 5, (), Decision.STASH),
        (3, 6, (5,), Decision.STASH),
        # another copy of an event already in the stash is a duplicate
        (3, 5, (5,), Decision.DEDUP),
        (0, 7, (2, 7), Decision.DEDUP),
    ],
    ids=lambda v: str(v) if not isinstance(v, tuple) else f"stash{list(v)}",
)
def test_decide_follows_the_policy_table(
    last: int, seq: int, stashed: tuple[int, ...], decision: Decision
) -> None:
    assert decide(last, seq, stashed) is decision


def test_decide_without_a_stash_treats_a_gap_as_stash() -> None:
    assert decide(1, 3) is Decision.STASH


def test_releasable_drains_the_contiguous_run_in_sequence_order() -> None:
    stash = {6: "six", 4: "four", 5: "five", 8: "eight"}

    assert releasable(3, stash) == [(4, "four"), (5, "five"), (6, "six")]


def test_releasable_stops_at_the_first_missing_sequence() -> None:
    assert releasable(3, {5: "five", 6: "six"}) == []


def test_releasable_of_an_empty_stash_is_empty() -> None:
    assert releasable(0, {}) == []


def test_releasable_does_not_change_the_stash() -> None:
    stash = {2: "two", 3: "three"}

    releasable(1, stash)

    assert stash == {2: "two", 3: "three"}
