"""The swap: in the transaction that holds the live tables, shadow tables become the live ones."""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import AsyncConnection, sql

from adapters.postgres.catalog import indexes_of, shadow_name
from adapters.postgres.tables import POSITIONS_TABLE


class PostgresSwap:
    """Implements SwapSession inside the transaction that holds the live tables."""

    def __init__(
        self,
        conn: AsyncConnection,
        pairs: list[tuple[str, str]],
        group: str,
        replay_group: str,
        topic: str,
    ) -> None:
        self._conn, self._pairs = conn, pairs
        self._group, self._replay_group, self._topic = group, replay_group, topic

    async def live_positions(self) -> dict[int, int]:
        cursor = await self._conn.execute(
            sql.SQL(
                "SELECT partition, next_offset FROM {} WHERE consumer_group = %s AND topic = %s"
                " FOR UPDATE"
            ).format(POSITIONS_TABLE),
            (self._group, self._topic),
        )
        return dict(await cursor.fetchall())

    async def swap(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        conn = self._conn
        for live, shadow in self._pairs:
            names = [index.name for index in await indexes_of(conn, live)]
            await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(live)))
            await conn.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                    sql.Identifier(shadow), sql.Identifier(live)
                )
            )
            for name in names:
                await conn.execute(
                    sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                        sql.Identifier(shadow_name(name)), sql.Identifier(name)
                    )
                )
        await self._move_positions(positions)
        cursor = await conn.execute(
            "UPDATE view_rebuilds SET state = 'SUCCEEDED', phase = 'DONE', finished_at = now(),"
            " updated_at = now() WHERE rebuild_id = %s AND state = 'SWAPPING'",
            (rebuild_id,),
        )
        if cursor.rowcount != 1:  # it was expired or cancelled meanwhile: do not swap
            raise RuntimeError(f"rebuild {rebuild_id} is no longer SWAPPING; swap rolled back")

    async def _move_positions(self, positions: Mapping[int, int]) -> None:
        await self._conn.execute(
            sql.SQL(
                "INSERT INTO {} (consumer_group, topic, partition, next_offset)"
                " SELECT %s, %s, p, n FROM unnest(%s::integer[], %s::bigint[]) AS r(p, n)"
                " ON CONFLICT (consumer_group, topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()"
            ).format(POSITIONS_TABLE),
            (self._group, self._topic, list(positions), list(positions.values())),
        )
        await self._conn.execute(
            sql.SQL("DELETE FROM {} WHERE consumer_group = %s").format(POSITIONS_TABLE),
            (self._replay_group,),
        )
