"""The per-order sequence policy, row by row as CONTRACT §2 states it, and the stash drain."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.sequencing import Decision, KeyState, decide, releasable, sequence_batch

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


@dataclass(frozen=True)
class Reading:
    """An event of another stream than orders: the sequencing knows only key, seq and id."""

    key: str
    sequence: int
    event_id: str


def readings(key: str, *sequences: int) -> list[Reading]:
    return [Reading(key, seq, f"{key}-{seq}") for seq in sequences]


def test_a_batch_applies_in_key_order_and_keeps_keys_apart() -> None:
    batch = sequence_batch({}, [*readings("a", 1, 2), *readings("b", 1), *readings("a", 3)])

    assert [(r.key, r.sequence) for r in batch.applied] == [("a", 1), ("a", 2), ("b", 1), ("a", 3)]
    assert (batch.duplicates, batch.late, batch.gaps, batch.stashed) == (0, 0, 0, [])


def test_a_gap_waits_in_the_stash_and_drains_when_it_closes() -> None:
    batch = sequence_batch({}, readings("a", 3, 2, 1))

    assert [r.sequence for r in batch.applied] == [1, 2, 3]
    assert (batch.gaps, batch.from_stash) == (2, 2)
    # Stashed and released within the batch: nothing for the store's stash either way.
    assert (batch.stashed, batch.released) == ([], [])


def test_the_stored_state_decides_duplicates_late_events_and_releases() -> None:
    held = readings("a", 7)[0]
    states = {"a": KeyState(last=5, stash={7: held})}

    batch = sequence_batch(states, readings("a", 5, 4, 7, 6))

    assert [r.sequence for r in batch.applied] == [6, 7]
    # 5 is the last applied, 7 already waits in the stash: both duplicates; 4 is late.
    assert (batch.duplicates, batch.late, batch.gaps) == (2, 1, 0)
    assert batch.released == [("a", 7)]
    assert states["a"] == KeyState(last=5, stash={7: held})  # the caller's state is untouched


def test_a_refused_stashed_event_leaves_unapplied_and_its_key_waits() -> None:
    states = {"a": KeyState(last=1, stash={3: readings("a", 3)[0], 4: readings("a", 4)[0]})}

    batch = sequence_batch(states, readings("a", 2), refused_event_ids={"a-3"})

    assert [r.sequence for r in batch.applied] == [2]
    assert [r.event_id for r in batch.refused] == ["a-3"]
    assert batch.released == [("a", 3)]  # 4 stays: the key now waits at the gap 3 left
