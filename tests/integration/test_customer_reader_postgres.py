"""The CustomerReader contract over PostgreSQL, and the listing's plans: each sort walks its
index (migration 0002) from the keyset on and reads about a page, at any depth."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from adapters.http import OpsPolicy, UseCases, create_app
from adapters.postgres.migrations import migrate
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from entrypoints.views import ReadContext
from tests.contracts.customer_reader import HOUR, T0, CustomerReaderSuite, ReaderOf, customer
from tests.contracts.http_listing import client_without_lifespan, links
from tests.integration.customers_support import CUSTOMERS_SCHEMA, customers_pool, insert_customers
from views.customers.ports import (
    CustomerDetail,
    CustomerFilters,
    CustomerKeyset,
    CustomerListQuery,
    CustomerReader,
    CustomerSort,
    CustomerSortValue,
)
from views.customers.postgres_reads import PostgresCustomerReader, list_statement
from views.customers.routes import postgres_routes

pytestmark = pytest.mark.integration


class TestCustomerReaderOnPostgres(CustomerReaderSuite):
    @pytest.fixture
    async def reader_of(self, database_url: str) -> AsyncIterator[ReaderOf]:
        async with customers_pool(database_url) as pool:

            async def reader_of(details: Sequence[CustomerDetail]) -> CustomerReader:
                async with pool.connection() as conn:
                    await insert_customers(conn, details)
                return PostgresCustomerReader(pool)

            yield reader_of


# --- plans ----------------------------------------------------------------------------------------

CUSTOMERS, LIMIT = 20_000, 51
# One customer's last order a minute apart (a few at the same minute), 1–50 orders; every
# customer buys in EUR, a third in USD too, a tenth in PLN too.
LOAD_CUSTOMERS = """
INSERT INTO customers_view
SELECT 'cust-' || lpad(g::text, 6, '0'), 1 + g %% 50, 1 + g %% 50, 0, 0, 0, 0,
       timestamptz '2026-01-01', timestamptz '2026-01-01' + (g / 3) * interval '1 minute',
       timestamptz '2026-06-01', now(), 1
FROM generate_series(1, %(rows)s) AS g
"""
LOAD_TOTALS = """
INSERT INTO customer_totals_view
SELECT 'cust-' || lpad(g::text, 6, '0'), currency, 1, gross, gross
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (VALUES ('EUR', true), ('USD', g %% 3 = 0), ('PLN', g %% 10 = 0)) AS c(currency, buys),
     LATERAL (SELECT round((random() * 500)::numeric, 2) AS gross) AS v
