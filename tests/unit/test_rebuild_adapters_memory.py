"""The contracts of the rebuild ports against the in-memory adapters (adapters/memory), with
their services up and switched off. The fixtures are typed with the ports, so that mypy
(make lint) checks the adapters against the Protocols."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import pytest

from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.replay import MemoryTopicReplay, OpenMemoryReplay
from adapters.memory.shadow import MemoryShadowViews
from adapters.memory.topic import MemoryTopic
from adapters.memory.views import MemoryViewStore
from application.rebuild.ports import OpenReplay, RebuildLog, ShadowViews
from tests.contracts.rebuild_log import RebuildLogContract, RebuildLogOutageContract
from tests.contracts.shadow_views import (
    GROUP,
    TOPIC,
    ShadowViewsContract,
    ShadowViewsOutageContract,
    ShadowWorld,
)
from tests.contracts.topic_replay import TopicReplayContract, TopicReplayOutageContract
from tests.unit.rebuild_harness import ManualClock

pytestmark = pytest.mark.unit


class TestMemoryRebuildLog(RebuildLogContract):
    @pytest.fixture
    def log(self) -> MemoryRebuildLog:
        return MemoryRebuildLog(clock=ManualClock())

    async def let_time_pass(self, log: MemoryRebuildLog) -> None:  # type: ignore[override]
        assert isinstance(log.clock, ManualClock)
        log.clock.advance(log.stale_after + timedelta(seconds=1))


class TestMemoryRebuildLogAway(RebuildLogOutageContract):
    @pytest.fixture
    def unreachable(self) -> RebuildLog:
        log = MemoryRebuildLog()
        log.reachable = False
        return log


def shadow_world() -> ShadowWorld:
    live, shadow_store, log = MemoryViewStore(), MemoryViewStore(), MemoryRebuildLog()
    return ShadowWorld(
        MemoryShadowViews(live, shadow_store, log, GROUP, TOPIC), live, shadow_store, log
    )


class TestMemoryShadowViews(ShadowViewsContract):
    @pytest.fixture
    def world(self) -> ShadowWorld:
        return shadow_world()


class TestMemoryShadowViewsAway(ShadowViewsOutageContract):
    @pytest.fixture
    def unreachable(self) -> ShadowViews:
        shadow = shadow_world().shadow
        assert isinstance(shadow, MemoryShadowViews)
        shadow.reachable = False
        return shadow


@pytest.fixture
def filled() -> Callable[[int, Mapping[int, int]], Awaitable[OpenMemoryReplay]]:
    async def make(partitions: int, counts: Mapping[int, int]) -> OpenMemoryReplay:
        topic = MemoryTopic(TOPIC, partitions)
        for partition, count in counts.items():
            for n in range(count):
                topic.append(b"k", f"{partition}:{n}".encode(), (), partition=partition)
        return MemoryTopicReplay(topic, batch_records=5).opener()

    return make


class TestMemoryTopicReplay(TopicReplayContract):
    pass


class TestMemoryTopicReplayAway(TopicReplayOutageContract):
    @pytest.fixture
    def unreachable(self) -> OpenReplay:
        replay = MemoryTopicReplay(MemoryTopic(TOPIC, 2))
        replay.reachable = False
        return replay.opener()
