"""Helpers of the customers view's PostgreSQL tests: a database migrated with the view's
tables, its rows read back, and rows inserted as they are stored (for the read side)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources

import msgspec
import psycopg
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import ViewSchema, migrate
from domain.events import OrderStatus
from tests.contracts.customer_writes import Rows
from tests.integration.postgres_support import open_pool
from views.customers.domain import CurrencyTotals, CustomerSummary
from views.customers.ports import CustomerDetail

CUSTOMERS_SCHEMA = ViewSchema("customers", resources.files("views.customers") / "migrations")

_SUMMARIES = """
SELECT customer_id, order_count, created_count, paid_count, shipped_count, delivered_count,
    cancelled_count, first_order_at, last_order_at, updated_at, version
FROM customers_view
"""
_CURRENCIES = """
SELECT customer_id, currency, order_count, total_net, total_gross FROM customer_totals_view
"""

# The rows as orders_view says they must be (CONTRACT §4's orders, the customers view's rules).
EXPECTED_SUMMARIES = f"""
SELECT customer_id, count(*),
    {", ".join(f"count(*) FILTER (WHERE status = '{s}')" for s in OrderStatus)},
    min(created_at), max(created_at), max(updated_at)
FROM orders_view GROUP BY customer_id
"""
EXPECTED_CURRENCIES = """
SELECT customer_id, currency, count(*),
    coalesce(sum(total_net) FILTER (WHERE status <> 'CANCELLED'), 0),
    coalesce(sum(total_gross) FILTER (WHERE status <> 'CANCELLED'), 0)
FROM orders_view GROUP BY customer_id, currency
"""


@asynccontextmanager
async def customers_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    """A pool (UTC sessions, as the service's) of a database with the engine's tables and the
    customers view's."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, [CUSTOMERS_SCHEMA])
    async with open_pool(database_url, migrated=False) as pool:
        yield pool


async def customer_rows(pool: AsyncConnectionPool) -> Rows:
    async with pool.connection() as conn:
        summaries = await (await conn.execute(_SUMMARIES)).fetchall()
        currencies = await (await conn.execute(_CURRENCIES)).fetchall()
    return Rows(
        summaries={row[0]: CustomerSummary(*row[:10]) for row in summaries},
        currencies={(row[0], row[1]): CurrencyTotals(*row) for row in currencies},
        versions={row[0]: row[10] for row in summaries},
    )


async def insert_customers(
    conn: psycopg.AsyncConnection, details: Sequence[CustomerDetail]
) -> None:
    """Customers' rows (summary, currency rows, version) written as the write side stores them."""
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO customers_view (customer_id, order_count, created_count, paid_count,"
            " shipped_count, delivered_count, cancelled_count, first_order_at, last_order_at,"
            " updated_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(*msgspec.structs.astuple(d.summary), d.version) for d in details],
        )
        await cursor.executemany(
            "INSERT INTO customer_totals_view (customer_id, currency, order_count, total_net,"
            " total_gross) VALUES (%s, %s, %s, %s, %s)",
            [msgspec.structs.astuple(t) for d in details for t in d.totals],
        )
