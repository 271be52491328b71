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
from entrypoints.wiring.lifetimes import ApiResource, ServerResource, WorkerResource, holding

ACCESS_LOGGER = "uvicorn.access"


def create_app_from_container(
    container: Container, *, lifespan: Sequence[Lifespan] = (), worker_here: bool = True
) -> Litestar:
    """The API over this container's use cases; `lifespan` runs inside the container's
    resources (pools opened first, closed last). Without a worker in this process
    (`worker_here=False`), /lags reports the state the group's workers record, and the
    worker's pool stays closed. SettingsError when a secret is missing or a key file is
    unusable."""
    check_api_configuration(container)
    if container.config.dev_mode():
        logger.warning(
            "development mode (STREAMVIEW_DEV_MODE): built-in secrets stand in for those not "
            "set; anyone can mint ops tokens for this API - never expose it"
        )
    metrics = container.infrastructure.prometheus_metrics()
    reads, ops = container.read_side, container.ops
    return create_app(
        UseCases(
            get_order=reads.get_order,
            list_orders=reads.list_orders,
            report_lag=ops.report_lag if worker_here else ops.group_report_lag,
            readiness_probes=ops.readiness_probes,
            read_freshness=reads.read_freshness,
        ),
        ops_policy=ops.ops_policy(),
        metrics=HttpMetrics(metrics.registry, metrics.http_requests),
        ops_controllers=_ops_endpoints(container),
        controllers=_change_streams(container),
        view_routes=reads.view_routes(),
        lifespan=[_resources(container, worker_here), *lifespan],
        plugins=_tracing(container),
    )


def _tracing(container: Container) -> list[InitPlugin]:
    """HTTP server spans (Litestar's OpenTelemetry plugin) when OTEL_* configures tracing."""
    provider = container.infrastructure.tracer_provider()
    return [] if provider is None else tracing_plugins(provider)


def _ops_endpoints(container: Container) -> list[type[Controller]]:
    """Rebuilds, in either backend; the dead letters are read back from Kafka's DLQ topic,
    which the in-memory demo has none of."""
    rebuilds, ops = container.rebuilds, container.ops
    rebuild_endpoints = rebuild_controller(
        rebuilds.start_rebuild, rebuilds.get_rebuild, rebuilds.cancel_rebuild
    )
    if container.config.backend() != "postgres":
        return [rebuild_endpoints]
    return [
        rebuild_endpoints,
        dead_letters_controller(
            ops.list_dead_letters, ops.show_dead_letter, ops.redrive_dead_letters
        ),
    ]


def _change_streams(container: Container) -> list[type[Controller]]:
    """The change streams read the change log in PostgreSQL: the in-memory demo has none."""
    if container.config.backend() != "postgres":
        return []
    reads = container.read_side
    return [changes_controller(reads.open_change_stream, reads.live_metrics().events_sent)]


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


def _resources(container: Container, worker_here: bool) -> Lifespan:
    """The process's pools, clients and change feed (entrypoints.wiring.lifetimes): the
    API's, and the worker's too with a worker here; none for the in-memory backend."""
    kinds = (ApiResource, WorkerResource) if worker_here else (ApiResource,)

    @asynccontextmanager
    async def resources(_: Litestar) -> AsyncIterator[None]:
        if container.config.backend() != "postgres":
            yield
            return
        # The pools open without waiting: the API starts while the database is away, and
        # /health/ready says so until it answers; the change feed reconnects by itself.
        async with holding(container, *kinds, ServerResource):
            yield

    return resources
