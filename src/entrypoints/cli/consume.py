"""`streamview consume`: the ingestion worker alone."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
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
    from entrypoints.container import build_container
    from entrypoints.worker import consume

    settings = worker_settings()
    raise SystemExit(asyncio.run(consume(build_container(settings))))


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
