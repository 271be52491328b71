"""The TopicInspector contract against Kafka (KafkaTopicInspector), on topics of the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.topic_facts import KafkaTopicInspector
from application.ports import TopicInspector
from tests.contracts.topic_inspector import (
    Fresh,
    TopicInspectorContract,
    TopicInspectorOutageContract,
)
from tests.integration.conftest import StackEndpoints
from tests.integration.worker_support import produce_on_partitions

pytestmark = pytest.mark.integration


@pytest.fixture
async def fresh(
    stack_endpoints: StackEndpoints, new_topic: Callable[..., str]
) -> AsyncIterator[Fresh]:
    bootstrap = stack_endpoints.kafka_bootstrap
    clients: list[KafkaEndOffsets] = []

    async def make(partitions: int) -> tuple[TopicInspector, str]:
        topic = new_topic(partitions=partitions)
        await produce_on_partitions(bootstrap, topic, {0: 2})  # records do not move a start
        clients.append(KafkaEndOffsets(bootstrap))
        return KafkaTopicInspector(clients[-1]), topic

    yield make
    for client in clients:
        await client.close()


class TestKafkaTopicInspector(TopicInspectorContract):
    pass


class TestKafkaTopicInspectorAway(TopicInspectorOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[KafkaTopicInspector]:
        # Nothing listens on port 1: every connection attempt is refused.
        client = KafkaEndOffsets("127.0.0.1:1", timeout_seconds=2)
        yield KafkaTopicInspector(client)
        await client.close()
