"""Readiness: PostgreSQL answers (`postgres`) and its schema is the one this build needs
(`schema`). What a client sees names the dependency only; the error itself goes to the log."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
from loguru import logger
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import SchemaError, ViewSchema, check_schema

UNREACHABLE = "unreachable"
# Under the endpoint's 2 s per probe, so that a database that is away reads "unreachable".
CONNECT_TIMEOUT_SECONDS = 1.5


class _PoolProbe:
    """A probe over one connection of the pool, waited for `timeout` seconds at most."""

    def __init__(self, pool: AsyncConnectionPool, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
        self._pool = pool
        self._timeout = timeout

    def _connection(self) -> AbstractAsyncContextManager[AsyncConnection[Any]]:
        return self._pool.connection(timeout=self._timeout)


class PostgresProbe(_PoolProbe):
    """Implements ReadinessProbe."""

    name = "postgres"

    async def problem(self) -> str | None:
        try:
            async with self._connection() as conn:
                await conn.execute("SELECT 1")
        except (psycopg.Error, OSError) as error:
            logger.warning("readiness: postgres unreachable: {}", error)
            return UNREACHABLE
        return None


class SchemaProbe(_PoolProbe):
    """Implements ReadinessProbe: the engine's schema and that of every enabled view."""

    name = "schema"

    def __init__(
        self,
        pool: AsyncConnectionPool,
        views: Sequence[ViewSchema] = (),
        timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(pool, timeout)
        self._views = tuple(views)

    async def problem(self) -> str | None:
        try:
            async with self._connection() as conn:
                await check_schema(conn, self._views)
        except SchemaError as error:
            logger.warning("readiness: {}", error)
            return "not the version this build needs: run `streamview migrate` or upgrade"
        except (psycopg.Error, OSError):
            return "not checked: postgres is unreachable"
        return None
