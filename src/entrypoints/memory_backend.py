"""STREAMVIEW_BACKEND=memory: the in-memory adapters in place of Kafka's and PostgreSQL's.

One override set per container of `entrypoints.container.Container` (`use_memory_backend`
applies them); no Kafka client and no pool is made. The topic is the demo's (or a test's)
`MemoryTopic`: it provides `end_offsets` itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from adapters.memory.stand_ins import (
    FixedStatus,
    MemoryConsumerStates,
    MemoryDeadLetters,
    MemoryMetrics,
)
from adapters.memory.views import MemoryViewStore
from application.ports import ConsumerStates, EndOffsets, ViewStore

if TYPE_CHECKING:
    from entrypoints.container import Container


class MemoryInfrastructure(containers.DeclarativeContainer):
    end_offsets: providers.Dependency[EndOffsets] = providers.Dependency()  # the demo's topic


class MemoryWriteSide(containers.DeclarativeContainer):
    view_store = providers.Singleton(MemoryViewStore)
    dead_letters = providers.Singleton(MemoryDeadLetters)
    metrics = providers.Singleton(MemoryMetrics)
    consumer_status = providers.Singleton(FixedStatus)
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


def use_memory_backend(container: Container) -> None:
    container.infrastructure.override(MemoryInfrastructure())
    container.write_side.override(MemoryWriteSide())
    write_side = container.write_side
    container.read_side.override(MemoryReadSide(api_store=write_side.view_store))
    container.ops.override(MemoryOps(api_consumer_states=write_side.consumer_states))
