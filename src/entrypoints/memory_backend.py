"""STREAMVIEW_BACKEND=memory: the in-memory adapters in place of Kafka's and PostgreSQL's.

Overrides the providers of the same names in `entrypoints.container.Container`; no Kafka
client and no pool is made. The topic is the demo's (or a test's) `MemoryTopic`: it provides
`end_offsets` itself, and the rebuilds replay it (`memory_rebuilds`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.replay import open_memory_replay
from adapters.memory.shadow import MemoryShadowViews
from adapters.memory.stand_ins import (
    MemoryConsumerStates,
    MemoryDeadLetters,
    MemoryMetrics,
)
from adapters.memory.views import MemoryViewStore
from application.consuming import RebuildAwareStatus
from application.ports import EndOffsets

if TYPE_CHECKING:
    from entrypoints.container import Container


class MemoryBackend(containers.DeclarativeContainer):
    view_store = providers.Singleton(MemoryViewStore)
    api_store = view_store  # one store: reads see the writes
    order_reader = view_store
    dead_letters = providers.Singleton(MemoryDeadLetters)
    metrics = providers.Singleton(MemoryMetrics)
    # REBUILDING while a rebuild holds the live worker (it goes through `live_gate`).
    consumer_status = providers.Singleton(RebuildAwareStatus)
    consumer_states = providers.Singleton(MemoryConsumerStates)
    api_consumer_states = consumer_states
    end_offsets: providers.Dependency[EndOffsets] = providers.Dependency()  # the demo's topic
    guard_topic: providers.Object[None] = providers.Object(
        None
    )  # a MemoryTopic has no retention to guard
    readiness_probes = providers.List()  # nothing outside the process to be ready


def memory_rebuilds(container: Container) -> containers.DynamicContainer:
    """The rebuild ports in memory, over the container's in-memory views and topic: one
    rebuild log for the API and the worker, shadow views beside the live store, and the
    whole replay in this process (there is no database for a child process to share)."""
    c, rebuilds = container, containers.DynamicContainer()
    rebuilds.rebuild_log = providers.Singleton(MemoryRebuildLog)
    rebuilds.api_rebuild_log = rebuilds.rebuild_log
    rebuilds.shadow_store = providers.Singleton(MemoryViewStore)
    rebuilds.shadow_views = providers.Singleton(
        MemoryShadowViews,
        c.view_store,
        rebuilds.shadow_store,
        rebuilds.rebuild_log,
        c.config.consumer_group,
        c.config.topic,
    )
    rebuilds.open_topic_replay = providers.Singleton(open_memory_replay, c.end_offsets)
    rebuilds.bulk_replay = providers.Object(None)
    return rebuilds
