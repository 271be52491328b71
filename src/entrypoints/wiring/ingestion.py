"""The worker: the consume loop and what it needs around it, each given to it by name."""

from __future__ import annotations

import functools

from dependency_injector import containers, providers

from adapters.kafka.source import KafkaRecordSource
from application.consuming import ConsumeSettings
from entrypoints.ingestion_worker import Worker
from entrypoints.worker_guards import WorkerGuards


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
        retry_max_seconds=providers.Callable(lambda ms: ms / 1000, config.retry_backoff_max_ms),
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
    guards = providers.Factory(
        WorkerGuards,
        config.kafka_bootstrap,
        infrastructure.kafka_security,
        infrastructure.kafka_names,
        write_side.view_store,
        write_side.guard_topic,
        write_side.topic_problems,
    )
    worker = providers.Factory(
        Worker,
        settings=settings,
        database_url=config.database_url,
        pool=infrastructure.postgres_pool,
        new_source=new_source.provider,
        project=rebuilds.live_gate,  # through the gate, so that a rebuild can pause it
        store=write_side.view_store,
        status=write_side.consumer_status,
        spans=infrastructure.spans,
        watch_rebuilds=rebuilds.watch_rebuilds,
        report_lag=ops.report_lag,
        metrics=infrastructure.prometheus_metrics,
        consumer_states=write_side.consumer_states,
        guards=guards,
        dead_letters=write_side.dead_letters,
        end_offsets=infrastructure.end_offsets,
        lag_refresh_seconds=providers.Callable(lambda ms: ms / 1000, config.lag_refresh_ms),
        views=infrastructure.view_schemas,
    )
