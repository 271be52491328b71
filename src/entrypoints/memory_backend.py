"""STREAMVIEW_BACKEND=memory: the in-memory adapters in place of Kafka's and PostgreSQL's.

Overrides the providers of the same names in `entrypoints.container.Container`; no Kafka
client and no pool is made. The topic is the demo's (or a test's) `MemoryTopic`: it provides
`end_offsets` itself.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.memory.stand_ins import (
    FixedStatus,
    MemoryConsumerStates,
    MemoryDeadLetters,
    MemoryMetrics,
)
from adapters.memory.views import MemoryViewStore
from application.ports import EndOffsets


class MemoryBackend(containers.DeclarativeContainer):
    view_store = providers.Singleton(MemoryViewStore)
    api_store = view_store  # one store: reads see the writes
    order_reader = view_store
    dead_letters = providers.Singleton(MemoryDeadLetters)
    metrics = providers.Singleton(MemoryMetrics)
    consumer_status = providers.Singleton(FixedStatus)
    consumer_states = providers.Singleton(MemoryConsumerStates)
    api_consumer_states = consumer_states
    end_offsets: providers.Dependency[EndOffsets] = providers.Dependency()  # the demo's topic
    guard_topic: providers.Object[None] = providers.Object(
        None
    )  # a MemoryTopic has no retention to guard
    readiness_probes = providers.List()  # nothing outside the process to be ready
