"""A plug-in view's own migrations: applied after the engine's, recorded under its name, checked
at start, and refused on a database whose stream was already consumed (no backfill yet)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from adapters.postgres.migrations import SchemaError, ViewSchema, check_schema, migrate
from adapters.postgres.probe import SchemaProbe
from entrypoints.cli.migrate import command as migrate_command
from tests.integration.postgres_support import execute, migrate_database, open_pool


def notes_view(tmp_path: Path, *statements: str) -> ViewSchema:
    """A view of a test whose migrations are `statements`, numbered from 1."""
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    for number, statement in enumerate(statements, start=1):
        (folder / f"{number:04d}_notes_{number}.sql").write_text(statement)
    return ViewSchema("notes", folder)


async def _recorded(conn: psycopg.AsyncConnection) -> list[tuple[str, int, str]]:
    cursor = await conn.execute("SELECT view, version, name FROM view_migrations ORDER BY 1, 2")
    return list(await cursor.fetchall())


async def test_a_views_migrations_follow_the_engines_and_are_recorded_under_its_name(
    database_url: str, tmp_path: Path
) -> None:
    view = notes_view(tmp_path, "CREATE TABLE notes (id text PRIMARY KEY)")
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        applied = await migrate(conn, [view])

        assert str(applied[-1]) == "0001_notes:notes_1"
        assert await _recorded(conn) == [("notes", 1, "notes_1")]
        await conn.execute("INSERT INTO notes VALUES ('a')")  # the table is there
        assert await migrate(conn, [view]) == []


async def test_a_view_evolves_by_its_own_numbers(database_url: str, tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, [notes_view(tmp_path, "CREATE TABLE notes (id text)")])
        later = notes_view(
            tmp_path, "CREATE TABLE notes (id text)", "ALTER TABLE notes ADD COLUMN body text"
        )

        with pytest.raises(SchemaError, match=r"view 'notes' are not migrated.*0002_notes_2"):
            await check_schema(conn, [later])
        assert [m.name for m in await migrate(conn, [later])] == ["notes:notes_2"]
        await check_schema(conn, [later])


async def test_the_schema_probe_waits_for_an_enabled_views_tables(
    database_url: str, tmp_path: Path
) -> None:
    view = notes_view(tmp_path, "CREATE TABLE notes (id text)")
    await migrate_database(database_url)
    async with open_pool(database_url) as pool:
        missing = await SchemaProbe(pool, [view]).problem()
        async with pool.connection() as conn:
            await migrate(conn, [view])

        assert missing is not None and "streamview migrate" in missing
        assert await SchemaProbe(pool, [view]).problem() is None


async def test_a_new_view_is_refused_on_a_stream_already_consumed(
    database_url: str, tmp_path: Path
) -> None:
    await migrate_database(database_url)
    await execute(
        database_url,
        "INSERT INTO consumer_positions (consumer_group, topic, partition, next_offset)"
        " VALUES ('g', 'orders.events', 0, 42)",
    )

    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        with pytest.raises(SchemaError, match=r"already consumed.*backfill"):
            await migrate(conn, [notes_view(tmp_path, "CREATE TABLE notes (id text)")])
        cursor = await conn.execute("SELECT to_regclass('notes') IS NULL")
        assert await cursor.fetchone() == (True,)  # nothing of it was applied


def test_the_migrate_command_applies_the_views_of_streamview_views(database_url: str) -> None:
    env = {"STREAMVIEW_DATABASE_URL": database_url, "STREAMVIEW_VIEWS": "orders,customers"}

    result = CliRunner().invoke(migrate_command, [], env=env)

    assert result.exit_code == 0, result.output
    assert "applied 0001_views" in result.output
    assert "applied 0001_customers:customers" in result.output


def test_the_migrate_command_names_a_view_that_is_not_installed(database_url: str) -> None:
    env = {"STREAMVIEW_DATABASE_URL": database_url, "STREAMVIEW_VIEWS": "orders,billing"}

    result = CliRunner().invoke(migrate_command, [], env=env)

    assert result.exit_code != 0
    assert "not installed: billing" in result.output
