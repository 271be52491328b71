"""The SQL of one page of orders: filters, keyset, sort with the order_id tiebreak.

Most shapes are one walk along an index in sort order (migration 0001), reading about a page
of rows at any depth. Three are not, and read the order ids first, index-only (the INCLUDE
columns of migration 0003), then only the page's rows by primary key:

- a customer with a sort other than updatedAt: the customer's rows (their index) are sorted;
- a range of `updated_at` with another sort: an order's two times are minutes apart (and
  order ids are often time-ordered), so a walk along the sort key's index can cross most of
  the table before it meets the range (1.4 s on 1M orders) while the planner, taking the
  columns as independent, expects a few hundred rows. A walk of at most PROBE_ROWS rows is
  tried first (`probe_statement`); when it does not fill the page, the range is sorted;
- statuses with a sort on createdAt or totalGross: the walk along the sort key skips the other
  statuses in the index (a status can be rare among the first keys: new orders are CREATED,
  small totals too) instead of fetching each skipped row from the table.

Sorting a set costs in proportion to its rows (a customer's orders, the range), not the table.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from adapters.postgres.list_clauses import (
    SORT_COLUMNS,
    direction,
    filter_conditions,
    keyset_condition,
    limit_clause,
    order_by,
    sort_key,
    where,
)
from adapters.postgres.rows import VIEW_COLUMNS, column_list
from adapters.postgres.tables import ViewTables
from application.ports import ListQuery, SortField

Statement = tuple[sql.Composed, dict[str, Any]]

# The same order as the column, through an expression that no index offers.
_UNINDEXED = {
    SortField.CREATED_AT: sql.SQL("{} + interval '0'"),
    SortField.TOTAL_GROSS: sql.SQL("{} + 0"),
    SortField.ORDER_ID: sql.SQL("({} || '') COLLATE \"C\""),
}
# The probe's walk: about a millisecond of index entries (createdAt, totalGross: index-only);
# tried when offset + limit is at most a quarter of it (deep page numbers go to the sort).
PROBE_ROWS, PROBE_SHARE = 10_000, 4


def list_statement(tables: ViewTables, query: ListQuery) -> Statement:
    """The SQL and parameters of one page, complete on its own."""
    filters, ranges, params = filter_conditions(query.filters)
    conditions = [*filters, *ranges, *keyset_condition(query, params)]
    plan = _plan(query)
    if plan == "walk":
        statement = sql.SQL("SELECT {cols} FROM {orders}{where} ORDER BY {order}{limit}").format(
            cols=column_list(VIEW_COLUMNS),
            orders=tables.orders_id,
            where=where(conditions),
            order=order_by(query),
            limit=limit_clause(query, params),
        )
        return statement, params
    key = sql.Identifier(SORT_COLUMNS[query.sort.field])
    # `sort` keeps the order but matches no index, so the planner cannot choose the walk.
    first = _UNINDEXED[query.sort.field].format(key) if plan == "sort" else key
    ids = sql.SQL(
        "SELECT order_id FROM {orders}{where} ORDER BY {first} {d}, order_id {d}{limit}"
    ).format(
        orders=tables.orders_id,
        where=where(conditions),
        first=first,
        d=direction(query),
        limit=limit_clause(query, params),
    )
    return _rows_of(tables, ids, query), params


def probe_statement(tables: ViewTables, query: ListQuery) -> Statement | None:
    """For a range with a sort other than updatedAt: the walk along the sort key, stopped
    after PROBE_ROWS rows. Right when it returns `limit` rows (the range is dense near the
    walk's start, where the walk is cheap), else the range is sorted (`list_statement`)."""
    if not _range_sorted(query) or PROBE_SHARE * (query.offset + query.limit) > PROBE_ROWS:
        return None
    filters, ranges, params = filter_conditions(query.filters)
    key = sql.SQL(", ").join(map(sql.Identifier, dict.fromkeys([*sort_key(query), "updated_at"])))
    head = sql.SQL("SELECT {key} FROM {orders}{where} ORDER BY {order} LIMIT {walk}").format(
        key=key,
        orders=tables.orders_id,
        where=where([*filters, *keyset_condition(query, params)]),
        order=order_by(query),
        walk=sql.Literal(PROBE_ROWS),
    )
    # The outer LIMIT stops the walk as soon as the page is full: PROBE_ROWS is the worst case.
    ids = sql.SQL("SELECT order_id FROM ({head}) AS head{where} ORDER BY {order}{limit}").format(
        head=head, where=where(ranges), order=order_by(query), limit=limit_clause(query, params)
    )
    return _rows_of(tables, ids, query), params


def _rows_of(tables: ViewTables, ids: sql.Composable, query: ListQuery) -> sql.Composed:
    """The page's rows, fetched by primary key, from a query of their ids."""
    return sql.SQL(
        "SELECT {cols} FROM ({ids}) AS page JOIN {orders} AS v USING (order_id) ORDER BY {order}"
    ).format(
        cols=column_list(VIEW_COLUMNS, "v"),
        ids=ids,
        orders=tables.orders_id,
        order=order_by(query, "v"),
    )


def _plan(query: ListQuery) -> str:
    """`walk` the sort key's index; `ids` first along it; `sort` the ids of a bounded set."""
    f, field = query.filters, query.sort.field
    if field is SortField.UPDATED_AT:
        return "walk"  # 0001 has an index for each filter in updated_at order
    if f.customer_id is not None or _range_sorted(query):
        return "sort"
    if f.statuses and field is not SortField.ORDER_ID:
        return "ids"
    return "walk"


def _range_sorted(query: ListQuery) -> bool:
    f = query.filters
    bounded = f.updated_from is not None or f.updated_to is not None
    return bounded and f.customer_id is None and query.sort.field is not SortField.UPDATED_AT
