"""The view's tables in PostgreSQL: written in the batch's transaction, read by the API."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool

from streamview_event_counts.domain import EventCount
from streamview_event_counts.projecting import ProjectEventCounts

_COLUMNS = "order_id, events, last_type, last_event_sequence"
_UPSERT = (
    f"INSERT INTO event_counts AS c ({_COLUMNS}) SELECT {_COLUMNS} FROM json_to_recordset(%s)"
    " AS r(order_id text, events bigint, last_type text, last_event_sequence bigint)"
    " ON CONFLICT (order_id) DO UPDATE SET events = EXCLUDED.events,"
    " last_type = EXCLUDED.last_type, last_event_sequence = EXCLUDED.last_event_sequence"
    " WHERE c.last_event_sequence < EXCLUDED.last_event_sequence"
)
_encode = msgspec.json.Encoder().encode


class PostgresEventCounts:
    """Implements EventCountWrites on the open transaction's connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def load(self, order_ids: Collection[str]) -> dict[str, EventCount]:
        cursor = await self._conn.execute(
            f"SELECT {_COLUMNS} FROM event_counts WHERE order_id = ANY(%s)", (list(order_ids),)
        )
        return {row[0]: EventCount(*row) for row in await cursor.fetchall()}

    async def save(self, counts: Sequence[EventCount]) -> None:
        await self._conn.execute(_UPSERT, (Json(list(counts), dumps=_encode),))


class PostgresEventCountReader:
    """Implements EventCountReader over the API's pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def get(self, order_id: str) -> EventCount | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM event_counts WHERE order_id = %s", (order_id,)
            )
            row = await cursor.fetchone()
        return None if row is None else EventCount(*row)


def part(conn: AsyncConnection) -> ProjectEventCounts:
    return ProjectEventCounts(PostgresEventCounts(conn))
