"""The worker (application.ingestion): the consume loop, its start checks and reports, built
from the adapters that serve their ports, and what the worker waits out rather than fail."""

from __future__ import annotations

import functools

import psycopg
from dependency_injector import containers, providers

from adapters.kafka.access import KafkaAccess
from adapters.kafka.source import KafkaRecordSource
from adapters.kafka.transient_errors import is_transient as kafka_is_transient
from adapters.postgres.start_checks import PoolConnections, PostgresSchemaCheck
from application.consuming import ConsumeSettings
from application.errors import LiveViewsRewritten
from application.ingestion.checks import OutageOrDenial, StartChecks
from application.ingestion.reports import WorkerReports
from application.ingestion.worker import Consuming, IngestionWorker
from application.ports import RegistryUnavailable


def is_outage(error: Exception) -> bool:
    """Failures to wait out: the broker, the database or the schema registry is unreachable or
    busy (or an in-place rebuild rewrote the positions: waiting means seeking to them again)."""
    return kafka_is_transient(error) or isinstance(
        error, psycopg.OperationalError | OSError | LiveViewsRewritten | RegistryUnavailable
    )


def _seconds(ms: int) -> float:
    return ms / 1000


class Ingestion(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    infrastructure = providers.DependenciesContainer()
    write_side = providers.DependenciesContainer()
    rebuilds = providers.DependenciesContainer()
    ops = providers.DependenciesContainer()

    settings = providers.Factory(
        ConsumeSettings,
        consumer_group=config.consumer_group,
        topic=config.topic,
        batch_max_records=config.batch_max_records,
        batch_max_wait_ms=config.batch_max_wait_ms,
        retry_max_seconds=providers.Callable(_seconds, config.retry_backoff_max_ms),
    )
    # One source per worker start: the worker starts and stops it.
    new_source = providers.Factory(
        KafkaRecordSource.create,
        bootstrap=config.kafka_bootstrap,
        topic=config.topic,
        group_id=config.consumer_group,
        max_records=config.batch_max_records,
        security=infrastructure.kafka_security,
        on_records_lost=providers.Callable(
            functools.partial, write_side.topic_problems.provided.records_lost, config.topic
        ),
    )
    consuming = providers.Factory(
        Consuming,
        settings=settings,
        new_source=new_source.provider,
        project=rebuilds.live_gate,  # through the gate, so that a rebuild can pause it
        store=write_side.view_store,
        status=write_side.consumer_status,
        spans=infrastructure.spans,
    )

    # --- before it consumes: the schema (the enabled views' too), the pool, the broker ------
    broker_access = providers.Singleton(
        KafkaAccess,
        config.kafka_bootstrap,
        infrastructure.kafka_security,
        infrastructure.kafka_names,
    )
    schema_check = providers.Singleton(
        PostgresSchemaCheck, config.database_url, infrastructure.view_schemas
    )
    pool_connections = providers.Singleton(PoolConnections, infrastructure.postgres_pool)
    start_checks = providers.Factory(
        StartChecks,
        schema=schema_check,
        pool=pool_connections,
        broker=broker_access,
        store=write_side.view_store,
        guard=write_side.guard_topic,
        problems=write_side.topic_problems,
        settings=settings,
    )
    # A missing ACL is waited for like an outage (and reported by name).
    waits_out = providers.Singleton(
        OutageOrDenial, providers.Object(is_outage), broker_access, write_side.topic_problems
    )

    # --- while it runs: the lag, the stash, its state ---------------------------------------
    reports = providers.Factory(
        WorkerReports,
        report_lag=ops.report_lag,
        metrics=write_side.metrics,
        states=write_side.consumer_states,
        status=write_side.consumer_status,
        store=write_side.view_store,
        settings=settings,
        every_seconds=providers.Callable(_seconds, config.lag_refresh_ms),
    )

    worker = providers.Factory(
        IngestionWorker,
        consuming=consuming,
        checks=start_checks,
        reports=reports,
        watch_rebuilds=rebuilds.watch_rebuilds,
        is_outage=waits_out,
    )
