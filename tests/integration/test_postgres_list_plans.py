"""List shapes whose filter and sort need different indexes read a bounded set, not the table.

The data is shaped like real orders: an order is updated minutes after it is created, so a
walk along created_at's index meets a range of updated_at only after crossing every order
created before (or after) it — the plan that took 1.4 s on 1M orders. Each shape's page is
checked against a plain ORDER BY of the same rows, and the rows its statements read
(EXPLAIN ANALYZE, as the reader runs them: probe first, then the page) against a bound.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from adapters.postgres.list_clauses import SORT_COLUMNS
from adapters.postgres.listing import PROBE_ROWS, list_statement, probe_statement
from adapters.postgres.rows import VIEW_COLUMNS, column_list, view_from_row
from adapters.postgres.tables import ViewTables
from application.cursors import sort_value
from application.ports import Keyset, ListQuery, OrderFilters, Sort, SortField
from domain.events import OrderStatus
from tests.integration.postgres_support import migrate_database

pytestmark = pytest.mark.integration

ROWS, LIMIT = 100_000, 51
# One order a minute over ~70 days, updated 0–60 minutes later, ids in creation order (as
# time-ordered ids are), 600 customers, totals at random.
LOAD = """
INSERT INTO orders_view (order_id, customer_id, status, currency, total_net, total_gross,
    item_count, line_count, created_at, updated_at, last_event_sequence, last_event_id,
    dedup_event_id, projected_at)
SELECT 'order-' || lpad(g::text, 6, '0'), 'customer-' || (g * 7919) %% 600,
       (ARRAY['CREATED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'])[1 + g %% 5], 'EUR',
       gross, gross, 1, 1, created, created + random() * interval '1 hour', 1, 'e-' || g,
       'e-' || g, now()
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (SELECT timestamptz '2026-01-01' + g * interval '1 minute' AS created,
                     round((random() * 500)::numeric, 2) AS gross) AS v
"""
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
DAY = timedelta(days=1)


async def page_and_rows_read(conn: psycopg.AsyncConnection, query: ListQuery) -> tuple[list, int]:
    """The page as the reader computes it, and the rows its statements' scans read."""
    read, rows = 0, []
    statements = [probe_statement(ViewTables(), query), list_statement(ViewTables(), query)]
    for statement in filter(None, statements):
        explain = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) {}").format(statement[0])
        plan = (await (await conn.execute(explain, statement[1])).fetchone())[0][0]["Plan"]
        read += sum(
            (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
            for n in _nodes(plan)
            if n["Node Type"] in SCANS
        )
        rows = await (await conn.execute(*statement)).fetchall()
        if len(rows) == query.limit:
            break  # the probe's page is complete: the reader stops here too
    views = [view_from_row(row) for row in rows]
    return (views[::-1] if query.keyset and query.keyset.backwards else views), read


async def plain_order(conn: psycopg.AsyncConnection, where: str, sort: Sort) -> list[Any]:
    direction = "DESC" if sort.descending else "ASC"
    column = SORT_COLUMNS[sort.field]
    order = f"{column} {direction}, order_id {direction}"
    statement = f"SELECT {{}} FROM orders_view WHERE {where} ORDER BY {order}"
    query = sql.SQL(statement).format(column_list(VIEW_COLUMNS))  # type: ignore[arg-type]
    cursor = await conn.execute(query)
    return [view_from_row(row) for row in await cursor.fetchall()]


def _nodes(plan: dict[str, Any]) -> Any:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture
async def orders(database_url: str) -> str:
    await migrate_database(database_url)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("SELECT setseed(0.7)")
        await conn.execute(LOAD, {"rows": ROWS})  # type: ignore[arg-type]
        await conn.execute("VACUUM ANALYZE orders_view")  # as autovacuum would: index-only
    return database_url


async def test_bounded_shapes_read_their_set_and_match_a_plain_order_by(orders):
    first = await _first_updated(orders)
    week = first + 30 * DAY, first + 37 * DAY  # in the middle: far from both ends of any walk
    shapes = {  # name -> (filters, the same in SQL, at most this many rows read)
        "a week of updates": (
            OrderFilters(updated_from=week[0], updated_to=week[1]),
            f"updated_at >= '{week[0].isoformat()}' AND updated_at < '{week[1].isoformat()}'",
            # the probe's walk, the week's 10,080 orders and the page; a walk along created_at
            # or the ids from either end would cross 43,000 orders or more
            PROBE_ROWS + 10_500 + LIMIT,
        ),
        "all but the first day": (  # dense near every walk's start: the probe finds the page
            OrderFilters(updated_from=first + DAY),
            f"updated_at >= '{(first + DAY).isoformat()}'",
            2_000,  # the first day's 1,440 orders skipped at most; sorting the range: 98,000
        ),
        "a customer": (OrderFilters(customer_id="customer-42"), "customer_id = 'customer-42'", 300),
        "a status": (OrderFilters((OrderStatus.PAID,)), "status = 'PAID'", 1_000),
    }
    async with await psycopg.AsyncConnection.connect(orders, autocommit=True) as conn:
        for (name, (filters, where, bound)), sort in _product(shapes):
            every = await plain_order(conn, where, sort)
            at = len(every) // 2
            middle = every[at]
            for backwards in (None, False, True):
                keyset = None
                if backwards is not None:
                    keyset = Keyset(sort_value(sort.field, middle), middle.order_id, backwards)
                query = ListQuery(filters, sort, LIMIT, 0, keyset)
                page, read = await page_and_rows_read(conn, query)
                if keyset is None:
                    expected = every[:LIMIT]
                else:
                    expected = (
                        every[at - LIMIT : at] if backwards else every[at + 1 : at + 1 + LIMIT]
                    )
                shape = f"{name}, sort {sort}, keyset {backwards}"
                assert page == expected, shape
                assert read <= bound, f"{shape}: read {read} rows"


def _product(shapes: dict[str, Any]) -> Any:
    for item in shapes.items():
        for field in (SortField.CREATED_AT, SortField.TOTAL_GROSS, SortField.ORDER_ID):
            for descending in (True, False):
                yield item, Sort(field, descending)


async def _first_updated(url: str) -> Any:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (await conn.execute("SELECT min(updated_at) FROM orders_view")).fetchone()
        return row[0]
