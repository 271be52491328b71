"""Migrations, the schema check that guards start-up, the readiness probe, `streamview migrate`."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from click.testing import CliRunner

from adapters.postgres.migrations import SchemaError, check_schema, known_migrations, migrate
from adapters.postgres.pool import make_pool, open_checked
from adapters.postgres.probe import PostgresProbe, SchemaProbe
from entrypoints.cli.migrate import command as migrate_command
from tests.integration.postgres_support import execute, migrate_database, open_pool

LATEST = known_migrations()[-1].version
ORDERS_COLUMNS = [
    "order_id", "customer_id", "status", "currency", "total_net", "total_gross", "item_count",
    "line_count", "created_at", "updated_at", "last_event_sequence", "last_event_id",
    "dedup_event_id", "projected_at",
]  # fmt: skip
ITEMS_COLUMNS = [
    "order_id", "line_no", "item_id", "sku", "qty", "price", "tax_rate", "net_line_total",
    "gross_line_total",
]  # fmt: skip


async def _columns(conn: psycopg.AsyncConnection, table: str) -> list[str]:
    cursor = await conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
        " ORDER BY ordinal_position",
        (table,),
    )
    return [name for (name,) in await cursor.fetchall()]


async def test_migrate_creates_the_contract_tables(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        applied = await migrate(conn)

        assert [m.version for m in applied] == list(range(1, LATEST + 1))
        assert await _columns(conn, "orders_view") == ORDERS_COLUMNS
        assert await _columns(conn, "order_items_view") == ITEMS_COLUMNS
        assert await check_schema(conn) == LATEST


async def test_migrating_again_does_nothing(database_url: str) -> None:
    await migrate_database(database_url)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        assert await migrate(conn) == []
        cursor = await conn.execute("SELECT count(*) FROM schema_migrations")
        assert await cursor.fetchone() == (LATEST,)


async def test_two_instances_migrating_at_once_apply_each_migration_once(
    database_url: str,
) -> None:
    async with (
        await psycopg.AsyncConnection.connect(database_url) as first,
        await psycopg.AsyncConnection.connect(database_url) as second,
    ):
        results = await asyncio.gather(migrate(first), migrate(second))

        assert sorted(len(applied) for applied in results) == [0, LATEST]
        assert await check_schema(first) == LATEST


async def test_an_unmigrated_database_is_refused_with_what_to_run(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        with pytest.raises(SchemaError, match=r"not migrated.*run `streamview migrate`"):
            await check_schema(conn)


async def test_a_schema_newer_than_this_build_is_refused(database_url: str) -> None:
    await migrate_database(database_url)
    await execute(database_url, "INSERT INTO schema_migrations VALUES (9999, 'from_the_future')")

    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        with pytest.raises(SchemaError, match="version 9999, newer than this build"):
            await check_schema(conn)
        with pytest.raises(SchemaError, match="newer"):
            await migrate(conn)


async def test_the_schema_probe_is_ready_only_once_migrated(database_url: str) -> None:
    async with open_pool(database_url, migrated=False) as pool:
        probe = SchemaProbe(pool)
        unmigrated = await probe.problem()
        answering = await PostgresProbe(pool).problem()
        await migrate_database(database_url)

        assert unmigrated is not None and "streamview migrate" in unmigrated
        assert answering is None  # the server itself answers
        assert await probe.problem() is None


async def test_the_probes_report_an_unreachable_server_without_its_address() -> None:
    pool = make_pool("postgresql://nobody@127.0.0.1:1/none", min_size=1, max_size=1)
    await pool.open(wait=False)
    try:
        problems = [
            await PostgresProbe(pool, timeout=0.5).problem(),
            await SchemaProbe(pool, timeout=0.5).problem(),
        ]
    finally:
        await pool.close()

    assert problems == ["unreachable", "not checked: postgres is unreachable"]


def test_the_migrate_command_says_what_it_did(database_url: str) -> None:
    env = {"STREAMVIEW_DATABASE_URL": database_url}

    first = CliRunner().invoke(migrate_command, [], env=env)
    second = CliRunner().invoke(migrate_command, [], env=env)

    assert first.exit_code == 0, first.output
    assert "applied 0001_views" in first.output
    assert f"schema already at version {LATEST}; nothing to do" in second.output


async def test_opening_the_pool_refuses_an_unmigrated_schema(database_url: str) -> None:
    pool = make_pool(database_url, min_size=1, max_size=1)

    with pytest.raises(SchemaError, match="streamview migrate"):
        await open_checked(pool)

    assert pool.closed
    await migrate_database(database_url)
    pool = make_pool(database_url, min_size=1, max_size=1)
    assert await open_checked(pool) == LATEST
    await pool.close()
