"""The contracts of the rebuild ports against the real adapters: PostgreSQL's rebuild log and
shadow views, Kafka's topic replay; each also with its server unreachable."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from adapters.kafka.replay import open_replay
from adapters.postgres.rebuilds import PostgresRebuildLog
from adapters.postgres.shadow import SHADOW, PostgresShadowViews
from adapters.postgres.store import PostgresViewStore
from application.rebuild.ports import OpenReplay
from tests.contracts.rebuild_log import RebuildLogOutageContract
from tests.contracts.shadow_views import (
    GROUP,
    REPLAY_GROUP,
    TOPIC,
    ShadowViewsContract,
    ShadowViewsOutageContract,
    ShadowWorld,
)
from tests.contracts.topic_replay import TopicReplayContract, TopicReplayOutageContract
from tests.integration.postgres_support import open_pool, unreachable_pool
from tests.integration.worker_support import produce_on_partitions

pytestmark = pytest.mark.integration

# Nothing listens on port 1: the broker's bootstrap connection is refused.
UNREACHABLE_BROKER = "127.0.0.1:1"


class TestPostgresRebuildLogAway(RebuildLogOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresRebuildLog]:
        async with unreachable_pool() as pool:
            yield PostgresRebuildLog(pool)


class TestPostgresShadowViews(ShadowViewsContract):
    @pytest.fixture
    async def world(self, database_url: str) -> AsyncIterator[ShadowWorld]:
        async with open_pool(database_url) as pool:
            yield ShadowWorld(
                PostgresShadowViews(pool, GROUP, REPLAY_GROUP, TOPIC),
                PostgresViewStore(pool),
                PostgresViewStore(pool, SHADOW),
                PostgresRebuildLog(pool),
            )


class TestPostgresShadowViewsAway(ShadowViewsOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresShadowViews]:
        async with unreachable_pool() as pool:
            yield PostgresShadowViews(pool, GROUP, REPLAY_GROUP, TOPIC)


@pytest.fixture
def filled(
    stack_endpoints: Any, new_topic: Any
) -> Callable[[int, Mapping[int, int]], Awaitable[OpenReplay]]:
    bootstrap = stack_endpoints.kafka_bootstrap

    async def make(partitions: int, counts: Mapping[int, int]) -> OpenReplay:
        topic = new_topic(partitions=partitions)
        await produce_on_partitions(bootstrap, topic, counts)
        return functools.partial(open_replay, bootstrap, topic, batch_records=5)

    return make


class TestKafkaTopicReplay(TopicReplayContract):
    pass


class TestKafkaTopicReplayAway(TopicReplayOutageContract):
    @pytest.fixture
    def unreachable(self) -> OpenReplay:
        return functools.partial(open_replay, UNREACHABLE_BROKER, TOPIC)
