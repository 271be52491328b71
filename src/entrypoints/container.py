"""The production wiring: which adapter implements which port, and each use case once.

`entrypoints.bootstrap` builds it from the settings (and swaps the in-memory adapters in for
STREAMVIEW_BACKEND=memory: `entrypoints.memory_backend`).
"""

from __future__ import annotations

import functools

from dependency_injector import containers, providers
from opentelemetry.sdk.trace import TracerProvider

from adapters.http.auth import KeyFileError, OpsPolicy, TokenRules
from adapters.http.changes import render_change
from adapters.http.health import RedactedProbe
from adapters.kafka.access import Names, connection_problem
from adapters.kafka.dead_letters import KafkaDeadLetters
from adapters.kafka.dlq_reader import KafkaDeadLetterReader, KafkaRedriveSender
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.probe import KafkaProbe
from adapters.kafka.replay import open_replay
from adapters.kafka.security import kafka_security
from adapters.kafka.source import KafkaRecordSource
from adapters.kafka.topic_facts import KafkaTopicInspector
from adapters.memory.stand_ins import NullSpans
from adapters.metrics.live import PrometheusLiveMetrics
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.postgres.change_log import PostgresChangeLog
from adapters.postgres.consumer_states import PostgresConsumerStates
from adapters.postgres.notifications import PostgresChangeFeed
from adapters.postgres.pool import make_pool
from adapters.postgres.probe import PostgresProbe, SchemaProbe
from adapters.postgres.rebuilds import PostgresRebuildLog
from adapters.postgres.redrives import PostgresRedriveLedger
from adapters.postgres.shadow import SHADOW, PostgresShadowViews
from adapters.postgres.store import PostgresViewStore
from adapters.registry.source import RegistrySchemaSource, registry_client
from adapters.tracing import OtelSpans, tracer_provider_from_env
from application.change_hub import ChangeHub
from application.change_stream import OpenChangeStream
from application.consuming import ConsumeSettings
from application.cursors import CursorCodec
from application.dead_letter_ops import ListDeadLetters, RedriveDeadLetters, ShowDeadLetter
from application.freshness import ReadFreshness
from application.ops import ConsumerProbe, ReportLag
from application.ports import SchemaSource
from application.projecting import ProjectBatch
from application.queries import GetOrder, ListOrders
from application.rebuild.ports import BulkReplay
from application.rebuild.recording import DiscardDeadLetters, DiscardMetrics
from application.rebuild.requests import CancelRebuild, GetRebuild, StartRebuild
from application.rebuild.runner import RebuildSettings, RunRebuild
from application.rebuild.worker import LiveGate, WatchRebuilds
from application.topic_guard import GuardedStatus, GuardSettings, GuardTopic, TopicProblems
from application.writer_schemas import CachedSchemas
from entrypoints.api_secrets import missing_message, variable
from entrypoints.settings import SettingsError
from entrypoints.worker import Worker
from entrypoints.worker_guards import WorkerGuards


def _cursor_codec(secret: str | None) -> CursorCodec:
    if secret is None:
        raise SettingsError(missing_message([variable("cursor_secret")]))
    return CursorCodec(secret.encode())


def _ops_policy(
    secret: str | None,
    public_key_file: str | None,
    issuer: str | None,
    audience: str | None,
    max_lifetime_s: int,
) -> OpsPolicy:
    rules = TokenRules(issuer or None, audience or None, max_lifetime_s)
    if secret is None and not public_key_file:
        raise SettingsError(missing_message([variable("ops_jwt_secret")]))
    try:
        return OpsPolicy.from_settings(secret, public_key_file, rules)
    except KeyFileError as error:
        raise SettingsError(f"invalid {variable('ops_jwt_public_key_file')}: {error}") from None


def _same(adapter: object) -> object:
    """A port that production serves with an adapter provided under its own name too."""
    return adapter


def _schema_source(url: str | None, user: str | None, password: str | None) -> SchemaSource | None:
    """The registry's writer schemas, cached; None without a registry."""
    if not url:
        return None
    return CachedSchemas(RegistrySchemaSource(registry_client(url, user, password)))


