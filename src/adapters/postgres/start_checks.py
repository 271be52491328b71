"""What the worker asks of PostgreSQL before it consumes: whether the schema is this build's,
and a connection of its pool."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import SchemaError, ViewSchema, check_schema
from application.errors import Unavailable


class PostgresSchemaCheck:
    """Implements SchemaCheck, over a connection of its own (the pool may not be open yet)."""

    def __init__(self, database_url: str, views: Sequence[ViewSchema] = ()) -> None:
        self._database_url = database_url
        self._views = tuple(views)  # the enabled plug-in views, checked with the engine

    async def problem(self) -> str | None:
        try:
            async with await psycopg.AsyncConnection.connect(self._database_url) as conn:
                await check_schema(conn, self._views)
        except SchemaError as error:
            return str(error)
        except psycopg.OperationalError as error:
            raise Unavailable(str(error)) from error
        return None


class PoolConnections:
    """Implements ConnectionPool. Not `pool.wait()`: on a timeout that closes the pool for good
    (no restart could use it again), and after a long outage the pool has stopped connecting
    by itself, while asking it for a connection makes it connect again. The timeout raises
    psycopg_pool's PoolTimeout."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def wait_connection(self, timeout_seconds: float) -> None:
        async with self._pool.connection(timeout=timeout_seconds):
            pass
