"""Implements ConsumerSource over a MemoryTopic: the in-memory demo runs the real ConsumeTopic.

One member in its group: at the first fetch it is given every partition of the topic
(`assign` lets a test play the group coordinator instead, and move partitions around).
Started while the topic is switched off, it raises `Unavailable`, as a consumer does whose
broker is away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence, Set

from adapters.memory.topic import MemoryTopic
from application.errors import Unavailable
from application.ports import PartitionListener, Position
from domain.records import RawRecord

# An empty fetch waits this long at most (Kafka's long poll), so that an idle loop sleeps.
IDLE_FETCH_SECONDS = 0.05


class MemoryRecordSource:
    def __init__(
        self,
        topic: MemoryTopic,
        broker_committed: Mapping[int, int] | None = None,
        assign_all: bool = True,
    ) -> None:
        self.topic = topic
        self.listener: PartitionListener | None = None
        self.assigned: set[int] = set()
        self.paused: set[int] = set()
        # Where a real consumer starts a partition before any seek: Kafka's committed offset.
        self.broker_committed = dict(broker_committed or {})
        self.next_offset: dict[int, int] = {}
        self.commits: list[tuple[Position, ...]] = []
        self._assign_all = assign_all
        self._first_assignment = asyncio.Event()
        self.started = self.stopped = False

    async def start(self) -> None:
        if not self.topic.reachable:
            raise Unavailable(f"{self.topic.service} is switched off")
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, listener: PartitionListener) -> None:
        self.listener = listener

    async def assign(self, partitions: Set[int]) -> None:
        while self.listener is None:
            await asyncio.sleep(0)
        await self.listener.partitions_revoked(set(self.assigned))
        self.assigned, self.paused = set(partitions), set()
        self.next_offset = {p: self.broker_committed.get(p, 0) for p in partitions}
        await self.listener.partitions_assigned(set(partitions))
        self._first_assignment.set()

    async def fetch(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        if self._assign_all and not self._first_assignment.is_set():
            await self.assign(set(range(self.topic.partitions)))
        await self._first_assignment.wait()  # as aiokafka's getmany before the first join
        await asyncio.sleep(0.001)
        records: list[RawRecord] = []
        for p in sorted(self.assigned - self.paused):
            chunk = self.topic.read(p, self.next_offset[p], max_records - len(records))
            self.next_offset[p] += len(chunk)
            records.extend(chunk)
        if not records:
            await asyncio.sleep(min(timeout_ms / 1000, IDLE_FETCH_SECONDS))
        return records

    async def seek(self, offsets: Mapping[int, int | None]) -> None:
        for p, offset in offsets.items():
            self.next_offset[p] = offset or 0

    async def commit(self, positions: Sequence[Position]) -> None:
        self.commits.append(tuple(positions))
        self.broker_committed.update({p.partition: p.next_offset for p in positions})

    def pause(self, partitions: Collection[int]) -> None:
        self.paused |= set(partitions)

    def resume(self, partitions: Collection[int]) -> None:
        self.paused -= set(partitions)
