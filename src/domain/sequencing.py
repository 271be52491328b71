"""The per-key sequence policy (CONTRACT §2), the stash that holds events across gaps, and a
batch of a stream's events sequenced in memory: which apply, in what order, which wait.

Generic over what a stream carries: every view of a stream folds the same applied events, so
all of them share one decision per event.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Decision(StrEnum):
    APPLY = "apply"
    DEDUP = "dedup"
    SKIP = "skip"  # a late event (seq < last): nothing changes, counted as kind="late"
    STASH = "stash"


def decide(last: int, seq: int, stashed: Collection[int] = ()) -> Decision:
    """What to do with event `seq` of an order whose last applied sequence is `last`."""
    if seq == last:
        return Decision.DEDUP
    if seq < last:
        return Decision.SKIP
    if seq == last + 1:
        return Decision.APPLY
    if seq in stashed:
        return Decision.DEDUP
    return Decision.STASH


def releasable(last: int, stash: Mapping[int, T]) -> list[tuple[int, T]]:
    """Stashed events that are contiguous after `last`, in the order they must be applied."""
    released: list[tuple[int, T]] = []
    seq = last + 1
    while seq in stash:
        released.append((seq, stash[seq]))
        seq += 1
    return released


class Sequenced(Protocol):
    """What the policy needs of an accepted event: its key, its sequence and its eventId."""

    @property
    def key(self) -> str: ...

    @property
    def sequence(self) -> int: ...

    @property
    def event_id(self) -> str: ...


E = TypeVar("E", bound=Sequenced)


@dataclass
class KeyState(Generic[E]):
    """What the stream knows of one key: its last applied sequence (0: none) and its stash."""

    last: int = 0
    stash: dict[int, E] = field(default_factory=dict)


@dataclass
class SequencedBatch(Generic[E]):
    """The decisions on one batch: `applied` in the order the views must fold them."""

    applied: list[E] = field(default_factory=list)
    stashed: list[E] = field(default_factory=list)
    released: list[tuple[str, int]] = field(default_factory=list)  # (key, seq) left the stash
    # Stashed events taken out unapplied because their eventId was refused (see sequence_batch).
    refused: list[E] = field(default_factory=list)
    duplicates: int = 0
    late: int = 0
    gaps: int = 0
    # Applied from the stash once its gap closed (counted in `gaps` when it arrived).
    from_stash: int = 0


def sequence_batch(
    states: Mapping[str, KeyState[E]],
    events: Iterable[E],
    refused_event_ids: Collection[str] = (),
) -> SequencedBatch[E]:
    """Decide every event of a batch in delivery order, from copies of `states` (missing = a
    new key). A stashed event whose eventId is in `refused_event_ids` is not released when
    its gap closes: it leaves the stash unapplied (`refused`) and its key waits there."""
    batch: SequencedBatch[E] = SequencedBatch()
    applied = batch.applied
    stashed: dict[tuple[str, int], E] = {}
    # Plain dicts rather than a KeyState per key: this loop is the ingest's hot path.
    last_of: dict[str, int] = {}
    stash_of: dict[str, dict[int, E]] = {}
    for event in events:
        key, seq = event.key, event.sequence
        last = last_of.get(key)
        if last is None:
            given = states.get(key)
            last, stash = (0, {}) if given is None else (given.last, dict(given.stash))
            stash_of[key] = stash
        else:
            stash = stash_of[key]
        match decide(last, seq, stash):
            case Decision.APPLY:
                applied.append(event)
                last = seq
                if stash:
                    for held_seq, held in releasable(seq, stash):
                        del stash[held_seq]
                        if stashed.pop((key, held_seq), None) is None:
                            batch.released.append((key, held_seq))
                        if held.event_id in refused_event_ids:
                            batch.refused.append(held)
                            break
                        applied.append(held)
                        batch.from_stash += 1
                        last = held_seq
            case Decision.DEDUP:
                batch.duplicates += 1
            case Decision.SKIP:
                batch.late += 1
            case Decision.STASH:
                batch.gaps += 1
                stash[seq] = stashed[(key, seq)] = event
        last_of[key] = last
    batch.stashed = list(stashed.values())
    return batch