WHERE buys
"""
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
DEEP: dict[CustomerSort, CustomerSortValue] = {
    CustomerSort.LAST_ORDER_AT: datetime(2026, 1, 3, tzinfo=UTC),
    CustomerSort.ORDER_COUNT: 7,
    CustomerSort.TOTAL_GROSS: Decimal("120.00"),
}
INDEXES = {
    CustomerSort.LAST_ORDER_AT: "customers_view_last_order_idx",
    CustomerSort.ORDER_COUNT: "customers_view_order_count_idx",
    CustomerSort.TOTAL_GROSS: "customer_totals_view_currency_gross_idx",
}


@pytest.fixture
async def loaded(database_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await migrate(conn, [CUSTOMERS_SCHEMA])
        for load in (LOAD_CUSTOMERS, LOAD_TOTALS):
            await conn.execute(load, {"rows": CUSTOMERS})
        await conn.execute("ANALYZE customers_view, customer_totals_view")
        yield conn


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def plan_of(conn: psycopg.AsyncConnection, query: CustomerListQuery) -> dict[str, Any]:
    statement, params = list_statement(query)
    explain = sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) {}").format(statement)
    row = await (await conn.execute(explain, params)).fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def rows_read(plan: dict[str, Any]) -> int:
    return sum(
        (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
        for n in _nodes(plan)
        if n["Node Type"] in SCANS
    )


@pytest.mark.parametrize("sort", list(CustomerSort))
@pytest.mark.parametrize("backwards", [None, False, True])
async def test_each_sort_walks_its_index_and_reads_about_a_page(loaded, sort, backwards):
    keyset = None if backwards is None else CustomerKeyset(DEEP[sort], "cust-010000", backwards)
    currency = "USD" if sort is CustomerSort.TOTAL_GROSS else None
    query = CustomerListQuery(CustomerFilters(currency=currency), sort, LIMIT, keyset)

    plan = await plan_of(loaded, query)

    used = {n.get("Index Name") for n in _nodes(plan)}
    assert INDEXES[sort] in used, plan
    assert not any(n["Node Type"] == "Seq Scan" for n in _nodes(plan)), plan
    # The page's customers, their currency rows (at most three each), and the index entries
    # walked to find them.
    assert rows_read(plan) <= 6 * LIMIT, plan


@pytest.mark.parametrize(
    ("sort", "filters"),
    [
        (CustomerSort.ORDER_COUNT, CustomerFilters(min_orders=45)),
        (CustomerSort.LAST_ORDER_AT, CustomerFilters(currency="EUR", min_orders=2)),
        (
            CustomerSort.LAST_ORDER_AT,
            CustomerFilters(
                last_order_from=datetime(2026, 1, 2, tzinfo=UTC),
                last_order_to=datetime(2026, 1, 3, tzinfo=UTC),
            ),
        ),
    ],
)
async def test_filters_that_follow_the_walk_read_about_a_page(loaded, sort, filters):
    plan = await plan_of(loaded, CustomerListQuery(filters, sort, LIMIT))
    assert INDEXES[sort] in {n.get("Index Name") for n in _nodes(plan)}, plan
    assert rows_read(plan) <= 8 * LIMIT, plan


# --- the routes over PostgreSQL -----------------------------------------------------------------


async def test_the_routes_read_postgresql_through_the_api_pool(database_url):
    held = [
        customer("alice", last=T0 + HOUR, totals={"EUR": (1, "20", "24.6"), "USD": (1, "1", "1")}),
        customer("bob", last=T0, totals={"EUR": (1, "50.00", "61.50")}, version=4),
        customer("carol", last=T0 + 2 * HOUR, totals={"PLN": (1, "1", "1")}),
    ]
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    async with customers_pool(database_url) as pool:
        async with pool.connection() as conn:
            await insert_customers(conn, held)
        app = create_app(
            UseCases(
                get_order=container.read_side.get_order,
                list_orders=container.read_side.list_orders,
                report_lag=container.ops.report_lag,
                readiness_probes=container.ops.readiness_probes,
            ),
            ops_policy=OpsPolicy.shared_secret("customers-postgres-test"),
            view_routes=postgres_routes(ReadContext(pool, container.read_side.cursor_codec())),
        )
        async with client_without_lifespan(app) as client:
            alice = await client.get("/customers/alice")
            again = await client.get(
                "/customers/alice", headers={"If-None-Match": alice.headers["etag"]}
            )
            unknown = await client.get("/customers/dave")
            first = await client.get(
                "/customers", params={"sort": "-totalGross", "currency": "EUR", "pageSize": "1"}
            )
            second = await client.get(links(first)["next"])

    assert alice.status_code == 200
    assert alice.json()["totals"] == [
        {"currency": "EUR", "orderCount": 1, "totalNet": "20.00", "totalGross": "24.60"},
        {"currency": "USD", "orderCount": 1, "totalNet": "1.00", "totalGross": "1.00"},
    ]
    assert alice.json()["lastOrderAt"] == "2026-11-28T11:00:00Z"
    assert again.status_code == 304 and unknown.status_code == 404
    assert [c["customerId"] for c in first.json()["items"]] == ["bob"]
    assert [c["customerId"] for c in second.json()["items"]] == ["alice"]
    assert second.json()["nextCursor"] is None and "prev" in links(second)
