"""Shadow copies of the view tables, filled by a rebuild, then swapped in by renaming.

Shadow tables are created with the live tables' columns, defaults, checks and primary keys
only (what the writer's `ON CONFLICT` needs); every other index is built once the replay has
loaded the rows, which is several times cheaper than maintaining it row by row. Indexes carry
a `_shadow` suffix until the swap gives them the live names back, so that names stay stable
for migrations across rebuilds. A database that cannot be reached is `Unavailable`, as for
every other port over PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from psycopg import AsyncConnection, errors, sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.catalog import copy_grants, indexes_of, server_started
from adapters.postgres.pool import connection_or_unavailable
from adapters.postgres.swap import PostgresSwap
from adapters.postgres.tables import POSITIONS_TABLE, ViewTables
from application.rebuild.errors import SwapContended

SHADOW = ViewTables.suffixed("_shadow")


def _pairs(live: ViewTables, shadow: ViewTables) -> list[tuple[str, str]]:
    return [(live.orders, shadow.orders), (live.items, shadow.items), (live.stash, shadow.stash)]


class PostgresShadowViews:
    """Implements ShadowViews."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        consumer_group: str,
        replay_group: str,
        topic: str,
        lock_timeout_seconds: float = 5.0,
    ) -> None:
        self._pool = pool
        self._group, self._replay_group, self._topic = consumer_group, replay_group, topic
        self._lock_timeout_ms = int(lock_timeout_seconds * 1000)
        self._pairs = _pairs(ViewTables(), SHADOW)
        self._server_started: datetime | None = None

    async def create(self) -> None:
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            self._server_started = await server_started(conn)
            await self._drop(conn)
            for live, shadow in self._pairs:
                await conn.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL EXCLUDING INDEXES)").format(
                        sql.Identifier(shadow), sql.Identifier(live)
                    )
                )
                # The unique ones decide what the replay may write (a reused eventId is
                # refused as it was live); the others are built after the bulk load.
                for index in await indexes_of(conn, live):
                    if index.primary or index.unique:
                        await conn.execute(index.create_on(shadow))
                await copy_grants(conn, live, shadow)

    async def complete(self) -> None:
        async with connection_or_unavailable(self._pool) as conn:
            for live, shadow in self._pairs:
                for index in await indexes_of(conn, live):
                    if not (index.primary or index.unique):
                        await conn.execute(index.create_on(shadow))
                await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(shadow)))

    async def drop(self) -> None:
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            await self._drop(conn)

    async def _drop(self, conn: AsyncConnection) -> None:
        shadows = sql.SQL(", ").join(sql.Identifier(shadow) for _, shadow in self._pairs)
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(shadows))
        await conn.execute(
            sql.SQL("DELETE FROM {} WHERE consumer_group = %s").format(POSITIONS_TABLE),
            (self._replay_group,),
        )

    async def clear_live(self) -> None:
        lives = sql.SQL(", ").join(sql.Identifier(live) for live, _ in self._pairs)
        async with connection_or_unavailable(self._pool) as conn, conn.transaction():
            await conn.execute(sql.SQL("TRUNCATE {}").format(lives))
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE consumer_group = %s AND topic = %s").format(
                    POSITIONS_TABLE
                ),
                (self._group, self._topic),
            )

    @asynccontextmanager
    async def swap(self) -> AsyncIterator[PostgresSwap]:
        async with connection_or_unavailable(self._pool) as conn:
            try:
                async with conn.transaction():
                    yield await self._lock_live(conn)
            except (errors.LockNotAvailable, errors.DeadlockDetected) as error:
                raise SwapContended(str(error).strip()) from error

    async def _lock_live(self, conn: AsyncConnection) -> PostgresSwap:
        lives = sql.SQL(", ").join(sql.Identifier(live) for live, _ in self._pairs)
        # Readers queue behind this lock until the commit: never wait for it long. (Taking
        # a weaker lock first and this one later would deadlock with writers of other
        # worker processes, which hold a read lock while they wait to write.)
        await conn.execute(f"SET LOCAL lock_timeout = {self._lock_timeout_ms}")
        await conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(lives))
        # A database restart mid-rebuild cut the replay off mid-stream: rather than reason
        # about what it had written, never swap that in (the next rebuild starts clean).
        if await server_started(conn) != self._server_started:
            raise RuntimeError(
                "the database restarted during the rebuild, so the replay may have lost"
                " commits: not swapping (start another rebuild)"
            )
        return PostgresSwap(conn, self._pairs, self._group, self._replay_group, self._topic)
