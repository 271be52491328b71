"""The write side: the ports the worker projects through, and the projection itself."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.kafka.dead_letters import KafkaDeadLetters
from adapters.kafka.topic_facts import KafkaTopicInspector
from adapters.postgres.consumer_states import PostgresConsumerStates
from adapters.postgres.store import PostgresViewStore
from adapters.registry.source import RegistrySchemaSource, registry_client
from application.ports import SchemaSource
from application.projecting import ProjectBatch
from application.topic_guard import GuardedStatus, GuardSettings, GuardTopic, TopicProblems
from application.writer_schemas import CachedSchemas
from entrypoints.views import postgres_parts
from entrypoints.wiring.infrastructure import same
from entrypoints.wiring.lifetimes import WorkerResource, closed_at_exit


def _schema_source(url: str | None, user: str | None, password: str | None) -> SchemaSource | None:
    """The registry's writer schemas, cached; None without a registry."""
    if not url:
        return None
    return CachedSchemas(RegistrySchemaSource(registry_client(url, user, password)))


class WriteSide(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    infrastructure = providers.DependenciesContainer()

    view_store = providers.Singleton(
        PostgresViewStore,
        infrastructure.postgres_pool,
        parts=providers.Callable(
            postgres_parts, infrastructure.views, infrastructure.view_settings
        ),
    )
    dead_letters = providers.Singleton(
        KafkaDeadLetters,
        config.kafka_bootstrap,
        config.dlq_topic,
        lost=providers.Callable(
            lambda metrics: metrics.dead_letter_lost, infrastructure.prometheus_metrics
        ),
        security=infrastructure.kafka_security,
    )
    # Connected at the first dead letter; closed when the worker's process stops, not when
    # `streamview run` starts its worker again.
    dead_letters_open = WorkerResource(closed_at_exit, dead_letters)
    metrics = providers.Singleton(same, infrastructure.prometheus_metrics)
    # Guard rails on the topic: checked at the worker's start and in every lag report.
    topic_problems = providers.Singleton(TopicProblems, metric=infrastructure.prometheus_metrics)
    guard_topic = providers.Singleton(
        GuardTopic,
        providers.Singleton(KafkaTopicInspector, infrastructure.end_offsets),
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
    consumer_states = providers.Singleton(PostgresConsumerStates, infrastructure.postgres_pool)
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
        spans=infrastructure.spans,
        consumer_group=config.consumer_group,
        default_tax_rate=config.default_tax_rate,
        schemas=schema_source,
    )
