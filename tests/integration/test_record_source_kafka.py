"""The RecordSource contract against Kafka (KafkaRecordSource)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from adapters.kafka.source import KafkaRecordSource
from tests.contracts.record_source import RecordSourceContract
from tests.integration.worker_support import produce_on_partitions

pytestmark = pytest.mark.integration


@pytest.fixture
async def source_over(
    stack_endpoints: Any, new_topic: Any
) -> AsyncIterator[Callable[[int, Mapping[int, int]], Awaitable[KafkaRecordSource]]]:
    bootstrap = stack_endpoints.kafka_bootstrap
    started: list[KafkaRecordSource] = []

    async def make(partitions: int, counts: Mapping[int, int]) -> KafkaRecordSource:
        topic = new_topic(partitions=partitions)
        await produce_on_partitions(bootstrap, topic, counts)
        group = f"sv-test-{uuid.uuid4().hex[:12]}"
        source = KafkaRecordSource.create(bootstrap, topic, group, max_records=100)
        await source.start()
        started.append(source)
        return source

    yield make
    for source in started:
        await source.stop()


class TestKafkaRecordSource(RecordSourceContract):
    pass
