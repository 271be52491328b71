"""The settings, the pools, Kafka's security and names, metrics and tracing: what the other
containers are built on."""

from __future__ import annotations

from dependency_injector import containers, providers
from opentelemetry.sdk.trace import TracerProvider

from adapters.kafka.access import Names
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.security import kafka_security
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.postgres.pool import make_pool
from adapters.tracing import NullSpans, OtelSpans, tracer_provider_from_env
from entrypoints.views import ViewSettings, configured_views, view_schemas
from entrypoints.wiring.lifetimes import (
    ApiResource,
    SharedResource,
    WorkerResource,
    closed_at_exit,
    opened_pool,
)


def same(adapter: object) -> object:
    """A port that production serves with an adapter provided under its own name too (so
    that it can be overridden alone)."""
    return adapter


def _spans(provider: TracerProvider | None) -> OtelSpans | NullSpans:
    return NullSpans() if provider is None else OtelSpans(provider)


class Infrastructure(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # --- the view plug-ins of STREAMVIEW_VIEWS (entrypoints.views) -----------------------
    views = providers.Singleton(configured_views, config.views)
    view_settings = providers.Singleton(ViewSettings, default_tax_rate=config.default_tax_rate)
    view_schemas = providers.Singleton(view_schemas, views)
    view_names = providers.Singleton(lambda views: [v.name for v in views], views)

    # --- PostgreSQL ----------------------------------------------------------------------
    # Made closed; each is opened and closed by its Resource (entrypoints.wiring.lifetimes).
    # The worker's pool: its and a rebuild's long transactions are not bounded.
    postgres_pool = providers.Singleton(
        make_pool,
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout_ms,
    )
    # The API's own pool: the server cancels its statements past the API's statement timeout
    # (a 503 to the client). Under `streamview run` both pools exist, each sized by
    # STREAMVIEW_DB_POOL_MIN/MAX.
    api_pool = providers.Singleton(
        make_pool,
        config.database_url,
        config.db_pool_min,
        config.db_pool_max,
        config.db_pool_timeout_ms,
        statement_timeout_ms=config.api_statement_timeout_ms,
        name="streamview-api",
    )
    postgres_pool_open = WorkerResource(opened_pool, postgres_pool)
    api_pool_open = ApiResource(opened_pool, api_pool)

    # --- Kafka ---------------------------------------------------------------------------
    # No I/O until first used (the API process never opens a producer).
    # Every Kafka client is built with these (TLS, SASL): one checked set for all of them.
    kafka_security = providers.Singleton(kafka_security, config)
    kafka_names = providers.Factory(Names, config.topic, config.dlq_topic, config.consumer_group)
    # The topic's end offsets: for the lag, the topic guard and Kafka's readiness; the API's
    # and the worker's, one client under `run`, closed once when the process stops.
    end_offsets = providers.Singleton(
        KafkaEndOffsets, config.kafka_bootstrap, security=kafka_security
    )
    end_offsets_open = SharedResource(closed_at_exit, end_offsets)

    # --- observability -------------------------------------------------------------------
    prometheus_metrics = providers.Singleton(PrometheusMetrics)  # also counts lost dead letters
    # Configured by the OTEL_* variables only; None (and NullSpans) unless an exporter is set.
    tracer_provider = providers.Singleton(tracer_provider_from_env)
    spans = providers.Singleton(_spans, tracer_provider)
