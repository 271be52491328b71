"""`streamview consume`: the ingestion worker alone."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from loguru import logger

if TYPE_CHECKING:
    from entrypoints.container import Container
    from entrypoints.settings import Settings

EXIT_CONFIGURATION = 2


@click.command("consume")
def command() -> None:
    """Consume the topic into the Postgres views until SIGTERM or Ctrl-C.

    \b
    Configuration comes from STREAMVIEW_* variables, for example:
      STREAMVIEW_KAFKA_BOOTSTRAP=127.0.0.1:9092 STREAMVIEW_TOPIC=orders.events \\
      STREAMVIEW_CONSUMER_GROUP=streamview-orders \\
      STREAMVIEW_DATABASE_URL=postgresql://streamview@127.0.0.1:5432/streamview \\
        streamview consume
    Exit codes: 0 stopped on request, 1 failed, 2 configuration or schema problem.
    """
    from entrypoints.bootstrap import build_container

    settings = worker_settings()
    raise SystemExit(asyncio.run(_consume(build_container(settings))))


async def _consume(container: Container) -> int:
    """`streamview consume`: the worker alone, its metrics on a port of their own."""
    from adapters.metrics.server import metrics_served
    from application.ingestion.worker import IngestionWorker
    from entrypoints.wiring.lifetimes import WorkerResource, holding

    stopping = asyncio.Event()
    on_stop_signal(stopping.set)
    config = container.config
    metrics = container.infrastructure.prometheus_metrics()
    worker: IngestionWorker = container.ingestion.worker()
    # The worker's pool (which it waits for) and clients, closed once it has stopped.
    async with holding(container, WorkerResource):
        with metrics_served(metrics.registry, config.http_host(), config.metrics_port()) as port:
            logger.info("metrics at http://{}:{}/metrics", config.http_host(), port)
            return await worker.run(stopping)


def on_stop_signal(callback: Callable[[], None]) -> None:
    """SIGTERM and SIGINT (Ctrl-C) call `callback` on the running loop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, callback)


def worker_settings(**overrides: Any) -> Settings:
    """Validated settings for a process that runs the worker, with logging configured."""
    from entrypoints.logging import configure_logging
    from entrypoints.settings import Settings

    try:
        settings = Settings.from_env(None, **overrides)
    except ValueError as error:  # SettingsError, or a cross-field check
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(EXIT_CONFIGURATION) from None
    if settings.backend != "postgres":
        click.echo("Error: the worker needs STREAMVIEW_BACKEND=postgres", err=True)
        raise SystemExit(EXIT_CONFIGURATION)
    configure_logging(settings.log_format, settings.log_level)
    return settings
