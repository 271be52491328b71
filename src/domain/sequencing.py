"""The per-order sequence policy (CONTRACT §2) and the stash that holds events across gaps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import TypeVar

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
