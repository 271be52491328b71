"""The EndOffsets contract against Kafka (KafkaEndOffsets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import pytest

from adapters.kafka.offsets import KafkaEndOffsets
from application.ports import EndOffsets
from tests.contracts.end_offsets import EndOffsetsContract
from tests.integration.worker_support import produce_on_partitions

pytestmark = pytest.mark.integration

Filled = Callable[[int, Mapping[int, int]], Awaitable[tuple[EndOffsets, str]]]


@pytest.fixture
async def filled(stack_endpoints, new_topic) -> AsyncIterator[Filled]:  # type: ignore[no-untyped-def]
    bootstrap = stack_endpoints.kafka_bootstrap
    adapters: list[KafkaEndOffsets] = []

    async def make(partitions: int, counts: Mapping[int, int]) -> tuple[EndOffsets, str]:
        topic = new_topic(partitions=partitions)
        await produce_on_partitions(bootstrap, topic, counts)
        adapters.append(KafkaEndOffsets(bootstrap))
        return adapters[-1], topic

    yield make
    for adapter in adapters:
        await adapter.close()


class TestKafkaEndOffsets(EndOffsetsContract):
    pass
