"""The DeadLetterSink contract against Kafka (KafkaDeadLetters onto the topic's .dlq)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from adapters.kafka.dead_letters import KafkaDeadLetters
from tests.contracts.dead_letters import DeadLetterSinkContract, Letter
from tests.integration.worker_support import read_log

pytestmark = pytest.mark.integration


@pytest.fixture
async def sink(
    stack_endpoints: Any, new_topic: Any
) -> AsyncIterator[Callable[[], Awaitable[tuple[KafkaDeadLetters, Any]]]]:
    bootstrap = stack_endpoints.kafka_bootstrap
    adapters: list[KafkaDeadLetters] = []

    async def make() -> tuple[KafkaDeadLetters, Any]:
        dlq = f"{new_topic(partitions=1)}.dlq"
        adapter = KafkaDeadLetters(bootstrap, dlq)
        adapters.append(adapter)

        async def read_back() -> list[Letter]:
            letters = []
            for record in await read_log(bootstrap, dlq):
                headers = {name: value.decode() for name, value in record.headers}
                source = (
                    headers["x-dlq-source-topic"],
                    int(headers["x-dlq-source-partition"]),
                    int(headers["x-dlq-source-offset"]),
                )
                letters.append(Letter(headers["x-dlq-reason"], source, record.key, record.value))
            return letters

        return adapter, read_back

    yield make
    for adapter in adapters:
        await adapter.close()


class TestKafkaDeadLetters(DeadLetterSinkContract):
    pass
