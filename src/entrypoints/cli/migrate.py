"""`streamview migrate`: bring the database schema to the version this build needs."""

from __future__ import annotations

import asyncio

import click
import psycopg

from adapters.postgres.migrations import Migration, SchemaError, known_migrations, migrate
from entrypoints.settings import Settings, SettingsError


async def _migrate(database_url: str) -> list[Migration]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return await migrate(conn)


@click.command("migrate")
@click.option(
    "--database-url",
    default=None,
    help="PostgreSQL URL [env STREAMVIEW_DATABASE_URL].",
)
def command(database_url: str | None) -> None:
    """Apply the pending database migrations (safe to run from several instances at once)."""
    try:
        url = Settings.from_env(database_url=database_url).database_url
        applied = asyncio.run(_migrate(url))
    except (SettingsError, SchemaError) as error:
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
