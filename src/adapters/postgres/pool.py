"""The connection pool: created closed, opened by the application's lifespan."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from loguru import logger
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import check_schema
from adapters.postgres.timestamps import load_bounded_timestamps
from application.errors import Unavailable


async def _configure(conn: AsyncConnection, statement_timeout_ms: int | None) -> None:
    # Timestamps come back in UTC whatever the server's default time zone is, and always load.
    await conn.execute("SET TIME ZONE 'UTC'")
    load_bounded_timestamps(conn)
    if statement_timeout_ms is not None:
        timeout = sql.SQL("SET statement_timeout = {}").format(sql.Literal(statement_timeout_ms))
        await conn.execute(timeout)


def make_pool(
    dsn: str,
    min_size: int = 2,
    max_size: int = 10,
    timeout_ms: int = 5000,
    statement_timeout_ms: int | None = None,
    name: str = "streamview",
) -> AsyncConnectionPool:
    """A pool that is not open yet: the lifespan calls `open_checked(pool)`.

    Connections are in autocommit mode, so reads cost no BEGIN/COMMIT round trips; writes
    open an explicit transaction (`conn.transaction()`). `timeout_ms` bounds the wait for a
    connection: with the database away, a read is `Unavailable` after it rather than hanging
    for psycopg_pool's 30 s default, and the worker notices the outage as soon.
    `statement_timeout_ms` makes the server cancel a statement that runs longer (QueryCanceled,
    an OperationalError: `Unavailable` for a read), so no request holds a connection for long.
    """
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout_ms / 1000,
        kwargs={"autocommit": True},
        configure=functools.partial(_configure, statement_timeout_ms=statement_timeout_ms),
        open=False,
        name=name,
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
    except psycopg.errors.QueryCanceled as error:  # past the statement timeout
        raise Unavailable("the database did not answer in time") from error
    except psycopg.OperationalError as error:  # PoolTimeout is one too
        raise Unavailable(f"the database did not answer: {type(error).__name__}") from error
    except psycopg.errors.InsufficientPrivilege as error:
        # The role lacks a grant (README "PostgreSQL: TLS and roles"): the operator's to fix,
        # no fault of the request. The log names it; the client is told to come back.
        logger.error("the database refused a privilege this process needs: {}", error)
        raise Unavailable("the database refused a privilege this service needs") from error
