"""The connection pool: created closed, opened by the application's lifespan."""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import check_schema


async def _configure(conn: AsyncConnection) -> None:
    # Timestamps come back in UTC whatever the server's default time zone is.
    await conn.execute("SET TIME ZONE 'UTC'")


def make_pool(dsn: str, min_size: int = 2, max_size: int = 10) -> AsyncConnectionPool:
    """A pool that is not open yet: the lifespan calls `open_checked(pool)`.

    Connections are in autocommit mode, so reads cost no BEGIN/COMMIT round trips; writes
    open an explicit transaction (`conn.transaction()`).
    """
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
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
