"""Scenario 3: `GET /orders` for each filter x sort of CONTRACT §5, at page 1 and deep.

The deep request carries a cursor positioned after row (depth_page - 1) x 50 of that filter
and sort (or the last page when the filter matches fewer rows): the cursor a client holds
after walking that far. It is built here with the API's own CursorCodec and secret, from the
row found with one OFFSET query, because walking 10,000 pages per combination would take
hours. Requests go one at a time on one keep-alive connection: `list_requests` per
combination and depth, or fewer when they take over 5 s (at least 3); p99 per combination.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from urllib.parse import urlencode

import msgspec
import psycopg

from application.cursors import Cursor, CursorCodec, parse_sort, sort_value
from application.ports import Keyset, OrderFilters
from bench.context import CURSOR_SECRET, BenchContext
from bench.load.client import HttpConnection
from bench.load.stats import summary
from bench.scenarios import common
from domain.events import OrderStatus

PAGE_SIZE = 50
BUDGET_S = 5.0  # per combination and depth: 80 of them
SORTS = tuple(
    f"{sign}{key}"
    for key in ("updatedAt", "createdAt", "totalGross", "orderId")
    for sign in ("-", "")
)
# name -> (query parameters, the same condition in SQL, used to position the deep cursor)
FILTERS: dict[str, tuple[list[tuple[str, str]], str]] = {
    "none": ([], "true"),
    "status": ([("status", "PAID")], "status = 'PAID'"),
    "2 statuses": (
        [("status", "SHIPPED"), ("status", "DELIVERED")],
        "status IN ('SHIPPED', 'DELIVERED')",
    ),
    "customerId": ([("customerId", "cust-00042")], "customer_id = 'cust-00042'"),
    "from/to": (
        [("from", "2026-11-10T00:00:00Z"), ("to", "2026-11-13T00:00:00Z")],
        "updated_at >= '2026-11-10T00:00:00Z' AND updated_at < '2026-11-13T00:00:00Z'",
    ),
}
_COLUMN = {
    "updatedAt": "updated_at",
    "createdAt": "created_at",
    "totalGross": "total_gross",
    "orderId": "order_id",
}


class _Row(msgspec.Struct):
    """The fields of a row that sort_value reads."""

    updated_at: object
    created_at: object
    total_gross: object
    order_id: str


async def deep_cursor(
    conn: psycopg.AsyncConnection, filter_name: str, sort_text: str, depth_page: int
) -> tuple[str | None, int]:
    """A signed cursor to page `depth_page` (or the last page), and the page it leads to."""
    condition = FILTERS[filter_name][1]
    sort = parse_sort(sort_text)
    direction = "DESC" if sort.descending else "ASC"
    column = _COLUMN[sort.field.value]
    count_row = await (
        await conn.execute(f"SELECT count(*) FROM orders_view WHERE {condition}")
    ).fetchone()
    matching = count_row[0] if count_row else 0
    page = min(depth_page, max(1, (matching - 1) // PAGE_SIZE + 1))
    if page == 1:
        return None, 1
    cursor = await conn.execute(
        f"SELECT updated_at, created_at, total_gross, order_id FROM orders_view WHERE {condition}"
        f" ORDER BY {column} {direction}, order_id {direction} OFFSET %s LIMIT 1",
        ((page - 1) * PAGE_SIZE - 1,),
    )
    row = _Row(*(await cursor.fetchone() or ()))
    keyset = Keyset(sort_value(sort.field, row), row.order_id)
    # A cursor continues the listing it was issued for: the same filters and page size.
    filters = _order_filters(FILTERS[filter_name][0])
    cursor_of_page = Cursor(sort, keyset, page, PAGE_SIZE, filters)
    return CursorCodec(CURSOR_SECRET.encode()).encode(cursor_of_page), page


def _order_filters(query: list[tuple[str, str]]) -> OrderFilters:
    values = dict(query)
    return OrderFilters(
        statuses=tuple(OrderStatus(v) for k, v in query if k == "status"),
        customer_id=values.get("customerId"),
        updated_from=msgspec.convert(values["from"], datetime) if "from" in values else None,
        updated_to=msgspec.convert(values["to"], datetime) if "to" in values else None,
    )


async def measure(conn: HttpConnection, path: str, requests: int, budget_s: float) -> dict:
    """`requests` sequential GETs, or fewer when they exhaust `budget_s` (a slow combination
    still gets at least 3 samples, and the run stays bounded)."""
    latencies, statuses = [], Counter[int]()
    started = time.perf_counter()
    while len(latencies) < requests:
        if len(latencies) >= 3 and time.perf_counter() - started > budget_s:
            break
        sent = time.perf_counter()
        status, body = await conn.get(path)
        latencies.append(time.perf_counter() - sent)
        # An empty page is as wrong as an error here: every combination has rows.
        statuses[status if b'"orderId"' in body else 598] += 1
    return summary(latencies, time.perf_counter() - started, statuses)


async def run(ctx: BenchContext) -> dict:
    url = await common.read_database(ctx)
    await common.api(ctx)
    http = HttpConnection("127.0.0.1", common.API_PORT)
    results = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for filter_name, (query, _) in FILTERS.items():
            for sort_text in SORTS:
                cursor, page = await deep_cursor(
                    conn, filter_name, sort_text, ctx.sizes.list_depth_page
                )
                for depth, extra in (
                    ("page 1", []),
                    ("deep", [("cursor", cursor)] if cursor else []),
                ):
                    path = "/orders?" + urlencode(
                        [*query, ("sort", sort_text), ("pageSize", str(PAGE_SIZE)), *extra]
                    )
                    await http.get(path)  # warm the plan and the pages once
                    figures = await measure(http, path, ctx.sizes.list_requests, BUDGET_S)
                    results.append(
                        {
                            "filter": filter_name,
                            "sort": sort_text,
                            "depth": depth,
                            "page": 1 if depth == "page 1" else page,
                            **{
                                k: figures[k]
                                for k in ("requests", "p50_ms", "p99_ms", "max_ms", "errors")
                            },
                        }
                    )
    await http.close()
    worst = max(results, key=lambda r: r["p99_ms"])
    return {
        "page_size": PAGE_SIZE,
        "combinations": results,
        "worst_p99_ms": worst["p99_ms"],
        "worst_combination": f"{worst['filter']} / {worst['sort']} / {worst['depth']}",
        "errors": sum(r["errors"] for r in results),
    }
