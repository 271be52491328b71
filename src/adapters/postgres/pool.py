"""The connection pool: created closed, opened by the application's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import check_schema
from adapters.postgres.timestamps import load_bounded_timestamps
from application.errors import Unavailable


async def _configure(conn: AsyncConnection) -> None:
    # Timestamps come back in UTC whatever the server's default time zone is, and always load.
    await conn.execute("SET TIME ZONE 'UTC'")
    load_bounded_timestamps(conn)


def make_pool(
    dsn: str, min_size: int = 2, max_size: int = 10, timeout_ms: int = 5000
) -> AsyncConnectionPool:
    """A pool that is not open yet: the lifespan calls `open_checked(pool)`.

    Connections are in autocommit mode, so reads cost no BEGIN/COMMIT round trips; writes
    open an explicit transaction (`conn.transaction()`). `timeout_ms` bounds the wait for a
    connection: with the database away, a read is `Unavailable` after it rather than hanging
    for psycopg_pool's 30 s default, and the worker notices the outage as soon.
    """
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout_ms / 1000,
        kwargs={"autocommit": True},
        configure=_configure,
        open=False,
        name="streamview",
    )


async def open_checked(pool: AsyncConnectionPool, timeout: float = 30.0) -> int:
    """Open the pool and refuse to go on unless the schema is this build's (SchemaError says
    what to do: run `streamview migrate`, or upgrade). Returns the schema version."""
    await pool.open(wait=True, timeout=timeout)
    try:
        async with pool.connection() as conn:
            return await check_schema(conn)
    except BaseException:
        await pool.close()
        raise


@asynccontextmanager
async def connection_or_unavailable(pool: AsyncConnectionPool) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for a read; a database that cannot be reached (no connection within
    the pool's timeout, a connection lost, the server shutting down) is `Unavailable`."""
    try:
        async with pool.connection() as conn:
            yield conn
    except psycopg.OperationalError as error:  # PoolTimeout is one too
        raise Unavailable(f"the database did not answer: {type(error).__name__}") from error
