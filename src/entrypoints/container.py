"""The composition root: the one place that knows which adapter implements which port."""

from __future__ import annotations

import functools

from dependency_injector import containers, providers
from opentelemetry.sdk.trace import TracerProvider

from adapters.kafka.access import Names, connection_problem
from adapters.kafka.dead_letters import KafkaDeadLetters
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.probe import KafkaProbe
from adapters.kafka.replay import open_replay
from adapters.kafka.security import kafka_security
from adapters.kafka.source import KafkaRecordSource
from adapters.kafka.topic_facts import KafkaTopicInspector
from adapters.memory.outside import (
    FixedStatus,
    MemoryConsumerStates,
    MemoryDeadLetters,
    MemoryMetrics,
    NullSpans,
)
from adapters.memory.views import MemoryViewStore
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.postgres.consumer_states import PostgresConsumerStates
from adapters.postgres.pool import make_pool
from adapters.postgres.probe import PostgresProbe
from adapters.postgres.rebuilds import PostgresRebuildLog
from adapters.postgres.shadow import SHADOW, PostgresShadowViews
from adapters.postgres.store import PostgresViewStore
from adapters.tracing import OtelSpans, tracer_provider_from_env
from application.cursors import CursorCodec
from application.ops import ReportLag
from application.projecting import ProjectBatch
from application.queries import GetOrder, ListOrders
from application.rebuild_recording import DiscardDeadLetters, DiscardMetrics
from application.rebuild_requests import CancelRebuild, GetRebuild, StartRebuild
from application.rebuild_runner import RebuildSettings, RunRebuild
from application.rebuild_worker import LiveGate, WatchRebuilds
from application.topic_guard import GuardedStatus, GuardSettings, GuardTopic, TopicProblems
from entrypoints.replay_process import ReplayInChildProcess
from entrypoints.settings import Settings


def _cursor_codec(secret: str) -> CursorCodec:
    return CursorCodec(secret.encode())


