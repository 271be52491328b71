"""Readiness: PostgreSQL answers and its schema is the one this build needs."""

from __future__ import annotations

import psycopg
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import SchemaError, check_schema


class PostgresProbe:
    """Implements ReadinessProbe."""

    name = "postgres"

    def __init__(self, pool: AsyncConnectionPool, timeout: float = 2.0) -> None:
        self._pool = pool
        self._timeout = timeout

    async def problem(self) -> str | None:
        try:
            async with self._pool.connection(timeout=self._timeout) as conn:
                await check_schema(conn)
        except SchemaError as error:
            return str(error)
        except (psycopg.Error, OSError) as error:
            return f"postgres unreachable: {error}"
        return None
