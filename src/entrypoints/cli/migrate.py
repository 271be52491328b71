"""`streamview migrate`: bring the database schema to the version this build needs."""

from __future__ import annotations

import asyncio

import click
import psycopg

from adapters.postgres.migrations import (
    Migration,
    SchemaError,
    ViewSchema,
    known_migrations,
    migrate,
)
from entrypoints.settings import Settings, SettingsError
from entrypoints.views import UnknownView, configured_views, view_schemas


async def _migrate(database_url: str, views: list[ViewSchema]) -> list[Migration]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return await migrate(conn, views)


@click.command("migrate")
@click.option(
    "--database-url",
    default=None,
    help="PostgreSQL URL [env STREAMVIEW_DATABASE_URL].",
)
def command(database_url: str | None) -> None:
    """Apply the pending database migrations, the engine's and those of every view of
    STREAMVIEW_VIEWS (safe to run from several instances at once)."""
    try:
        settings = Settings.from_env(database_url=database_url)
        views = view_schemas(configured_views(settings.views))
        applied = asyncio.run(_migrate(settings.database_url, views))
    except (SettingsError, SchemaError, UnknownView) as error:
        raise click.ClickException(str(error)) from None
    except psycopg.OperationalError as error:
        raise click.ClickException(f"cannot reach PostgreSQL: {error}") from None
    version = known_migrations()[-1].version
    for migration in applied:
        click.echo(f"applied {migration}")
    if applied:
        click.echo(f"schema is now at version {version}")
    else:
        click.echo(f"schema already at version {version}; nothing to do")
