"""Growing the read views to `read_orders` orders by cloning the ingested ones in SQL.

Scenario 2 reads over 1M orders while scenario 1 ingests 200k: rather than produce and ingest
800k more orders, every order (and its lines) is copied as `<id>-x1`, `<id>-x2`, … with the
same values, so statuses, customers, dates and totals keep the generated distribution. Copies
are only read: a rebuild (scenario 5) replays the topic and so drops them again.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

from bench.ids import CLONE_MARK

# Columns that must differ per copy (the key, and the unique dedup id); the rest is copied.
_SUFFIXED = {"order_id", "dedup_event_id"}


async def _columns(conn: psycopg.AsyncConnection, table: str) -> list[str]:
    cursor = await conn.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [name for (name,) in await cursor.fetchall()]


def _clone(table: str, columns: list[str]) -> sql.Composed:
    values = sql.SQL(", ").join(
        sql.SQL("{} || {} || k").format(sql.Identifier(c), sql.Literal(CLONE_MARK))
        if c in _SUFFIXED
        else sql.Identifier(c)
        for c in columns
    )
    return sql.SQL(
        "INSERT INTO {table} ({columns}) SELECT {values}"
        " FROM {table}, generate_series(1, %(copies)s) AS k"
        " WHERE position({mark} in order_id) = 0"
    ).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=values,
        mark=sql.Literal(CLONE_MARK),
    )


async def amplify(database_url: str, orders: int, read_orders: int) -> dict:
    """Clone until the views hold `read_orders` orders (a whole number of copies each)."""
    copies = max(0, -(-read_orders // orders) - 1)
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        if copies:
            for table in ("orders_view", "order_items_view"):
                statement = _clone(table, await _columns(conn, table))
                await conn.execute(statement, {"copies": copies})
            # Fresh statistics and visibility map, as a long-running database would have.
            await conn.execute("VACUUM (ANALYZE) orders_view, order_items_view")
        cursor = await conn.execute("SELECT count(*) FROM orders_view")
        (total,) = await cursor.fetchone() or (0,)
    return {
        "orders": total,
        "copies_per_order": copies,
        "seconds": round(time.perf_counter() - started, 1),
    }
