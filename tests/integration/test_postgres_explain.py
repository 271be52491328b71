"""Every list query shape of CONTRACT §5 is served by an index, never a Seq Scan of orders_view.

The test loads 100,000 generated orders (one INSERT … SELECT generate_series, then ANALYZE).
For the 1M-row check of the issue, run the same test with more rows (about a minute):

    STREAMVIEW_EXPLAIN_ROWS=1000000 .venv/bin/pytest tests/integration/test_postgres_explain.py
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql

from adapters.postgres.reader import list_statement
from adapters.postgres.rows import view_from_row
from adapters.postgres.tables import ViewTables
from application.cursors import sort_value
from application.ports import Keyset, ListQuery, OrderFilters, Sort, SortField
from domain.events import OrderStatus
from tests.integration.postgres_support import migrate_database

ROWS = int(os.environ.get("STREAMVIEW_EXPLAIN_ROWS", "100000"))
# Statuses are skewed like real orders: 40% DELIVERED … 10% CANCELLED, 10% CREATED.
LOAD = """
SELECT setseed(0.42);
INSERT INTO orders_view (order_id, customer_id, status, currency, total_net, total_gross,
    item_count, line_count, created_at, updated_at, last_event_sequence, last_event_id,
    dedup_event_id, projected_at)
SELECT 'order-' || lpad(g::text, 8, '0'), 'customer-' || (g::bigint * 7919) % {customers},
       (ARRAY['CREATED', 'PAID', 'PAID', 'SHIPPED', 'SHIPPED', 'DELIVERED', 'DELIVERED',
              'DELIVERED', 'DELIVERED', 'CANCELLED'])[1 + (g * 31) % 10],
       'EUR', net, round(net * 1.23, 2), 1 + g % 7, 1 + g % 4,
       created, created + random() * interval '10 days', 1 + g % 9, 'event-' || g,
       'event-' || g, now()
FROM generate_series(1, {rows}) AS g,
     LATERAL (SELECT round((random() * 1000)::numeric, 2) AS net,
                     timestamptz '2026-01-01' + g * interval '30 seconds' AS created) AS v;
ANALYZE orders_view;
"""
SORTS = [Sort(field, descending) for field in SortField for descending in (True, False)]
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


def _filters(middle: Any) -> dict[str, OrderFilters]:
    day = timedelta(days=1)
    return {
        "none": OrderFilters(),
        "status": OrderFilters((OrderStatus.PAID,)),
        "rare status": OrderFilters((OrderStatus.CANCELLED,)),
        "statuses": OrderFilters((OrderStatus.PAID, OrderStatus.CANCELLED)),
        "customer": OrderFilters(customer_id="customer-42"),
        "window": OrderFilters(updated_from=middle.updated_at, updated_to=middle.updated_at + day),
        "all": OrderFilters(
            (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
            "customer-7",
            middle.updated_at - 30 * day,
            middle.updated_at,
        ),
    }


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_every_list_query_shape_uses_an_index(database_url: str) -> None:
    await migrate_database(database_url)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        load = LOAD.format(rows=ROWS, customers=max(ROWS // 5, 1))
        await conn.execute(load)  # type: ignore[arg-type]
        cursor = await conn.execute(
            "SELECT * FROM orders_view ORDER BY order_id OFFSET %s LIMIT 1", (ROWS // 2,)
        )
        middle = view_from_row(await cursor.fetchone() or ())

        problems = []
        for sort, (name, filters), backwards in itertools.product(
            SORTS, _filters(middle).items(), (None, False, True)
        ):
            keyset = None
            if backwards is not None:
                keyset = Keyset(sort_value(sort.field, middle), middle.order_id, backwards)
            statement, params = list_statement(
                ViewTables(), ListQuery(filters, sort, 51, 0, keyset)
            )
            explain = sql.SQL("EXPLAIN (FORMAT JSON) {}").format(statement)
            cursor = await conn.execute(explain, params, prepare=False)
            row = await cursor.fetchone()
            nodes = list(_nodes(row[0][0]["Plan"])) if row else []
            kinds = {n["Node Type"] for n in nodes}
            shape = f"sort={sort} filters={name} keyset={'-' if keyset is None else backwards}"
            if any(n["Node Type"] == "Seq Scan" for n in nodes) or not kinds & INDEX_NODES:
                problems.append(f"{shape}: {sorted(kinds)}")
            # Unfiltered pages and single-status pages by updatedAt come straight
            # out of an index, in order: no sort step, the same cost on page 1 and 10,000.
            in_order = name == "none" or (
                sort.field is SortField.UPDATED_AT and name in ("status", "rare status")
            )
            if in_order and kinds & {"Sort", "Incremental Sort"}:
                problems.append(f"{shape}: sorts, {sorted(kinds)}")

    assert problems == []
