"""In-memory stand-ins for the rebuild ports, with the semantics of the Postgres adapters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from adapters.memory.stand_ins import (
    MemoryTopic,
)
from adapters.memory.views import MemoryViewStore
from application.ports import (
    BatchWrite,
    Position,
)
from application.rebuild.model import (
    ACTIVE,
    TRANSITIONS,
    Rebuild,
    RebuildPhase,
    RebuildState,
)
from application.rebuild.ports import RebuildLog, ShadowViews, TopicReplay
from domain.batch import BatchResult, BatchTally
from domain.records import RawRecord

TOPIC = "orders.events"
GROUP = "streamview-orders"
REPLAY_GROUP = f"{GROUP}#rebuild"

replace = msgspec.structs.replace


class MemoryRebuildLog:
    """Implements RebuildLog; `now` is the store's clock, moved by tests."""

    def __init__(self, stale_after: timedelta = timedelta(seconds=15)) -> None:
        self.rows: dict[str, Rebuild] = {}
        self.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
        self.stale_after = stale_after

    async def add(self, rebuild: Rebuild) -> Rebuild | None:
        active = [r for r in self.rows.values() if r.active]
        if active:
            return active[0]
        self.rows[rebuild.rebuild_id] = replace(rebuild, requested_at=self.now)
        return None

    async def get(self, rebuild_id: str) -> Rebuild | None:
        return self.rows.get(rebuild_id)

    async def request_cancel(self, rebuild_id: str) -> Rebuild | None:
        row = self.rows.get(rebuild_id)
        if row is not None and row.state is RebuildState.RUNNING:
            if row.owner is None:
                row = replace(row, state=RebuildState.CANCELLED, finished_at=self.now)
            row = self.rows[rebuild_id] = replace(row, cancel_requested=True)
        return row

    async def expire_stale(self) -> None:
        for row in list(self.rows.values()):
            seen = row.updated_at or row.requested_at
            if row.active and self.now - seen > self.stale_after:
                why = (
                    "no worker claimed it"
                    if row.owner is None
                    else f"its worker {row.owner} stopped heartbeating"
                )
                self.rows[row.rebuild_id] = replace(
                    row, state=RebuildState.FAILED, error=why, finished_at=self.now
                )

    async def claim(self, owner: str) -> Rebuild | None:
        queued = [r for r in self.rows.values() if r.active and r.owner is None]
        if not queued:
            return None
        row = min(queued, key=lambda r: r.requested_at)
        row = replace(
            row, owner=owner, phase=RebuildPhase.REPLAYING, started_at=self.now, updated_at=self.now
        )
        self.rows[row.rebuild_id] = row
        return row

    async def heartbeat(self, rebuild: Rebuild) -> Rebuild | None:
        row = self.rows.get(rebuild.rebuild_id)
        if row is None or row.state not in ACTIVE or row.owner != rebuild.owner:
            return None
        row = self.rows[row.rebuild_id] = replace(
            row,
            phase=rebuild.phase,
            events_replayed=rebuild.events_replayed,
            target_offsets=rebuild.target_offsets,
            updated_at=self.now,
        )
        return row

    async def move(self, rebuild: Rebuild, state: RebuildState, error: str | None = None) -> bool:
        row = self.rows.get(rebuild.rebuild_id)
        if row is None or row.owner != rebuild.owner or state not in TRANSITIONS[row.state]:
            return False
        if state is RebuildState.SWAPPING and row.cancel_requested:
            return False
        finished = None if state in ACTIVE else self.now
        self.rows[row.rebuild_id] = replace(
            row,
            state=state,
            phase=rebuild.phase,
            events_replayed=rebuild.events_replayed,
            target_offsets=rebuild.target_offsets,
            error=error,
            finished_at=finished,
            updated_at=self.now,
        )
        return True


class SwappableStore:
    """The live ViewStore/OrderReader: whichever MemoryViewStore is live now."""

    def __init__(self, store: MemoryViewStore) -> None:
        self.live = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.live, name)


