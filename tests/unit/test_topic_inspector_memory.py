"""The TopicInspector contract against the MemoryTopic (the in-memory demo's topic)."""

from __future__ import annotations

import pytest

from adapters.memory.topic import MemoryTopic
from application.ports import TopicInspector
from tests.contracts.topic_inspector import (
    Fresh,
    TopicInspectorContract,
    TopicInspectorOutageContract,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def fresh() -> Fresh:
    async def make(partitions: int) -> tuple[TopicInspector, str]:
        topic = MemoryTopic("orders.events", partitions)
        topic.append(b"k", b"{}", (), partition=0)  # records do not move a log start
        return topic, topic.name

    return make


class TestMemoryTopic(TopicInspectorContract):
    pass


class TestMemoryTopicAway(TopicInspectorOutageContract):
    @pytest.fixture
    def unreachable(self) -> MemoryTopic:
        topic = MemoryTopic("orders.events")
        topic.reachable = False
        return topic
