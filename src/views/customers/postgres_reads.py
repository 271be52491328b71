"""The customers view's read side on PostgreSQL (CustomerReader).

One statement per request: the customer's row with its currency rows (a LEFT JOIN on the
primary keys), or a page of customers, chosen by a walk along the sort key's index
(migration 0002) from the keyset on, joined to their currency rows.

- `-lastOrderAt`, `-orderCount`: customers_view's (sort key DESC, customer_id DESC) index;
  `currency` is a semi-join on customer_totals_view's primary key, `minOrders`, `from` and
  `to` are checked on the rows walked (`minOrders` ends the `-orderCount` walk, `from`/`to`
  bound the `-lastOrderAt` one).
- `-totalGross`: customer_totals_view's (currency, total_gross DESC, customer_id DESC) index,
  each row joined to its customer by primary key.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.pool import connection_or_unavailable
from views.customers.domain import CurrencyTotals, CustomerSummary
from views.customers.ports import CustomerDetail, CustomerListQuery, CustomerSort

CUSTOMERS = "customers_view"
TOTALS = "customer_totals_view"
# customers_view's columns in CustomerSummary's field order, then the version.
SUMMARY_COLUMNS = (
    "customer_id",
    "order_count",
    "created_count",
    "paid_count",
    "shipped_count",
    "delivered_count",
    "cancelled_count",
    "first_order_at",
    "last_order_at",
    "updated_at",
    "version",
)
TOTALS_COLUMNS = ("currency", "order_count", "total_net", "total_gross")
_WIDTH = len(SUMMARY_COLUMNS)
# Sort keys come from this whitelist only: (table alias, column).
_SORT_KEYS = {
    CustomerSort.LAST_ORDER_AT: ("c", "last_order_at"),
    CustomerSort.ORDER_COUNT: ("c", "order_count"),
    CustomerSort.TOTAL_GROSS: ("s", "total_gross"),
}
_NUL = "\x00"


def _columns(alias: str, columns: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(alias, c) for c in columns)


class PostgresCustomerReader:
    """Implements CustomerReader."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        # Rendered once (identifiers are ASCII: no connection's encoding is needed).
        self._get = (
            sql.SQL(
                "SELECT {c_cols}, {t_cols} FROM {customers} AS c"
                " LEFT JOIN {totals} AS t ON t.customer_id = c.customer_id"
                " WHERE c.customer_id = %s ORDER BY t.currency"
            )
            .format(
                c_cols=_columns("c", SUMMARY_COLUMNS),
                t_cols=_columns("t", TOTALS_COLUMNS),
                customers=sql.Identifier(CUSTOMERS),
                totals=sql.Identifier(TOTALS),
            )
            .as_bytes(None)
        )

    async def get_customer(self, customer_id: str) -> CustomerDetail | None:
        if _NUL in customer_id:  # PostgreSQL refuses it as a parameter; no stored id holds one
            return None
        async with connection_or_unavailable(self._pool) as conn:
            rows = await (await conn.execute(self._get, (customer_id,))).fetchall()
        return _detail(rows) if rows else None

    async def list_customers(self, query: CustomerListQuery) -> list[CustomerDetail]:
        statement, params = list_statement(query)
        async with connection_or_unavailable(self._pool) as conn:
            # Planned for these values every time: a generic plan could not know the LIMIT.
            rows = await (await conn.execute(statement, params, prepare=False)).fetchall()
        details = [_detail(list(group)) for _, group in groupby(rows, key=lambda r: r[0])]
        return details[::-1] if _backwards(query) else details


def list_statement(query: CustomerListQuery) -> tuple[sql.Composed, dict[str, Any]]:
    """The SQL and parameters of one page of customers with their currency rows."""
    f = query.filters
    params: dict[str, Any] = {"limit": query.limit}
    conditions: list[sql.Composable] = []
    alias, column = _SORT_KEYS[query.sort]
    key = sql.Identifier(alias, column)
    if query.sort is CustomerSort.TOTAL_GROSS:
        if f.currency is None:
            raise ValueError("-totalGross sorts within one currency: the query has none")
        source = sql.SQL(
            "{totals} AS s JOIN {customers} AS c ON c.customer_id = s.customer_id"
        ).format(totals=sql.Identifier(TOTALS), customers=sql.Identifier(CUSTOMERS))
        conditions.append(sql.SQL("s.currency = %(currency)s"))
        params["currency"] = f.currency
    else:
        source = sql.SQL("{customers} AS c").format(customers=sql.Identifier(CUSTOMERS))
        if f.currency is not None:
            conditions.append(
                sql.SQL(
                    "EXISTS (SELECT FROM {totals} AS s"
                    " WHERE s.customer_id = c.customer_id AND s.currency = %(currency)s)"
                ).format(totals=sql.Identifier(TOTALS))
            )
            params["currency"] = f.currency
    if f.min_orders is not None:
        conditions.append(sql.SQL("c.order_count >= %(min_orders)s"))
        params["min_orders"] = f.min_orders
    if f.last_order_from is not None:
        conditions.append(sql.SQL("c.last_order_at >= %(last_order_from)s"))
        params["last_order_from"] = f.last_order_from
    if f.last_order_to is not None:
        conditions.append(sql.SQL("c.last_order_at < %(last_order_to)s"))
        params["last_order_to"] = f.last_order_to
    backwards = _backwards(query)
    if query.keyset is not None:
        # A row comparison is one index condition on (key, customer_id): same cost at any depth.
        # The key's own alias: the walked index's table holds both columns.
        conditions.append(
            sql.SQL("({key}, {id}) {op} (%(key_value)s, %(key_id)s)").format(
                key=key,
                id=sql.Identifier(alias, "customer_id"),
                op=sql.SQL(">" if backwards else "<"),
            )
        )
        params["key_value"] = query.keyset.value
        params["key_id"] = query.keyset.customer_id
    direction = sql.SQL("ASC" if backwards else "DESC")
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    statement = sql.SQL(
        "SELECT {p_cols}, {t_cols} FROM ("
        "SELECT {c_cols}, {key} AS sort_value FROM {source}{where}"
        " ORDER BY {key} {d}, {id} {d} LIMIT %(limit)s"
        ") AS p LEFT JOIN {totals} AS t ON t.customer_id = p.customer_id"
        " ORDER BY p.sort_value {d}, p.customer_id {d}, t.currency"
    ).format(
        p_cols=_columns("p", SUMMARY_COLUMNS),
        t_cols=_columns("t", TOTALS_COLUMNS),
        c_cols=_columns("c", SUMMARY_COLUMNS),
        key=key,
        source=source,
        where=where,
        id=sql.Identifier(alias, "customer_id"),
        d=direction,
        totals=sql.Identifier(TOTALS),
    )
    return statement, params


def _backwards(query: CustomerListQuery) -> bool:
    return query.keyset is not None and query.keyset.backwards


def _detail(rows: list[Any]) -> CustomerDetail:
    """A customer from its rows of (summary columns, currency columns), one per currency."""
    first = rows[0]
    summary = CustomerSummary(*first[: _WIDTH - 1])
    totals = tuple(
        CurrencyTotals(summary.customer_id, *row[_WIDTH:])
        for row in rows
        if row[_WIDTH] is not None
    )
    return CustomerDetail(summary, totals, first[_WIDTH - 1])
