"""What running a rebuild needs from the outside world (the rebuild record: model.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from application.rebuild.model import Rebuild, RebuildState
from domain.records import RawRecord


class SwapSession(Protocol):
    """A transaction that holds the live views against writers (and, briefly, readers)."""

    async def live_positions(self) -> dict[int, int]:
        """The live consumer group's stored positions; they cannot move while this is open."""
        ...

    async def swap(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        """Make the shadow tables the live ones, set the live positions to `positions` and
        record the rebuild SUCCEEDED: all of it is visible when the session ends, or nothing."""
        ...


class ShadowViews(Protocol):
    async def create(self) -> None:
        """Empty shadow tables shaped like the live ones, with just the indexes that writing
        needs, and no replay positions; leftovers of an earlier rebuild are dropped first."""
        ...

    async def complete(self) -> None:
        """Give the shadow tables the rest of the live tables' indexes, and statistics."""
        ...

    async def drop(self) -> None:
        """Drop the shadow tables and the replay positions, if there are any."""
        ...

    def swap(self) -> AbstractAsyncContextManager[SwapSession]:
        """A transaction that holds the live views; SwapContended when it cannot."""
        ...

    async def clear_live(self) -> None:
        """In-place rebuilds only: empty the live views, their stash and live positions."""
        ...


class TopicReplay(Protocol):
    """The topic read from any offsets, outside any consumer group."""

    async def bounds(self) -> tuple[dict[int, int], dict[int, int]]:
        """The first and the end offset of every partition, as the broker has them now."""
        ...

    def read(
        self, start: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[Sequence[RawRecord]]:
        """Batches of every record from `start` up to, not including, `until`, per partition
        (offset 0 where `start` has none); ends when every partition has reached `until`."""
        ...


OpenReplay = Callable[[], AbstractAsyncContextManager[TopicReplay]]


class BulkReplay(Protocol):
    """The long first replay, offset 0 to the end offsets of the start, somewhere it does not
    take the event loop from the API and the live worker (another process)."""

    async def __call__(
        self,
        start: Mapping[int, int],
        until: Mapping[int, int],
        progress: Callable[[int], None],
        cancelled: Callable[[], bool],
    ) -> None:
        """Replay into the shadow views; `progress(n)`: n records replayed so far. Returns
        when done; stops (and raises) soon after `cancelled()` turns true."""
        ...


class LiveWorker(Protocol):
    """The live consume loop of this process."""

    def paused(self, reposition: bool = False) -> AbstractAsyncContextManager[None]:
        """Entered once the batch in flight is written and no other will start; on exit the
        worker resumes (first seeking to the stored positions when `reposition`)."""
        ...


class RebuildLog(Protocol):
    """Where rebuilds are recorded: shared by the API and the worker, survives restarts."""

    async def add(self, rebuild: Rebuild) -> Rebuild | None:
        """Record `rebuild` unless another one is active; return that other one then."""
        ...

    async def get(self, rebuild_id: str) -> Rebuild | None: ...

    async def request_cancel(self, rebuild_id: str) -> Rebuild | None:
        """Flag a RUNNING rebuild for cancelling (one no worker claimed yet is CANCELLED at
        once); return the rebuild as it is now, or None when there is no such rebuild."""
        ...

    async def expire_stale(self) -> None:
        """Mark FAILED every active rebuild whose worker stopped heartbeating (or that no
        worker claimed) within the configured time, by the store's clock."""
        ...

    async def claim(self, owner: str) -> Rebuild | None:
        """The oldest rebuild no worker has claimed, now owned by `owner` (phase REPLAYING)."""
        ...

    async def heartbeat(self, rebuild: Rebuild) -> Rebuild | None:
        """Store the owner's phase and progress; return the stored rebuild (to see a cancel
        request), or None when it is no longer active under this owner."""
        ...

    async def move(self, rebuild: Rebuild, state: RebuildState, error: str | None = None) -> bool:
        """Move the owner's rebuild to `state` if the state machine allows it; entering
        SWAPPING also requires that no cancel was requested. False when it did not move."""
        ...
