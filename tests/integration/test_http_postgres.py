"""The HTTP API over the PostgreSQL store: the same `GET /orders` suite as in memory, and keyset
pages that cost the same 10,000 pages deep as on page 1 (measured in rows and buffers read)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from dependency_injector import providers
from psycopg import sql

from adapters.postgres.reader import SORT_COLUMNS, list_statement
from adapters.postgres.rows import VIEW_COLUMNS, column_list, view_from_row
from adapters.postgres.tables import ViewTables
from application.cursors import Cursor, parse_sort, sort_value
from application.ports import Keyset, ListQuery, OrderFilters, OrderReader, Sort
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import holding
from tests.contracts.http_listing import ListingSuite, client_without_lifespan
from tests.integration.postgres_support import migrate_database

# Page 10,000 of 5 is the middle of the table: rows on both sides of the keyset.
ROWS, SIZE, DEPTH = 100_000, 5, 10_000
# Many equal sort keys: 10 orders per created_at, 100 per total_gross, 7 updated_at offsets.
LOAD = """
INSERT INTO orders_view (order_id, customer_id, status, currency, total_net, total_gross,
    item_count, line_count, created_at, updated_at, last_event_sequence, last_event_id,
    dedup_event_id, projected_at)
SELECT 'order-' || lpad(g::text, 7, '0'), 'customer-' || g %% 5000,
       (ARRAY['CREATED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'])[1 + g %% 5], 'EUR',
       gross, gross, 1, 1, created, created + (g %% 7) * interval '1 hour', 1, 'e-' || g,
       'e-' || g, now()
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (SELECT timestamptz '2026-01-01' + (g / 10) * interval '1 minute' AS created,
                     ((g * 37) %% 1000) / 100.0 AS gross) AS v
"""
SCAN_NODES = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


@asynccontextmanager
async def opened_container(database_url: str) -> AsyncIterator[Container]:
    """A postgres-backed container whose pool is open on this event loop."""
    settings = Settings.from_env(
        {}, dev_mode=True, backend="postgres", database_url=database_url, db_pool_min=1,
        db_pool_max=4,
    )  # fmt: skip
    container = build_container(settings)
    # Both pools: the API's, and the worker's, which the tests project with.
    async with holding(container):
        yield container


class TestListingOnPostgres(ListingSuite):
    @pytest.fixture
    async def container(self, database_url: str) -> AsyncIterator[Container]:
        await migrate_database(database_url)
        async with opened_container(database_url) as container:
            yield container


# --- cost at depth -------------------------------------------------------------------------


class RecordingReader:
    """The real store, remembering the ListQuery of each page it served."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.queries: list[ListQuery] = []

    async def get_order(self, order_id: str) -> Any:
        return await self._reader.get_order(order_id)

    async def list_orders(self, query: ListQuery) -> Any:
        self.queries.append(query)
        return await self._reader.list_orders(query)


class Cost:
    def __init__(self, plan: dict[str, Any]) -> None:
        nodes = list(_nodes(plan))
        # Every row a scan produced or threw away: what the query read.
        self.rows = sum(
            (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
            for n in nodes
            if n["Node Type"] in SCAN_NODES
        )
        self.buffers = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
        self.kinds = sorted({n["Node Type"] for n in nodes})

    def __repr__(self) -> str:
        return f"Cost(rows={self.rows}, buffers={self.buffers}, nodes={self.kinds})"


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def explain(conn: psycopg.AsyncConnection, query: ListQuery) -> Cost:
    statement, params = list_statement(ViewTables(), query)
    cursor = await conn.execute(
        sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}").format(statement),
        params,
        prepare=False,
    )
    row = await cursor.fetchone()
    assert row is not None
    return Cost(row[0][0]["Plan"])


async def rows_at(conn: psycopg.AsyncConnection, sort: Sort, offset: int, limit: int) -> list[Any]:
    """Rows of the whole table in display order, straight from SQL: the expected answer."""
    direction = sql.SQL("DESC" if sort.descending else "ASC")
    keys = [SORT_COLUMNS[sort.field], "order_id"]
    cursor = await conn.execute(
        sql.SQL("SELECT {} FROM orders_view ORDER BY {} OFFSET %s LIMIT %s").format(
            column_list(VIEW_COLUMNS),
            sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(k), direction) for k in keys),
        ),
        (offset, limit),
    )
    return [view_from_row(row) for row in await cursor.fetchall()]


@pytest.fixture
async def hundred_thousand_orders(database_url: str) -> str:
    await migrate_database(database_url)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(LOAD, {"rows": ROWS})
        await conn.execute("ANALYZE orders_view")
    return database_url


SORTS = ["-updatedAt", "updatedAt", "-createdAt", "createdAt", "-totalGross", "totalGross"]
SORTS += ["-orderId", "orderId"]


async def test_a_page_at_cursor_depth_10000_reads_no_more_than_page_1(hundred_thousand_orders):
    costs: dict[str, tuple[Cost, Cost, Cost]] = {}
    async with (
        opened_container(hundred_thousand_orders) as container,
        client_without_lifespan(create_app_from_container(container)) as client,
        await psycopg.AsyncConnection.connect(hundred_thousand_orders, autocommit=True) as conn,
    ):
        reader = RecordingReader(container.write_side.view_store())
        container.read_side.order_reader.override(providers.Object(reader))
        codec = container.read_side.cursor_codec()
        for text in SORTS:
            sort = parse_sort(text)
            first = await client.get("/orders", params={"sort": text, "pageSize": SIZE})
            assert first.status_code == 200
            page_one = reader.queries[-1]

            # The cursor the server hands out with page 9,999: the keyset of its last row.
            (boundary,) = await rows_at(conn, sort, (DEPTH - 1) * SIZE - 1, 1)
            keyset = Keyset(sort_value(sort.field, boundary), boundary.order_id)
            cursor = codec.encode(Cursor(sort, keyset, DEPTH, SIZE))
            deep = await client.get("/orders", params={"cursor": cursor, "pageSize": SIZE})
            assert deep.status_code == 200
            assert deep.json()["page"] == DEPTH
            expected = [v.order_id for v in await rows_at(conn, sort, (DEPTH - 1) * SIZE, SIZE)]
            assert [o["orderId"] for o in deep.json()["items"]] == expected
            at_depth = reader.queries[-1]
            assert at_depth.keyset is not None and at_depth.offset == 0

            # The API refuses page numbers this deep; the OFFSET query it would have run:
            by_number = await client.get(
                "/orders", params={"sort": text, "page": DEPTH, "pageSize": SIZE}
            )
            assert by_number.status_code == 400
            by_offset = ListQuery(OrderFilters(), sort, SIZE + 1, (DEPTH - 1) * SIZE)
            costs[text] = (  # EXPLAIN ANALYZE of the very queries that served the pages
                await explain(conn, page_one),
                await explain(conn, at_depth),
                await explain(conn, by_offset),
            )

    for text, (first_cost, deep_cost, offset_cost) in costs.items():
        print(
            f"{text:>12}: page 1 {first_cost}  cursor@{DEPTH} {deep_cost}"
            f"  offset@{DEPTH} {offset_cost}"
        )
        assert deep_cost.rows <= first_cost.rows, text
        # Same index descent; only heap locality differs with position: at most one page
        # more per row returned, never a walk over the skipped rows.
        assert deep_cost.buffers <= first_cost.buffers + deep_cost.rows, text
        # The measure does see depth: page numbers at the same depth read the skipped rows.
        assert offset_cost.rows >= (DEPTH - 1) * SIZE, text


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    reader: OrderReader = RecordingReader(None)
    del reader
