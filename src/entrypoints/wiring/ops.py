"""Ops: the lag report, readiness, the ops tokens, and dead letters read back and redriven
(ops API, `streamview dlq`)."""

from __future__ import annotations

import functools

from dependency_injector import containers, providers

from adapters.http.auth import KeyFileError, OpsPolicy, TokenRules
from adapters.http.health import RedactedProbe
from adapters.kafka.access import connection_problem
from adapters.kafka.dlq_reader import KafkaDeadLetterReader, KafkaRedriveSender
from adapters.kafka.probe import KafkaProbe
from adapters.postgres.consumer_states import PostgresConsumerStates
from adapters.postgres.probe import PostgresProbe, SchemaProbe
from adapters.postgres.redrives import PostgresRedriveLedger
from application.dead_letter_ops import ListDeadLetters, RedriveDeadLetters, ShowDeadLetter
from application.ops import ConsumerProbe, ReportLag
from entrypoints.api_secrets import missing_message, variable
from entrypoints.settings import SettingsError
from entrypoints.wiring.lifetimes import ApiResource, closed_at_exit


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


class Ops(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    infrastructure = providers.DependenciesContainer()
    write_side = providers.DependenciesContainer()
    read_side = providers.DependenciesContainer()

    ops_policy = providers.Singleton(
        _ops_policy,
        config.ops_jwt_secret,
        config.ops_jwt_public_key_file,
        config.ops_jwt_issuer,
        config.ops_jwt_audience,
        config.ops_jwt_max_lifetime_s,
    )
    # --- lag -------------------------------------------------------------------------------
    report_lag = providers.Factory(
        ReportLag,
        store=write_side.view_store,
        end_offsets=infrastructure.end_offsets,
        status=write_side.consumer_status,
        consumer_group=config.consumer_group,
        topic=config.topic,
        guard=write_side.guard_topic,
        views=infrastructure.view_names,
    )
    # For a process without a worker of its own (`streamview serve`): the group's state as
    # its workers report it, stale after three lag refreshes (15 s at least).
    api_consumer_states = providers.Singleton(PostgresConsumerStates, infrastructure.api_pool)
    group_report_lag = providers.Factory(
        report_lag,
        store=read_side.api_store,
        members=api_consumer_states,
        stale_after_seconds=providers.Callable(
            lambda refresh_ms: max(15.0, 3 * refresh_ms / 1000), config.lag_refresh_ms
        ),
    )
    # --- what `/health/ready` asks ---------------------------------------------------------
    kafka_probe = providers.Singleton(
        KafkaProbe,
        infrastructure.end_offsets,
        config.topic,
        explain=providers.Callable(
            functools.partial,
            connection_problem,
            config.kafka_bootstrap,
            infrastructure.kafka_security,
            timeout_seconds=1.0,  # within the readiness probe's own limit
        ),
    )
    # Kafka's explanations quote addresses and client errors: logged, not shown.
    postgres_probe = providers.Singleton(PostgresProbe, infrastructure.api_pool)
    schema_probe = providers.Singleton(
        SchemaProbe, infrastructure.api_pool, infrastructure.view_schemas
    )
    kafka_readiness = providers.Singleton(RedactedProbe, kafka_probe)
    readiness_probes = providers.List(postgres_probe, schema_probe, kafka_readiness)
    # With a worker in the process (`streamview run`): its state too (see with_worker_probe).
    consumer_probe = providers.Singleton(ConsumerProbe, write_side.consumer_status)

    # --- dead letters read back and redriven ----------------------------------------------
    dlq_reader = providers.Singleton(
        KafkaDeadLetterReader,
        config.kafka_bootstrap,
        config.dlq_topic,
        security=infrastructure.kafka_security,
    )
    redrive_sender = providers.Singleton(
        KafkaRedriveSender, config.kafka_bootstrap, security=infrastructure.kafka_security
    )
    redrive_sender_open = ApiResource(closed_at_exit, redrive_sender)  # connected if asked to
    redrive_ledger = providers.Singleton(
        PostgresRedriveLedger, infrastructure.api_pool, config.dlq_topic
    )
    list_dead_letters = providers.Factory(ListDeadLetters, dlq_reader)
    show_dead_letter = providers.Factory(ShowDeadLetter, dlq_reader)
    redrive_dead_letters = providers.Factory(
        RedriveDeadLetters,
        reader=dlq_reader,
        ledger=redrive_ledger,
        sender=redrive_sender,
        source_topic=config.topic,
        max_redrives=config.redrive_max,
        metrics=read_side.live_metrics,
    )
