"""The RecordSource contract against MemoryRecordSource (the in-memory demo's source)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import pytest

from adapters.memory.record_source import MemoryRecordSource
from adapters.memory.topic import MemoryTopic
from application.ports import RecordSource
from tests.contracts.record_source import RecordSourceContract

pytestmark = pytest.mark.unit

SourceOver = Callable[[int, Mapping[int, int]], Awaitable[RecordSource]]


@pytest.fixture
def source_over() -> SourceOver:
    async def make(partitions: int, counts: Mapping[int, int]) -> RecordSource:
        topic = MemoryTopic("orders.events", partitions)
        for partition, count in counts.items():
            for n in range(count):
                topic.append(b"k", f"{partition}:{n}".encode(), (), partition=partition)
        return MemoryRecordSource(topic)

    return make


class TestMemoryRecordSource(RecordSourceContract):
    pass