def _spans(provider: TracerProvider | None) -> OtelSpans | NullSpans:
    return NullSpans() if provider is None else OtelSpans(provider)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # --- in-memory adapters (STREAMVIEW_BACKEND=memory, and unit tests) -------------------
    memory_store = providers.Singleton(MemoryViewStore)
    memory_dead_letters = providers.Singleton(MemoryDeadLetters)
    memory_metrics = providers.Singleton(MemoryMetrics)
    memory_status = providers.Singleton(FixedStatus)
    memory_consumer_states = providers.Singleton(MemoryConsumerStates)

    # --- Postgres adapters (issue 4) ------------------------------------------------------
    # Created closed: whoever runs (app lifespan, worker) does `await pool.open(wait=True)`
    # first and `await pool.close()` at exit.
    postgres_pool = providers.Singleton(
        make_pool,
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout_ms,
    )
    postgres_store = providers.Singleton(PostgresViewStore, postgres_pool)
    postgres_probe = providers.Singleton(PostgresProbe, postgres_pool)
    postgres_consumer_states = providers.Singleton(PostgresConsumerStates, postgres_pool)

    # --- Kafka adapters (issue 5) ---------------------------------------------------------
    # No I/O until first used (the API process never opens a producer); `close()` at exit.
    # Singletons, not async Resources: those would turn every dependent provider async.
    # Every Kafka client is built with these (TLS, SASL): one checked set for all of them.
    kafka_security = providers.Singleton(kafka_security, config)
    kafka_dead_letters = providers.Singleton(
        KafkaDeadLetters, config.kafka_bootstrap, config.dlq_topic, security=kafka_security
    )
    kafka_end_offsets = providers.Singleton(
        KafkaEndOffsets, config.kafka_bootstrap, security=kafka_security
    )
    kafka_probe = providers.Singleton(
        KafkaProbe,
        kafka_end_offsets,
        config.topic,
        explain=providers.Callable(
            functools.partial,
            connection_problem,
            config.kafka_bootstrap,
            kafka_security,
            timeout_seconds=1.0,  # within the readiness probe's own limit
        ),
    )
    # Guard rails on the topic: checked at the worker's start and in every lag report.
    prometheus_metrics = providers.Singleton(PrometheusMetrics)
    topic_problems = providers.Singleton(TopicProblems, metric=prometheus_metrics)
    guard_topic = providers.Singleton(
        GuardTopic,
        providers.Singleton(KafkaTopicInspector, kafka_end_offsets),
        topic_problems,
        providers.Factory(
            GuardSettings,
            topic=config.topic,
            allow_compacted=config.topic_allow_compacted,
            min_retention_ms=config.topic_min_retention_ms,
        ),
    )
    kafka_names = providers.Factory(Names, config.topic, config.dlq_topic, config.consumer_group)
    # One per worker start: entrypoints.worker starts and stops it.
    kafka_source = providers.Factory(
        KafkaRecordSource.create,
        bootstrap=config.kafka_bootstrap,
        topic=config.topic,
        group_id=config.consumer_group,
        max_records=config.batch_max_records,
        security=kafka_security,
        on_records_lost=providers.Callable(
            functools.partial, topic_problems.provided.records_lost, config.topic
        ),
    )
    # REBUILDING while a rebuild holds the live worker (issue 8), FAILED while Kafka denies
    # it an ACL.
    worker_status = providers.Singleton(GuardedStatus, topic_problems)

    # --- observability (issue 7) ----------------------------------------------------------
    # Configured by the OTEL_* variables only; None (and NullSpans) unless an exporter is set.
    tracer_provider = providers.Singleton(tracer_provider_from_env)
    spans = providers.Singleton(_spans, tracer_provider)
    # What `/health/ready` asks; the Postgres and Kafka adapters add their probes to `postgres`.
    readiness_probes = providers.Selector(
        config.backend,
        memory=providers.List(),
        postgres=providers.List(postgres_probe, kafka_probe),
    )

    # --- ports ----------------------------------------------------------------------------
    view_store = providers.Selector(config.backend, memory=memory_store, postgres=postgres_store)
    order_reader = providers.Selector(config.backend, memory=memory_store, postgres=postgres_store)
    dead_letters = providers.Selector(
        config.backend, memory=memory_dead_letters, postgres=kafka_dead_letters
    )
    metrics = providers.Selector(config.backend, memory=memory_metrics, postgres=prometheus_metrics)
    consumer_status = providers.Selector(
        config.backend, memory=memory_status, postgres=worker_status
    )
    consumer_states = providers.Selector(
        config.backend, memory=memory_consumer_states, postgres=postgres_consumer_states
    )
    end_offsets = providers.Selector(  # the demo overrides it with its MemoryTopic
        config.backend, memory=providers.Dependency(), postgres=kafka_end_offsets
    )

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
        guard=providers.Selector(
            config.backend, memory=providers.Object(None), postgres=guard_topic
        ),
    )
    # For a process without a worker of its own (`streamview serve`): the group's state as
    # its workers report it, stale after three lag refreshes (15 s at least).
    group_report_lag = providers.Factory(
        report_lag,
        members=consumer_states,
        stale_after_seconds=providers.Callable(
            lambda refresh_ms: max(15.0, 3 * refresh_ms / 1000), config.lag_refresh_ms
        ),
    )

    # --- view rebuilds (issue 8): requested by the API/CLI, run by the worker process ----
    rebuild_log = providers.Singleton(PostgresRebuildLog, postgres_pool)
    start_rebuild = providers.Factory(StartRebuild, log=rebuild_log, allowed=config.allow_rebuild)
    get_rebuild = providers.Factory(GetRebuild, log=rebuild_log)
    cancel_rebuild = providers.Factory(CancelRebuild, log=rebuild_log)
    # The worker's projection goes through the gate, so that a rebuild can pause it.
    live_gate = providers.Singleton(LiveGate, project=project_batch, status=worker_status)
    replay_group = providers.Callable("{}#rebuild".format, config.consumer_group)
    # A replay publishes no dead letter (the live worker did) and counts no live metric.
    discard_dead_letters = providers.Singleton(DiscardDeadLetters)
    discard_metrics = providers.Singleton(DiscardMetrics)
    shadow_projection = providers.Factory(
        ProjectBatch,
        store=providers.Singleton(PostgresViewStore, postgres_pool, SHADOW),
        dead_letters=discard_dead_letters,
        metrics=discard_metrics,
        spans=spans,
        consumer_group=replay_group,
        default_tax_rate=config.default_tax_rate,
    )
    open_topic_replay = providers.Callable(
        functools.partial,
        open_replay,
        config.kafka_bootstrap,
        config.topic,
        security=kafka_security,
    )
    run_rebuild = providers.Factory(
        RunRebuild,
        log=rebuild_log,
        shadow=providers.Singleton(
            PostgresShadowViews, postgres_pool, config.consumer_group, replay_group, config.topic
        ),
        open_replay=open_topic_replay,
        project_shadow=shadow_projection,
        project_live=providers.Factory(  # in-place rebuilds replay into the live tables
            ProjectBatch,
            store=postgres_store,
            dead_letters=discard_dead_letters,
            metrics=discard_metrics,
            spans=spans,
            consumer_group=config.consumer_group,
            default_tax_rate=config.default_tax_rate,
        ),
        live_store=postgres_store,
        live_worker=live_gate,
        settings=providers.Factory(RebuildSettings, config.consumer_group, config.topic),
        # The long first replay runs in a child process, off the API's and worker's loop.
        bulk_replay=providers.Factory(ReplayInChildProcess, settings=config),
    )
    watch_rebuilds = providers.Factory(WatchRebuilds, log=rebuild_log, run=run_rebuild)


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    container.config.from_dict((settings or Settings.from_env()).as_dict())
    return container
