"""The API built from the container; servers use `entrypoints.asgi:app_factory` (factory)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from litestar import Controller, Litestar
from litestar.plugins import InitPlugin
from loguru import logger

from adapters.http import HttpMetrics, UseCases, create_app
from adapters.http.app import Lifespan
from adapters.http.changes import changes_controller
from adapters.http.dead_letters import dead_letters_controller
from adapters.http.rebuilds import rebuild_controller
from adapters.tracing.http import tracing_plugins
from entrypoints.bootstrap import build_container, check_api_configuration
from entrypoints.container import Container
from entrypoints.logging import configure_logging
from entrypoints.settings import Settings

ACCESS_LOGGER = "uvicorn.access"


def create_app_from_container(
    container: Container, *, lifespan: Sequence[Lifespan] = (), worker_here: bool = True
) -> Litestar:
    """The API over this container's use cases; `lifespan` runs inside the container's
    resources (pool opened first, closed last). Without a worker in this process
    (`worker_here=False`), /lags reports the state the group's workers record.
    SettingsError when a secret is missing or a key file is unusable."""
    check_api_configuration(container)
    if container.config.dev_mode():
        logger.warning(
            "development mode (STREAMVIEW_DEV_MODE): built-in secrets stand in for those not "
            "set; anyone can mint ops tokens for this API - never expose it"
        )
    metrics = container.prometheus_metrics()
    return create_app(
        UseCases(
            get_order=container.get_order,
            list_orders=container.list_orders,
            report_lag=container.report_lag if worker_here else container.group_report_lag,
            readiness_probes=container.readiness_probes,
            read_freshness=container.read_freshness,
        ),
        ops_policy=container.ops_policy(),
        metrics=HttpMetrics(metrics.registry, metrics.http_requests),
        ops_controllers=_ops_endpoints(container),
        controllers=_change_streams(container),
        lifespan=[_resources(container), *lifespan],
        plugins=_tracing(container),
    )


def _tracing(container: Container) -> list[InitPlugin]:
    """HTTP server spans (Litestar's OpenTelemetry plugin) when OTEL_* configures tracing."""
    provider = container.tracer_provider()
    return [] if provider is None else tracing_plugins(provider)


def _ops_endpoints(container: Container) -> list[type[Controller]]:
    """Rebuilds, in either backend; the dead letters are read back from Kafka's DLQ topic,
    which the in-memory demo has none of."""
    c = container
    rebuilds = rebuild_controller(c.start_rebuild, c.get_rebuild, c.cancel_rebuild)
    if container.config.backend() != "postgres":
        return [rebuilds]
    return [
        rebuilds,
        dead_letters_controller(c.list_dead_letters, c.show_dead_letter, c.redrive_dead_letters),
    ]


def _change_streams(container: Container) -> list[type[Controller]]:
    """The change streams read the change log in PostgreSQL: the in-memory demo has none."""
    if container.config.backend() != "postgres":
        return []
    return [changes_controller(container.open_change_stream, container.live_metrics().events_sent)]


def app_factory() -> Litestar:
    """For ASGI servers (one call per worker process): settings from STREAMVIEW_* variables."""
    settings = Settings.from_env()
    # uvicorn says "no access log" by leaving its access logger without handlers; routing the
    # library loggers into loguru would turn it back on: a JSON line per request, which took
    # ~30% more CPU per point read at INFO.
    access_log = logging.getLogger(ACCESS_LOGGER)
    access_log_wanted = access_log.hasHandlers()
    configure_logging(settings.log_format, settings.log_level)
    if not access_log_wanted:
        access_log.propagate = False
    return create_app_from_container(build_container(settings), worker_here=False)


def _resources(container: Container) -> Lifespan:
    @asynccontextmanager
    async def resources(_: Litestar) -> AsyncIterator[None]:
        postgres = container.config.backend() == "postgres"
        if postgres:
            # Not waiting: the API starts while the database is away, and /health/ready says
            # so until it answers. The worker (`run`) opens its own pool.
            await container.api_pool().open(wait=False)
            await container.change_feed().start()  # reconnects by itself while the DB is away
        try:
            yield
        finally:
            if postgres:
                await container.change_feed().stop()
                await container.redrive_sender().close()  # only connected if asked to redrive
                await container.api_pool().close()
                await container.postgres_pool().close()  # the worker's, if `run` opened it
                await container.end_offsets().close()  # only connected if /lags was asked

    return resources
