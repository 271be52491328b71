"""Replaying the topic for a rebuild: between offsets, in parallel lanes, toward the live worker.

Each partition always goes to the same lane and a lane projects its batches in order, so
every order's events are applied in log order (an order lives in one partition); lanes of
different partitions overlap the projection's CPU work with the database's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import msgspec

from application.projecting import Project
from application.rebuild.errors import RebuildCancelled, RebuildFailed
from application.rebuild.model import Rebuild, RebuildPhase
from application.rebuild.ports import TopicReplay
from domain.records import RawRecord

Offsets = dict[int, int]


class RebuildRun:
    """One rebuild as its runner sees it: phase and progress, cancel and ownership flags."""

    def __init__(self, rebuild: Rebuild) -> None:
        self.rebuild = rebuild
        self.phase = RebuildPhase.REPLAYING
        self.events_replayed = 0
        self.targets: Offsets = {}
        self.cancel_requested = False
        self.lost = False
        self.cancellable = True

    def snapshot(self) -> Rebuild:
        return msgspec.structs.replace(
            self.rebuild,
            phase=self.phase,
            events_replayed=self.events_replayed,
            target_offsets=dict(self.targets),
        )

    def check(self) -> None:
        if self.lost:
            raise RebuildFailed("the rebuild is no longer recorded as running on this worker")
        if self.cancel_requested and self.cancellable:
            raise RebuildCancelled


def positions_after_replay(start: Mapping[int, int], until: Mapping[int, int]) -> Offsets:
    """The positions after replaying from `start` up to `until`."""
    return {p: max(start.get(p, 0), until.get(p, 0)) for p in {*start, *until}}


class Replayer:
    def __init__(
        self,
        topic: TopicReplay,
        project: Project,
        run: RebuildRun,
        lanes: int,
    ) -> None:
        self._topic = topic
        self._project = project
        self._run = run
        self._lanes = max(1, lanes)

    async def targets(self) -> Offsets:
        """The end offsets of now, which the first replay goes to; the run shows them."""
        first, ends = await self._topic.bounds()
        # Records deleted by retention would silently vanish from the rebuilt views.
        truncated = {p: offset for p, offset in first.items() if offset > 0}
        if truncated:
            raise RebuildFailed(
                f"the topic no longer holds its whole history (first offsets {truncated}): "
                "a rebuild would lose the orders of the deleted records"
            )
        self._run.targets = ends
        return ends

    async def between(self, start: Offsets, until: Mapping[int, int]) -> Offsets:
        behind = {p: n for p, n in start.items() if until.get(p, n) < n}
        if behind:
            raise RebuildFailed(f"live positions {dict(until)} are behind the replay at {behind}")
        # The lanes are stopped, never cancelled: a task cancelled while it waits for a pooled
        # connection can be handed one all the same (psycopg_pool), and the next rebuild's
        # statements then share it. A failed lane drains its queue; the others finish the
        # batch they hold.
        failures: list[Exception] = []
        queues = [asyncio.Queue[Sequence[RawRecord] | None](2) for _ in range(self._lanes)]
        lanes = [asyncio.create_task(self._lane(queue, failures)) for queue in queues]
        try:
            async for batch in self._topic.read(start, until):
                self._run.check()
                if failures:
                    break
                for partition, records in _by_partition(batch).items():
                    await queues[partition % self._lanes].put(records)
        finally:
            for queue in queues:
                await queue.put(None)
            await asyncio.gather(*lanes)
        if failures:
            raise failures[0]  # the first failure says what went wrong
        return positions_after_replay(start, until)

    async def _lane(
        self, queue: asyncio.Queue[Sequence[RawRecord] | None], failures: list[Exception]
    ) -> None:
        while (records := await queue.get()) is not None:
            if failures:
                continue
            try:
                self._run.check()
                await self._project(records)
            except Exception as error:
                failures.append(error)
            else:
                self._run.events_replayed += len(records)

    async def catch_up(
        self,
        positions: Offsets,
        live_positions: Callable[[], Awaitable[Offsets]],
        slack: int,
        poll_seconds: float,
        stall_seconds: float,
    ) -> Offsets:
        """Replay toward the live positions until the rest is small enough to do paused."""
        last_seen: Offsets | None = None
        waiting_since = time.monotonic()
        while True:
            self._run.check()
            live = await live_positions()
            if all(live.get(p, 0) >= n for p, n in positions.items()):
                if sum(n - positions.get(p, 0) for p, n in live.items()) <= slack:
                    return positions
                positions = await self.between(positions, live)
                continue
            # The live worker lags behind the replay: the swap needs it at least as far.
            if live != last_seen:
                last_seen, waiting_since = live, time.monotonic()
            elif time.monotonic() - waiting_since > stall_seconds:
                raise RebuildFailed(
                    f"the live worker stayed behind the replay for {stall_seconds}s"
                    f" (live positions {live}, replay positions {positions})"
                )
            await asyncio.sleep(poll_seconds)


def _by_partition(batch: Sequence[RawRecord]) -> dict[int, list[RawRecord]]:
    split: dict[int, list[RawRecord]] = {}
    for record in batch:
        split.setdefault(record.partition, []).append(record)
    return split
