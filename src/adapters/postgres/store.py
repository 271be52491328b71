"""PostgreSQL view store: one transaction per batch, re-run whole on transient failures."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from loguru import logger
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.reader import PostgresOrderReader
from adapters.postgres.tables import POSITIONS_TABLE, ViewTables
from adapters.postgres.writer import PartOnConnection, PostgresTransaction, WriteStatements

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff and jitter."""

    attempts: int = 5
    first_delay: float = 0.05
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        backoff = self.first_delay * 2.0 ** (attempt - 1)
        return min(self.max_delay, backoff) * random.uniform(0.5, 1)  # jitter: no herds


class PostgresViewStore(PostgresOrderReader):
    """Implements ViewStore and OrderReader."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        tables: ViewTables | None = None,
        retry: RetryPolicy | None = None,
        parts: Mapping[str, PartOnConnection] | None = None,
    ) -> None:
        """`parts`: the enabled plug-in views' shares of each projection transaction."""
        super().__init__(pool, tables or ViewTables())
        self._parts = dict(parts or {})
        self._retry = retry or RetryPolicy()
        self._statements = WriteStatements(self._tables)
        self._stashed = sql.SQL("SELECT count(*) FROM {}").format(self._tables.stash_id)

    async def in_transaction(self, work: Callable[[PostgresTransaction], Awaitable[T]]) -> T:
        """Run `work` in one transaction; on a transient error roll back and run it again.

        OperationalError covers what a retry can cure: connection lost, admin shutdown,
        serialization failure, deadlock, pool timeout. Re-running is safe even when the
        failure hid a successful COMMIT: `work` loads again, the sequence policy then sees
        every event as a duplicate and the positions only move forwards.
        """
        for attempt in range(1, self._retry.attempts + 1):
            try:
                # Commits stay synchronous: `synchronous_commit = off` saved ~17% of a batch's
                # save + commit, but a database crash could then lose a commit that the
                # consumer has already read past, and nothing would replay it.
                async with self._pool.connection() as conn, conn.transaction():
                    return await work(PostgresTransaction(conn, self._statements, self._parts))
            except psycopg.OperationalError as error:
                if attempt == self._retry.attempts:
                    raise
                delay = self._retry.delay(attempt)
                logger.bind(attempt=attempt, delay=round(delay, 3)).warning(
                    "transient database error, retrying the batch: {}", error
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def positions(self, consumer_group: str, topic: str) -> dict[int, int]:
        query = sql.SQL(
            "SELECT partition, next_offset FROM {} WHERE consumer_group = %s AND topic = %s"
        ).format(POSITIONS_TABLE)
        async with self._pool.connection() as conn:
            cursor = await conn.execute(query, (consumer_group, topic))
            return dict(await cursor.fetchall())

    async def stashed_count(self) -> int:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(self._stashed)
            row = await cursor.fetchone()
            return int(row[0]) if row else 0
