"""The customers view under the real worker: `streamview consume` with
STREAMVIEW_VIEWS=orders,customers over a log with duplicates and reorders, killed with SIGKILL a
third of the way in and started again; every customer row then equals the SQL aggregate of its
orders in orders_view, so nothing was lost or counted twice across the crash."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import psycopg

from adapters.postgres.migrations import migrate
from devtools.generator import GeneratorOptions, generate
from tests.integration.customers_support import (
    CUSTOMERS_SCHEMA,
    EXPECTED_CURRENCIES,
    EXPECTED_SUMMARIES,
)
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    produce,
    read_log,
    stored_at_least,
    stored_positions,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW

ORDERS = 6_000  # x 5 events, 5% duplicated, 5% reordered: long enough to be killed mid-way

ACTUAL_SUMMARIES = """
SELECT customer_id, order_count, created_count, paid_count, shipped_count, delivered_count,
    cancelled_count, first_order_at, last_order_at, updated_at
FROM customers_view
"""
ACTUAL_CURRENCIES = """
SELECT customer_id, currency, order_count, total_net, total_gross FROM customer_totals_view
"""


async def _rows(database_url: str, query: str) -> set[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute("SET TIME ZONE 'UTC'")
        return set(await (await conn.execute(query)).fetchall())


async def test_a_killed_worker_leaves_every_customer_row_the_aggregate_of_its_orders(
    stack_endpoints, database_url, new_topic, group_id, tmp_path: Path
) -> None:
    topic = new_topic(partitions=3)
    bootstrap = stack_endpoints.kafka_bootstrap
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, [CUSTOMERS_SCHEMA])
    options = GeneratorOptions(
        orders=ORDERS, customers=300, duplicate_fraction=0.05, reorder_fraction=0.05, seed=13
    )
    await produce(bootstrap, topic, generate(options))
    log = await read_log(bootstrap, topic)
    settings = worker_settings(bootstrap, database_url, topic, group_id, views="orders,customers")
    env = worker_env(settings)

    first = _consume(env, tmp_path / "first.log")
    await stored_at_least(
        database_url, group_id, topic, len(log) / 3, first, tmp_path / "first.log"
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = sum((await stored_positions(database_url, group_id, topic)).values())
    assert at_kill < len(log), "the ingest finished before the kill: make the log longer"

    second = _consume(env, tmp_path / "second.log")
    try:
        await caught_up(database_url, group_id, topic, ends_of(log), seconds=180)
    finally:
        second.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(second.wait, 60)

    assert exit_code == 0, (tmp_path / "second.log").read_text()
    summaries = await _rows(database_url, ACTUAL_SUMMARIES)
    assert len(summaries) == 300
    assert summaries == await _rows(database_url, EXPECTED_SUMMARIES)
    assert await _rows(database_url, ACTUAL_CURRENCIES) == await _rows(
        database_url, EXPECTED_CURRENCIES
    )


def _consume(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([*STREAMVIEW, "consume"], env=env, stdout=out, stderr=out)
