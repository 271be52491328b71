"""Clauses of the list statements (listing.py): filters, keyset, order, limit."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from application.ports import ListQuery, OrderFilters, SortField

# Sort keys come from this whitelist only, never from the request text.
SORT_COLUMNS = {
    SortField.UPDATED_AT: "updated_at",
    SortField.CREATED_AT: "created_at",
    SortField.TOTAL_GROSS: "total_gross",
    SortField.ORDER_ID: "order_id",
}


def descending(query: ListQuery) -> bool:
    # `backwards` reads towards the start of the display order: flip, then reverse the page.
    return query.sort.descending != (query.keyset is not None and query.keyset.backwards)


def direction(query: ListQuery) -> sql.SQL:
    return sql.SQL("DESC" if descending(query) else "ASC")


def sort_key(query: ListQuery) -> list[str]:
    column = SORT_COLUMNS[query.sort.field]
    return ["order_id"] if column == "order_id" else [column, "order_id"]


def order_by(query: ListQuery, table: str | None = None) -> sql.Composed:
    order = direction(query)
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(table, k) if table else sql.Identifier(k), order)
        for k in sort_key(query)
    )


def keyset_condition(query: ListQuery, params: dict[str, Any]) -> list[sql.Composable]:
    keyset = query.keyset
    if keyset is None:
        return []
    key = sort_key(query)
    values = [keyset.order_id] if len(key) == 1 else [keyset.value, keyset.order_id]
    params.update({f"key{i}": value for i, value in enumerate(values)})
    # A row comparison is one index condition on (key, order_id): same cost at any depth.
    return [
        sql.SQL("({}) {} ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, key)),
            sql.SQL("<" if descending(query) else ">"),
            sql.SQL(", ").join(sql.Placeholder(f"key{i}") for i in range(len(key))),
        )
    ]


def limit_clause(query: ListQuery, params: dict[str, Any]) -> sql.Composable:
    params["limit"] = query.limit
    if not query.offset:  # page-number paging; a keyset page never needs it (ListOrders sends 0)
        return sql.SQL(" LIMIT %(limit)s")
    params["offset"] = query.offset
    return sql.SQL(" LIMIT %(limit)s OFFSET %(offset)s")


def where(conditions: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")


def filter_conditions(
    f: OrderFilters,
) -> tuple[list[sql.Composable], list[sql.Composable], dict[str, Any]]:
    """Equality filters and the updated_at range, apart (the probe applies them apart)."""
    filters: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if len(f.statuses) == 1:
        # Equality, not a one-element ANY: only then does the planner read the (status,
        # updated_at, order_id) index in sort order instead of filtering another index.
        filters.append(sql.SQL("status = %(status)s"))
        params["status"] = str(f.statuses[0])
    elif f.statuses:
        # Several statuses: an index on the sort key, filtered (or a bitmap scan and a sort
        # when they are rare). Both bounded; see tests/integration/test_postgres_explain.py.
        filters.append(sql.SQL("status = ANY(%(statuses)s)"))
        params["statuses"] = [str(s) for s in f.statuses]
    if f.customer_id is not None:
        filters.append(sql.SQL("customer_id = %(customer_id)s"))
        params["customer_id"] = f.customer_id
    ranges: list[sql.Composable] = []
    if f.updated_from is not None:
        ranges.append(sql.SQL("updated_at >= %(updated_from)s"))
        params["updated_from"] = f.updated_from
    if f.updated_to is not None:
        ranges.append(sql.SQL("updated_at < %(updated_to)s"))
        params["updated_to"] = f.updated_to
    return filters, ranges, params
