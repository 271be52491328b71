"""Change streams on real Kafka and PostgreSQL: every change of an ingest arrives exactly once
across forced disconnects resumed with Last-Event-ID; filters; a resume from before the
retention is a 410; a bogus Last-Event-ID a 400."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import psycopg

from adapters.postgres.change_log import PostgresChangeLog
from adapters.postgres.pool import make_pool
from devtools.generator import GeneratorOptions, generate
from tests.integration.conftest import StackEndpoints
from tests.integration.live_support import Event, live_service, read_events
from tests.integration.worker_support import (
    eventually,
    produce,
    scraped,
    stored_views,
    worker_settings,
)

# `make test`: 2,000 events and 3 disconnects; STREAMVIEW_SSE_EVENTS=10000 for the full figure.
EVENTS = int(os.environ.get("STREAMVIEW_SSE_EVENTS", "2000"))
DISCONNECTS = 3


async def logged_change_ids(database_url: str) -> list[int]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (
            await conn.execute("SELECT change_id FROM order_changes ORDER BY 1")
        ).fetchall()
    return [row[0] for row in rows]


async def test_every_change_arrives_once_across_disconnects(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
) -> None:
    topic = new_topic(partitions=2)
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, topic, group_id, batch_max_records=200
    )
    records = list(generate(GeneratorOptions(orders=EVENTS // 5, events_per_order=5, seed=7)))
    received: list[Event] = []
    async with live_service(settings) as live:
        http = live.http
        ingest = asyncio.create_task(produce(stack_endpoints.kafka_bootstrap, topic, records))
        # Hang up three times mid-ingest, each time after a share of what is to come.
        last: int | None = None
        for _ in range(DISCONNECTS):
            part = await read_events(http, "/changes/orders", last, stop_after=EVENTS // 10)
            received += part
            last = part[-1].id
        await ingest
        async with asyncio.timeout(120):
            while True:  # the worker is done when the newest view is the last of its order
                views = await stored_views(database_url)
                if len(views) == EVENTS // 5 and all(v[9] == 5 for v in views.values()):
                    break
                await asyncio.sleep(0.2)
        logged = await logged_change_ids(database_url)
        received += await read_events(http, "/changes/orders", last, until_id=logged[-1])

        async def all_hung_up() -> bool:
            return await scraped(live.base_url, "streamview_change_subscribers") == 0

        await eventually(all_hung_up, "the streams of clients that hung up to close")
        assert await scraped(live.base_url, "streamview_change_events_sent_total") >= len(logged)

    ids = [event.id for event in received]
    assert ids == logged  # every change, in order, none twice, none missing
    assert {e.kind for e in received} == {"order"}
    final = {e.data["orderId"]: e.data["lastEventSequence"] for e in received}
    assert final == {order_id: view[9] for order_id, view in views.items()}


async def test_filters_resume_and_retention(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
) -> None:
    topic = new_topic()
    settings = worker_settings(stack_endpoints.kafka_bootstrap, database_url, topic, group_id)
    records = list(generate(GeneratorOptions(orders=40, events_per_order=4, customers=4, seed=3)))
    async with live_service(settings) as live:
        http = live.http
        await produce(stack_endpoints.kafka_bootstrap, topic, records)
        async with asyncio.timeout(60):
            while len(views := await stored_views(database_url)) < 40 or any(
                v[9] < 4 for v in views.values()
            ):
                await asyncio.sleep(0.2)
        logged = await logged_change_ids(database_url)

        everything = await read_events(http, "/changes/orders", 0, until_id=logged[-1])
        customer = everything[0].data["customerId"]
        theirs = [e.id for e in everything if e.data["customerId"] == customer]
        filtered = await read_events(
            http, f"/changes/orders?customerId={customer}", 0, stop_after=len(theirs)
        )
        assert [e.id for e in filtered] == theirs
        delivered = [e for e in everything if e.data["status"] == "DELIVERED"]
        by_status = await read_events(
            http, "/changes/orders?status=DELIVERED", 0, stop_after=len(delivered)
        )
        assert [e.id for e in by_status] == [e.id for e in delivered]
        one = everything[0].data["orderId"]
        its = [e.id for e in everything if e.data["orderId"] == one]
        single = await read_events(http, f"/changes/orders/{one}", 0, stop_after=len(its))
        assert [e.id for e in single] == its

        ahead = await http.get("/changes/orders", headers={"Last-Event-ID": str(logged[-1] + 50)})
        assert ahead.status_code == 400
        assert ahead.json()["invalidParams"][0]["name"] == "Last-Event-ID"
        bogus = await http.get("/changes/orders", headers={"Last-Event-ID": "x1"})
        assert bogus.status_code == 400
        unknown = await http.get("/changes/orders?status=LOST")
        assert unknown.status_code == 400

        pool = make_pool(database_url, 1, 1)
        await pool.open(wait=True)
        try:
            assert await PostgresChangeLog(pool).prune(0) == len(logged)
        finally:
            await pool.close()
        gone = await http.get("/changes/orders", headers={"Last-Event-ID": "0"})
        assert gone.status_code == 410
        assert "GET /orders" in gone.json()["detail"]
        # From the newest id pruned on, nothing was lost: the resume is accepted.
        headers = {"Last-Event-ID": str(logged[-1])}
        async with http.stream("GET", "/changes/orders", headers=headers) as fine:
            assert fine.status_code == 200