def _spans(provider: TracerProvider | None) -> OtelSpans | NullSpans:
    return NullSpans() if provider is None else OtelSpans(provider)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # --- PostgreSQL ----------------------------------------------------------------------
    # Created closed: whoever runs (app lifespan, worker) does `await pool.open(...)` first
    # and `await pool.close()` at exit.
    postgres_pool = providers.Singleton(
        make_pool,
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout_ms,
    )
    # The API's own pool: the server cancels its statements past the API's statement timeout
    # (a 503 to the client); the worker's and a rebuild's long transactions are not bounded.
    # Under `streamview run` both pools exist, each sized by STREAMVIEW_DB_POOL_MIN/MAX.
    api_pool = providers.Singleton(
        make_pool,
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout_ms,
        statement_timeout_ms=config.api_statement_timeout_ms,
        name="streamview-api",
    )

    # --- Kafka ---------------------------------------------------------------------------
    # No I/O until first used (the API process never opens a producer); `close()` at exit.
    # Every Kafka client is built with these (TLS, SASL): one checked set for all of them.
    kafka_security = providers.Singleton(kafka_security, config)
    kafka_names = providers.Factory(Names, config.topic, config.dlq_topic, config.consumer_group)

    # --- observability -------------------------------------------------------------------
    prometheus_metrics = providers.Singleton(PrometheusMetrics)  # also counts lost dead letters
    # Configured by the OTEL_* variables only; None (and NullSpans) unless an exporter is set.
    tracer_provider = providers.Singleton(tracer_provider_from_env)
    spans = providers.Singleton(_spans, tracer_provider)

    # --- write side: the ports the worker projects through -------------------------------
    view_store = providers.Singleton(PostgresViewStore, postgres_pool)
    dead_letters = providers.Singleton(
        KafkaDeadLetters,
        config.kafka_bootstrap,
        config.dlq_topic,
        lost=providers.Callable(lambda metrics: metrics.dead_letter_lost, prometheus_metrics),
        security=kafka_security,
    )
    metrics = providers.Singleton(_same, prometheus_metrics)
    end_offsets = providers.Singleton(
        KafkaEndOffsets, config.kafka_bootstrap, security=kafka_security
    )
    # Guard rails on the topic: checked at the worker's start and in every lag report.
    topic_problems = providers.Singleton(TopicProblems, metric=prometheus_metrics)
    guard_topic = providers.Singleton(
        GuardTopic,
        providers.Singleton(KafkaTopicInspector, end_offsets),
        topic_problems,
        providers.Factory(
            GuardSettings,
            topic=config.topic,
            allow_compacted=config.topic_allow_compacted,
            min_retention_ms=config.topic_min_retention_ms,
        ),
    )
    # REBUILDING while a rebuild holds the live worker, FAILED while Kafka denies it an ACL.
    consumer_status = providers.Singleton(GuardedStatus, topic_problems)
    consumer_states = providers.Singleton(PostgresConsumerStates, postgres_pool)
    schema_source = providers.Singleton(
        _schema_source,
        config.schema_registry_url,
        config.schema_registry_user,
        config.schema_registry_password,
    )
    project_batch = providers.Factory(
        ProjectBatch,
        store=view_store,
        dead_letters=dead_letters,
        metrics=metrics,
        spans=spans,
        consumer_group=config.consumer_group,
        default_tax_rate=config.default_tax_rate,
        schemas=schema_source,
    )

    # --- read side: the API's pool ------------------------------------------------------
    api_store = providers.Singleton(PostgresViewStore, api_pool)
    order_reader = providers.Singleton(_same, api_store)
    api_consumer_states = providers.Singleton(PostgresConsumerStates, api_pool)
    cursor_codec = providers.Singleton(_cursor_codec, config.cursor_secret)
    get_order = providers.Factory(GetOrder, reader=order_reader)
    list_orders = providers.Factory(ListOrders, reader=order_reader, cursors=cursor_codec)

    # --- ops: lag, readiness, the ops tokens ----------------------------------------------
    ops_policy = providers.Singleton(
        _ops_policy,
        config.ops_jwt_secret,
        config.ops_jwt_public_key_file,
        config.ops_jwt_issuer,
        config.ops_jwt_audience,
        config.ops_jwt_max_lifetime_s,
    )
    report_lag = providers.Factory(
        ReportLag,
        store=view_store,
        end_offsets=end_offsets,
        status=consumer_status,
        consumer_group=config.consumer_group,
        topic=config.topic,
        guard=guard_topic,
    )
    # For a process without a worker of its own (`streamview serve`): the group's state as
    # its workers report it, stale after three lag refreshes (15 s at least).
    group_report_lag = providers.Factory(
        report_lag,
        store=api_store,
        members=api_consumer_states,
        stale_after_seconds=providers.Callable(
            lambda refresh_ms: max(15.0, 3 * refresh_ms / 1000), config.lag_refresh_ms
        ),
    )
    kafka_probe = providers.Singleton(
        KafkaProbe,
        end_offsets,
        config.topic,
        explain=providers.Callable(
            functools.partial,
            connection_problem,
            config.kafka_bootstrap,
            kafka_security,
            timeout_seconds=1.0,  # within the readiness probe's own limit
        ),
    )
    # What `/health/ready` asks. Kafka's explanations quote addresses and client errors:
    # logged, not shown.
    postgres_probe = providers.Singleton(PostgresProbe, api_pool)
    schema_probe = providers.Singleton(SchemaProbe, api_pool)
    kafka_readiness = providers.Singleton(RedactedProbe, kafka_probe)
    readiness_probes = providers.List(postgres_probe, schema_probe, kafka_readiness)
    # With a worker in the process (`streamview run`): its state too (see with_worker_probe).
    consumer_probe = providers.Singleton(ConsumerProbe, consumer_status)

    # --- view rebuilds: requested by the API/CLI, run by the worker process --------------
    rebuild_log = providers.Singleton(PostgresRebuildLog, postgres_pool)
    # Requests (API, `streamview rebuild`) go through the API's pool; the worker's runs do not.
    api_rebuild_log = providers.Singleton(PostgresRebuildLog, api_pool)
    start_rebuild = providers.Factory(
        StartRebuild, log=api_rebuild_log, allowed=config.allow_rebuild
    )
    get_rebuild = providers.Factory(GetRebuild, log=api_rebuild_log)
    cancel_rebuild = providers.Factory(CancelRebuild, log=api_rebuild_log)
    # The worker's projection goes through the gate, so that a rebuild can pause it.
    live_gate = providers.Singleton(LiveGate, project=project_batch, status=consumer_status)
    replay_group = providers.Callable("{}#rebuild".format, config.consumer_group)
    # A replay publishes no dead letter (the live worker did) and counts no live metric;
    # in-place rebuilds replay into the live tables with it.
    replay_projection = providers.Factory(
        project_batch,
        dead_letters=providers.Singleton(DiscardDeadLetters),
        metrics=providers.Singleton(DiscardMetrics),
    )
    # Where a blue/green rebuild replays to, and what swaps that in.
    shadow_store = providers.Singleton(PostgresViewStore, postgres_pool, SHADOW)
    shadow_views = providers.Singleton(
        PostgresShadowViews, postgres_pool, config.consumer_group, replay_group, config.topic
    )
    shadow_projection = providers.Factory(
        replay_projection, store=shadow_store, consumer_group=replay_group
    )
    open_topic_replay = providers.Callable(
        functools.partial,
        open_replay,
        config.kafka_bootstrap,
        config.topic,
        security=kafka_security,
    )
    # The long first replay runs in a child process, off the API's and worker's loop
    # (entrypoints.replay_process; provided by entrypoints.bootstrap, which that child uses).
    bulk_replay: providers.Dependency[BulkReplay] = providers.Dependency()
    run_rebuild = providers.Factory(
        RunRebuild,
        log=rebuild_log,
        shadow=shadow_views,
        open_replay=open_topic_replay,
        project_shadow=shadow_projection,
        project_live=replay_projection,
        live_store=view_store,
        live_worker=live_gate,
        settings=providers.Factory(RebuildSettings, config.consumer_group, config.topic),
        bulk_replay=bulk_replay,
    )
    watch_rebuilds = providers.Factory(WatchRebuilds, log=rebuild_log, run=run_rebuild)

    # --- the worker: the consume loop and what it needs around it -------------------------
    worker = providers.Factory(
        Worker,
        settings=providers.Factory(
            ConsumeSettings,
            consumer_group=config.consumer_group,
            topic=config.topic,
            batch_max_records=config.batch_max_records,
            batch_max_wait_ms=config.batch_max_wait_ms,
            retry_max_seconds=providers.Callable(lambda ms: ms / 1000, config.retry_backoff_max_ms),
        ),
        database_url=config.database_url,
        pool=postgres_pool,
        # One source per worker start: the worker starts and stops it.
        new_source=providers.Factory(
            KafkaRecordSource.create,
            bootstrap=config.kafka_bootstrap,
            topic=config.topic,
            group_id=config.consumer_group,
            max_records=config.batch_max_records,
            security=kafka_security,
            on_records_lost=providers.Callable(
                functools.partial, topic_problems.provided.records_lost, config.topic
            ),
        ).provider,
        project=live_gate,
        store=view_store,
        status=consumer_status,
        spans=spans,
        watch_rebuilds=watch_rebuilds,
        report_lag=report_lag,
        metrics=prometheus_metrics,
        consumer_states=consumer_states,
        guards=providers.Factory(
            WorkerGuards,
            config.kafka_bootstrap,
            kafka_security,
            kafka_names,
            view_store,
            guard_topic,
            topic_problems,
        ),
        dead_letters=dead_letters,
        end_offsets=end_offsets,
        lag_refresh_seconds=providers.Callable(lambda ms: ms / 1000, config.lag_refresh_ms),
    )

    # --- read-your-writes and change streams: one feed (LISTEN connection) per process ---
    live_metrics = providers.Singleton(
        PrometheusLiveMetrics,
        providers.Callable(lambda metrics: metrics.registry, prometheus_metrics),
    )
    change_hub = providers.Singleton(
        ChangeHub,
        max_subscribers=config.change_subscribers_max,
        max_queued=config.change_queue_max,
        max_waiters=config.read_waiters_max,
        render=render_change,
        metrics=live_metrics,
    )
    change_log = providers.Singleton(PostgresChangeLog, api_pool)
    change_feed = providers.Singleton(
        PostgresChangeFeed,
        config.database_url,
        change_hub,
        config.consumer_group,
        config.topic,
        log=change_log,
        retention_seconds=config.change_retention_s,
    )
    read_freshness = providers.Singleton(
        ReadFreshness,
        change_hub,
        max_wait_seconds=providers.Callable(lambda ms: ms / 1000, config.read_wait_max_ms),
    )
    open_change_stream = providers.Factory(
        OpenChangeStream,
        change_hub,
        change_log,
        heartbeat_seconds=providers.Callable(lambda ms: ms / 1000, config.change_heartbeat_ms),
    )

    # --- dead letters read back and redriven (ops API, `streamview dlq`) ------------------
    dlq_reader = providers.Singleton(
        KafkaDeadLetterReader, config.kafka_bootstrap, config.dlq_topic, security=kafka_security
    )
    redrive_sender = providers.Singleton(
        KafkaRedriveSender, config.kafka_bootstrap, security=kafka_security
    )
    redrive_ledger = providers.Singleton(PostgresRedriveLedger, api_pool, config.dlq_topic)
    list_dead_letters = providers.Factory(ListDeadLetters, dlq_reader)
    show_dead_letter = providers.Factory(ShowDeadLetter, dlq_reader)
    redrive_dead_letters = providers.Factory(
        RedriveDeadLetters,
        reader=dlq_reader,
        ledger=redrive_ledger,
        sender=redrive_sender,
        source_topic=config.topic,
        max_redrives=config.redrive_max,
        metrics=live_metrics,
    )
