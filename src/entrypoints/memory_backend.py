"""STREAMVIEW_BACKEND=memory: the in-memory adapters in place of Kafka's and PostgreSQL's.

One override set per container of `entrypoints.container.Container` (`use_memory_backend`
applies them); no Kafka client and no pool is made. The topic is the demo's (or a test's)
`MemoryTopic`: it provides `end_offsets` itself, and the rebuilds replay it (`memory_rebuilds`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.memory.consumer_states import MemoryConsumerStates
from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.replay import open_memory_replay
from adapters.memory.shadow import MemoryShadowViews
from adapters.memory.views import MemoryViewStore
from application.consuming import RebuildAwareStatus
from application.ports import ConsumerStates, EndOffsets, ViewStore
from entrypoints.views import memory_parts, memory_routes, memory_views

if TYPE_CHECKING:
    from entrypoints.container import Container


class MemoryInfrastructure(containers.DeclarativeContainer):
    end_offsets: providers.Dependency[EndOffsets] = providers.Dependency()  # the demo's topic


class MemoryWriteSide(containers.DeclarativeContainer):
    view_store = providers.Singleton(MemoryViewStore)
    dead_letters = providers.Singleton(MemoryDeadLetters)
    metrics = providers.Singleton(MemoryMetrics)
    # REBUILDING while a rebuild holds the live worker (it goes through `live_gate`).
    consumer_status = providers.Singleton(RebuildAwareStatus)
    consumer_states = providers.Singleton(MemoryConsumerStates)
    guard_topic: providers.Object[None] = providers.Object(
        None
    )  # a MemoryTopic has no retention to guard


class MemoryReadSide(containers.DeclarativeContainer):
    api_store: providers.Dependency[ViewStore] = providers.Dependency()  # the write side's
    order_reader = api_store  # one store: reads see the writes


class MemoryOps(containers.DeclarativeContainer):
    api_consumer_states: providers.Dependency[ConsumerStates] = providers.Dependency()
    readiness_probes = providers.List()  # nothing outside the process to be ready


def memory_rebuilds(container: Container) -> containers.DynamicContainer:
    """The rebuild ports in memory, over the container's in-memory views and topic: one
    rebuild log for the API and the worker, shadow views beside the live store, and the
    whole replay in this process (there is no database for a child process to share)."""
    config, rebuilds = container.config, containers.DynamicContainer()
    rebuilds.rebuild_log = providers.Singleton(MemoryRebuildLog)
    rebuilds.api_rebuild_log = rebuilds.rebuild_log
    rebuilds.shadow_store = providers.Singleton(MemoryViewStore)
    rebuilds.shadow_views = providers.Singleton(
        MemoryShadowViews,
        container.write_side.view_store,
        rebuilds.shadow_store,
        rebuilds.rebuild_log,
        config.consumer_group,
        config.topic,
    )
    rebuilds.open_topic_replay = providers.Singleton(
        open_memory_replay, container.infrastructure.end_offsets
    )
    rebuilds.bulk_replay = providers.Object(None)
    return rebuilds


def use_memory_backend(container: Container) -> None:
    container.infrastructure.override(MemoryInfrastructure())
    write_side = container.write_side
    infrastructure = container.infrastructure
    write_side.override(MemoryWriteSide())
    container.read_side.override(MemoryReadSide(api_store=write_side.view_store))
    # The enabled plug-in views' in-memory state: written by the store's transactions, read
    # by their routes (one process, so reads see the writes).
    views = providers.Singleton(memory_views, infrastructure.views, infrastructure.view_settings)
    write_side.view_store.override(
        providers.Singleton(MemoryViewStore, parts=providers.Callable(memory_parts, views))
    )
    read_side = container.read_side
    read_side.view_routes.override(
        providers.Singleton(memory_routes, views, read_side.cursor_codec)
    )
    container.ops.override(MemoryOps(api_consumer_states=write_side.consumer_states))
    container.rebuilds.override(memory_rebuilds(container))
