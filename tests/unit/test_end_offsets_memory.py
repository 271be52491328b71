"""The EndOffsets contract against the MemoryTopic (the in-memory demo's topic)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import pytest

from adapters.memory.topic import MemoryTopic
from application.ports import EndOffsets
from tests.contracts.end_offsets import EndOffsetsContract

pytestmark = pytest.mark.unit

Filled = Callable[[int, Mapping[int, int]], Awaitable[tuple[EndOffsets, str]]]


@pytest.fixture
def filled() -> Filled:
    async def make(partitions: int, counts: Mapping[int, int]) -> tuple[EndOffsets, str]:
        topic = MemoryTopic("orders.events", partitions)
        for partition, count in counts.items():
            for n in range(count):
                topic.append(f"k{n}".encode(), b"{}", (), partition=partition)
        return topic, topic.name

    return make


class TestMemoryTopic(EndOffsetsContract):
    pass
