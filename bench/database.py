"""Schema and sanity checks of a benchmark database, through the store's own migrations."""

from __future__ import annotations

import os

import psycopg

from adapters.postgres.migrations import ViewSchema, migrate
from entrypoints.views import configured_views, view_schemas


def enabled_view_schemas() -> list[ViewSchema]:
    """The tables of the views the benchmarked workers run (STREAMVIEW_VIEWS, as they read it)."""
    return view_schemas(configured_views(os.environ.get("STREAMVIEW_VIEWS", "orders")))


async def migrated(database_url: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, enabled_view_schemas())
        await conn.commit()
    return database_url


async def view_totals(database_url: str) -> dict[str, int]:
    """Counts that tell whether every event landed: orders, lines, summed sequences, stash."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT (SELECT count(*) FROM orders_view),"
            " (SELECT coalesce(sum(last_event_sequence), 0) FROM orders_view),"
            " (SELECT count(*) FROM order_items_view),"
            " (SELECT count(*) FROM order_stash)"
        )
        orders, sequences, lines, stashed = await cursor.fetchone() or (0, 0, 0, 0)
    return {"orders": orders, "applied_events": int(sequences), "lines": lines, "stashed": stashed}
