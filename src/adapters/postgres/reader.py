"""The read side on PostgreSQL: one order with its lines, and keyset pages of orders."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.rows import (
    LINE_COLUMNS,
    VIEW_COLUMNS,
    column_list,
    line_from_row,
    view_from_row,
)
from adapters.postgres.tables import ViewTables
from application.ports import ListQuery, OrderDetail, OrderFilters, SortField
from domain.projection import OrderView

# Sort keys come from this whitelist only, never from the request text.
SORT_COLUMNS = {
    SortField.UPDATED_AT: "updated_at",
    SortField.CREATED_AT: "created_at",
    SortField.TOTAL_GROSS: "total_gross",
    SortField.ORDER_ID: "order_id",
}


def list_statement(tables: ViewTables, query: ListQuery) -> tuple[sql.Composed, dict[str, Any]]:
    """The SQL and parameters of one page: filters, keyset, sort with order_id tiebreak."""
    conditions, params = _filter_conditions(query.filters)
    keyset = query.keyset
    # `backwards` reads towards the start of the display order: flip, then reverse the page.
    descending = query.sort.descending != (keyset is not None and keyset.backwards)
    column = SORT_COLUMNS[query.sort.field]
    key = ["order_id"] if column == "order_id" else [column, "order_id"]
    if keyset is not None:
        values = [keyset.order_id] if len(key) == 1 else [keyset.value, keyset.order_id]
        # A row comparison is one index condition on (key, order_id): same cost at any depth.
        conditions.append(
            sql.SQL("({}) {} ({})").format(
                sql.SQL(", ").join(map(sql.Identifier, key)),
                sql.SQL("<" if descending else ">"),
                sql.SQL(", ").join(sql.Placeholder(f"key{i}") for i in range(len(key))),
            )
        )
        params.update({f"key{i}": value for i, value in enumerate(values)})
    params["limit"] = query.limit
    offset = sql.SQL("")
    if query.offset:  # page-number paging; a keyset page never needs it (ListOrders sends 0)
        offset, params["offset"] = sql.SQL(" OFFSET %(offset)s"), query.offset

    direction = sql.SQL("DESC" if descending else "ASC")
    statement = sql.SQL(
        "SELECT {cols} FROM {orders}{where} ORDER BY {order} LIMIT %(limit)s{offset}"
    )
    return statement.format(
        cols=column_list(VIEW_COLUMNS),
        orders=tables.orders_id,
        where=sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL(""),
        order=sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(k), direction) for k in key
        ),
        offset=offset,
    ), params


def _filter_conditions(f: OrderFilters) -> tuple[list[sql.Composable], dict[str, Any]]:
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if len(f.statuses) == 1:
        # Equality, not a one-element ANY: only then does the planner read the (status,
        # updated_at, order_id) index in sort order instead of filtering another index.
        conditions.append(sql.SQL("status = %(status)s"))
        params["status"] = str(f.statuses[0])
    elif f.statuses:
        # Several statuses: an index on the sort key, filtered (or a bitmap scan and a sort
        # when they are rare). Both bounded; see tests/integration/test_postgres_explain.py.
        conditions.append(sql.SQL("status = ANY(%(statuses)s)"))
        params["statuses"] = [str(s) for s in f.statuses]
    if f.customer_id is not None:
        conditions.append(sql.SQL("customer_id = %(customer_id)s"))
        params["customer_id"] = f.customer_id
    if f.updated_from is not None:
        conditions.append(sql.SQL("updated_at >= %(updated_from)s"))
        params["updated_from"] = f.updated_from
    if f.updated_to is not None:
        conditions.append(sql.SQL("updated_at < %(updated_to)s"))
        params["updated_to"] = f.updated_to
    return conditions, params


class PostgresOrderReader:
    """Implements OrderReader."""

    def __init__(self, pool: AsyncConnectionPool, tables: ViewTables) -> None:
        self._pool = pool
        self._tables = tables
        self._get = sql.SQL(
            "SELECT {v_cols}, {l_cols} FROM {orders} AS v"
            " LEFT JOIN {items} AS l ON l.order_id = v.order_id"
            " WHERE v.order_id = %s ORDER BY l.line_no"
        ).format(
            v_cols=column_list(VIEW_COLUMNS, "v"),
            l_cols=column_list(LINE_COLUMNS, "l"),
            orders=tables.orders_id,
            items=tables.items_id,
        )

    async def get_order(self, order_id: str) -> OrderDetail | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(self._get, (order_id,))
            rows = await cursor.fetchall()
        if not rows:
            return None
        width = len(VIEW_COLUMNS)
        lines = tuple(line_from_row(row[width:]) for row in rows if row[width] is not None)
        return OrderDetail(view_from_row(rows[0]), lines)

    async def list_orders(self, query: ListQuery) -> list[OrderView]:
        statement, params = list_statement(self._tables, query)
        async with self._pool.connection() as conn:
            # Planned for these values every time: a generic plan could not know the LIMIT
            # or how selective the filters are.
            cursor = await conn.execute(statement, params, prepare=False)
            rows = [view_from_row(row) for row in await cursor.fetchall()]
        return rows[::-1] if query.keyset is not None and query.keyset.backwards else rows
