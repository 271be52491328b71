"""The read side on PostgreSQL: one order with its lines, and pages of orders (SQL: listing.py)."""

from __future__ import annotations

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.list_clauses import SORT_COLUMNS
from adapters.postgres.listing import list_statement, probe_statement
from adapters.postgres.pool import connection_or_unavailable
from adapters.postgres.rows import (
    LINE_COLUMNS,
    VIEW_COLUMNS,
    column_list,
    line_from_row,
    view_from_row,
)
from adapters.postgres.tables import ViewTables
from application.ports import ListQuery, OrderDetail
from domain.projection import OrderView

__all__ = ["SORT_COLUMNS", "PostgresOrderReader", "list_statement"]


_NUL = "\x00"


class PostgresOrderReader:
    """Implements OrderReader."""

    def __init__(self, pool: AsyncConnectionPool, tables: ViewTables) -> None:
        self._pool = pool
        self._tables = tables
        # Rendered once: a Composed is rendered again on every execute (~6% of a point read's
        # CPU). Identifiers are ASCII, so no connection's encoding is needed to quote them.
        self._get = (
            sql.SQL(
                "SELECT {v_cols}, {l_cols} FROM {orders} AS v"
                " LEFT JOIN {items} AS l ON l.order_id = v.order_id"
                " WHERE v.order_id = %s ORDER BY l.line_no"
            )
            .format(
                v_cols=column_list(VIEW_COLUMNS, "v"),
                l_cols=column_list(LINE_COLUMNS, "l"),
                orders=tables.orders_id,
                items=tables.items_id,
            )
            .as_bytes(None)
        )

    async def get_order(self, order_id: str) -> OrderDetail | None:
        if _NUL in order_id:  # PostgreSQL refuses it as a parameter; no stored id holds one
            return None
        async with connection_or_unavailable(self._pool) as conn:
            cursor = await conn.execute(self._get, (order_id,))
            rows = await cursor.fetchall()
        if not rows:
            return None
        width = len(VIEW_COLUMNS)
        lines = tuple(line_from_row(row[width:]) for row in rows if row[width] is not None)
        return OrderDetail(view_from_row(rows[0]), lines)

    async def list_orders(self, query: ListQuery) -> list[OrderView]:
        if _NUL in (query.filters.customer_id or ""):  # as in get_order: it matches nothing
            return []
        probe = probe_statement(self._tables, query)
        statement, params = list_statement(self._tables, query)
        async with connection_or_unavailable(self._pool) as conn:
            # Planned for these values every time: a generic plan could not know the LIMIT
            # or how selective the filters are.
            rows = []
            if probe is not None:
                rows = await (await conn.execute(*probe, prepare=False)).fetchall()
            if len(rows) < query.limit:  # no probe, or it met too few rows of the range
                rows = await (await conn.execute(statement, params, prepare=False)).fetchall()
        views = [view_from_row(row) for row in rows]
        return views[::-1] if query.keyset is not None and query.keyset.backwards else views
