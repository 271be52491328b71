"""The composition root: the one place that knows which adapter implements which port."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.memory.outside import FixedStatus, MemoryDeadLetters, MemoryMetrics, NullSpans
from adapters.memory.views import MemoryViewStore
from application.cursors import CursorCodec
from application.ops import ReportLag
from application.projecting import ProjectBatch
from application.queries import GetOrder, ListOrders
from entrypoints.settings import Settings


def _cursor_codec(secret: str) -> CursorCodec:
    return CursorCodec(secret.encode())


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # --- in-memory adapters (STREAMVIEW_BACKEND=memory, and unit tests) -------------------
    memory_store = providers.Singleton(MemoryViewStore)
    memory_dead_letters = providers.Singleton(MemoryDeadLetters)
    memory_metrics = providers.Singleton(MemoryMetrics)
    memory_status = providers.Singleton(FixedStatus)

    # --- Postgres adapters (issue 4) ------------------------------------------------------

    # --- Kafka adapters (issue 5) ---------------------------------------------------------

    # --- observability (issue 7) ----------------------------------------------------------
    spans = providers.Singleton(NullSpans)

    # --- ports ----------------------------------------------------------------------------
    view_store = providers.Selector(config.backend, memory=memory_store)
    order_reader = providers.Selector(config.backend, memory=memory_store)
    dead_letters = providers.Selector(config.backend, memory=memory_dead_letters)
    metrics = providers.Selector(config.backend, memory=memory_metrics)
    consumer_status = providers.Selector(config.backend, memory=memory_status)
    end_offsets = providers.Dependency()  # the demo's MemoryTopic, or Kafka

    # --- use cases ------------------------------------------------------------------------
    cursor_codec = providers.Singleton(_cursor_codec, config.cursor_secret)
    project_batch = providers.Factory(
        ProjectBatch,
        store=view_store,
        dead_letters=dead_letters,
        metrics=metrics,
        spans=spans,
        consumer_group=config.consumer_group,
        default_tax_rate=config.default_tax_rate,
    )
    get_order = providers.Factory(GetOrder, reader=order_reader)
    list_orders = providers.Factory(ListOrders, reader=order_reader, cursors=cursor_codec)
    report_lag = providers.Factory(
        ReportLag,
        store=view_store,
        end_offsets=end_offsets,
        status=consumer_status,
        consumer_group=config.consumer_group,
        topic=config.topic,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    container.config.from_dict((settings or Settings.from_env()).as_dict())
    return container
