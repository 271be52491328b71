"""The MemoryTopic read for a rebuild, from any offsets (adapters/kafka/replay.py in memory)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from adapters.memory.outage import Switchable
from adapters.memory.topic import MemoryTopic
from domain.records import RawRecord

# How often a replay whose `until` is past the topic's end looks for new records.
_EMPTY_POLL_SECONDS = 0.01

OpenMemoryReplay = Callable[[], AbstractAsyncContextManager["MemoryTopicReplay"]]


class MemoryTopicReplay(Switchable):
    """Implements TopicReplay; `opener()` implements OpenReplay."""

    service = "the in-memory broker"

    def __init__(
        self, topic: MemoryTopic, batch_records: int = 500, stall_seconds: float = 60.0
    ) -> None:
        self.topic = topic
        self._batch = batch_records
        self._stall_seconds = stall_seconds

    async def bounds(self) -> tuple[dict[int, int], dict[int, int]]:
        self._check_reachable()
        ends = await self.topic.end_offsets(self.topic.name)
        return dict.fromkeys(ends, 0), ends  # a MemoryTopic deletes nothing

    async def read(
        self, start: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[Sequence[RawRecord]]:
        self._check_reachable()
        for partition, end in sorted(until.items()):
            offset, progressed = start.get(partition, 0), time.monotonic()
            while offset < end:
                records = self.topic.read(partition, offset, min(self._batch, end - offset))
                if records:
                    offset, progressed = offset + len(records), time.monotonic()
                    yield records
                    # The other tasks of the process (the API, the live worker, the rebuild's
                    # heartbeat) run between batches: in memory nothing else makes it wait.
                    await asyncio.sleep(0)
                elif time.monotonic() - progressed > self._stall_seconds:
                    raise TimeoutError(
                        f"no records for {self._stall_seconds:g}s while replaying partition"
                        f" {partition} of {self.topic.name} (at {offset}, until {end})"
                    )
                else:  # `until` is past the end: records may still come
                    await asyncio.sleep(_EMPTY_POLL_SECONDS)
                self._check_reachable()

    def opener(self) -> OpenMemoryReplay:
        """Implements OpenReplay: this replay, while the broker is reachable."""

        @asynccontextmanager
        async def open_replay() -> AsyncIterator[MemoryTopicReplay]:
            self._check_reachable()
            yield self

        return open_replay


def open_memory_replay(topic: MemoryTopic) -> OpenMemoryReplay:
    """OpenReplay over `topic` (the in-memory backend's)."""
    return MemoryTopicReplay(topic).opener()