async def set_positions(
    store: MemoryViewStore, group: str, topic: str, at: Mapping[int, int]
) -> None:
    empty = BatchResult([], [], [], [], BatchTally())
    positions = tuple(Position(topic, p, n) for p, n in at.items())
    await store.in_transaction(lambda tx: tx.save(BatchWrite(group, empty, positions)))


class MemoryShadowViews:
    """Implements ShadowViews over MemoryViewStores; `shadow` is what the replay writes to."""

    def __init__(self, live: SwappableStore, log: MemoryRebuildLog, group: str, topic: str):
        self.live, self.log, self.group, self.topic = live, log, group, topic
        self.shadow: MemoryViewStore | None = None
        self.events: list[str] = []
        self.fail_swap = False

    def shadow_store(self) -> MemoryViewStore:
        assert self.shadow is not None, "the shadow tables do not exist"
        return self.shadow

    async def create(self) -> None:
        self.shadow = MemoryViewStore()
        self.events.append("create")

    async def complete(self) -> None:
        self.events.append("complete")

    async def drop(self) -> None:
        if self.shadow is not None:
            self.events.append("drop")
        self.shadow = None

    async def clear_live(self) -> None:
        self.live.live = MemoryViewStore()
        self.events.append("clear_live")

    @contextlib.asynccontextmanager
    async def swap(self) -> AsyncIterator[MemorySwap]:
        yield MemorySwap(self)


class MemorySwap:
    def __init__(self, views: MemoryShadowViews) -> None:
        self._views = views

    async def live_positions(self) -> dict[int, int]:
        positions: dict[int, int] = await self._views.live.positions(
            self._views.group, self._views.topic
        )
        return positions

    async def swap(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        views = self._views
        if views.fail_swap:
            raise RuntimeError("swap failed")
        new = views.shadow_store()
        await set_positions(new, views.group, views.topic, positions)
        row = views.log.rows[rebuild_id]
        assert row.state is RebuildState.SWAPPING, row.state
        views.log.rows[rebuild_id] = replace(
            row, state=RebuildState.SUCCEEDED, phase=RebuildPhase.DONE, finished_at=views.log.now
        )
        views.live.live, views.shadow = new, None
        views.events.append(f"swap {rebuild_id}")


class MemoryReplay:
    """Implements TopicReplay over a MemoryTopic."""

    def __init__(self, topic: MemoryTopic, batch: int = 7) -> None:
        self.topic, self.batch = topic, batch
        self.first_offsets: dict[int, int] = {}
        self.batches = 0
        # Called after each batch is consumed (tests produce or cancel there); the sleep lets
        # the other tasks (live worker, heartbeat) run between batches, as real I/O would.
        self.after_batch: Callable[[int], Awaitable[None]] | None = None

    async def bounds(self) -> tuple[dict[int, int], dict[int, int]]:
        ends = await self.topic.end_offsets(self.topic.name)
        return {p: self.first_offsets.get(p, 0) for p in ends}, ends

    async def read(
        self, start: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[Sequence[RawRecord]]:
        for partition, end in sorted(until.items()):
            offset = start.get(partition, 0)
            while offset < end:
                records = self.topic.read(partition, offset, min(self.batch, end - offset))
                offset += len(records)
                yield records
                self.batches += 1
                if self.after_batch is not None:
                    await self.after_batch(self.batches)
                await asyncio.sleep(0.001)

    def opener(self) -> Callable[[], contextlib.AbstractAsyncContextManager[MemoryReplay]]:
        @contextlib.asynccontextmanager
        async def open_replay() -> AsyncIterator[MemoryReplay]:
            yield self

        return open_replay


def _stand_in_for_the_ports(topic: MemoryTopic) -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    log: RebuildLog = MemoryRebuildLog()
    live = SwappableStore(MemoryViewStore())
    shadow: ShadowViews = MemoryShadowViews(live, MemoryRebuildLog(), GROUP, TOPIC)
    replay: TopicReplay = MemoryReplay(topic)
    del log, shadow, replay
