"""View rebuilds: what one is, how its state may move, how far it got, where it is recorded.

The API only records a request (state RUNNING, phase QUEUED, application/rebuild/requests.py);
the process that runs the live worker claims and executes it (application/rebuild/watching.py,
runner.py), so the record in the store is the one truth that every process and every
restart sees.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class RebuildState(StrEnum):
    RUNNING = "RUNNING"
    SWAPPING = "SWAPPING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class RebuildMode(StrEnum):
    BLUE_GREEN = "blue-green"  # live views keep serving; one transaction swaps in new ones
    INPLACE = "inplace"  # stop, clear, replay: downtime; for dev and tests


class RebuildPhase(StrEnum):
    """What a RUNNING rebuild is doing; SWAPPING and DONE go with the states of those names."""

    QUEUED = "QUEUED"  # recorded, no worker has claimed it yet
    REPLAYING = "REPLAYING"  # offset 0 to the end offsets captured at start
    INDEXING = "INDEXING"  # secondary indexes and statistics of the shadow tables
    CATCHING_UP = "CATCHING_UP"  # toward the live worker's positions
    SWAPPING = "SWAPPING"
    DONE = "DONE"


ACTIVE = frozenset({RebuildState.RUNNING, RebuildState.SWAPPING})

# The whole state machine. Cancelling is only possible before the swap starts: from then on
# the live worker is paused and the swap is one transaction that either happens or not.
TRANSITIONS: dict[RebuildState, frozenset[RebuildState]] = {
    RebuildState.RUNNING: frozenset(
        {RebuildState.SWAPPING, RebuildState.SUCCEEDED, RebuildState.FAILED, RebuildState.CANCELLED}
    ),
    RebuildState.SWAPPING: frozenset({RebuildState.SUCCEEDED, RebuildState.FAILED}),
    RebuildState.SUCCEEDED: frozenset(),
    RebuildState.FAILED: frozenset(),
    RebuildState.CANCELLED: frozenset(),
}


class Rebuild(msgspec.Struct, frozen=True, kw_only=True):
    rebuild_id: str
    mode: RebuildMode
    state: RebuildState = RebuildState.RUNNING
    phase: RebuildPhase = RebuildPhase.QUEUED
    requested_at: datetime
    started_at: datetime | None = None  # when the replay began: the origin of the rate
    updated_at: datetime | None = None  # last heartbeat of the worker running it
    finished_at: datetime | None = None
    owner: str | None = None
    events_replayed: int = 0
    target_offsets: dict[int, int] = msgspec.field(default_factory=dict)
    cancel_requested: bool = False
    error: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class RebuildProgress(msgspec.Struct, frozen=True):
    events_replayed: int
    target_events: int  # records up to the end offsets captured when the replay started
    percent: float  # 100 only once the new views are live
    rate: float | None  # records per second since the replay started
    eta_seconds: float | None


def progress_of(rebuild: Rebuild) -> RebuildProgress:
    replayed, target = rebuild.events_replayed, sum(rebuild.target_offsets.values())
    succeeded = rebuild.state is RebuildState.SUCCEEDED
    if succeeded:
        percent = 100.0
    else:  # replayed overtakes target while catching up; the swap is still to come
        percent = round(min(99.9, 100 * replayed / target), 1) if target else 0.0
    rate = None
    until = rebuild.finished_at or rebuild.updated_at
    if rebuild.started_at is not None and until is not None and until > rebuild.started_at:
        rate = round(replayed / (until - rebuild.started_at).total_seconds(), 1)
    eta = None
    if succeeded:
        eta = 0.0
    elif rebuild.active and rate:
        eta = round(max(0, target - replayed) / rate, 1)
    return RebuildProgress(replayed, target, percent, rate, eta)
