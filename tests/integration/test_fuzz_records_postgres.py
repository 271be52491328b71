"""The worker's guarantee, fuzzed: whatever the records of a batch hold, the real decode ->
policy -> projection -> PostgreSQL write path (tracing on) gives each one a decision or a dead
letter, raises nothing, and what it stored reads back; also extreme but valid values and trace
headers that jsonb cannot hold, through the HTTP API over PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.postgres.store import PostgresViewStore
from adapters.tracing import OtelSpans
from application.ports import ListQuery, OrderFilters, Sort
from application.projecting import ProjectBatch
from domain.records import DlqReason, RawRecord
from entrypoints.asgi import create_app_from_container
from tests.contracts.http_listing import client_without_lifespan
from tests.integration.postgres_support import open_pool
from tests.integration.test_http_postgres import opened_container
from tests.support.events import TOPIC, order_created, record, status_changed
from tests.support.hostile import hostile_records


def test_no_hostile_record_escapes_and_every_one_is_accounted_for(database_url: str) -> None:
    offsets = itertools.count()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    spans = OtelSpans(provider)
    dead_letters, metrics = MemoryDeadLetters(), MemoryMetrics()
    consumed = released = examples = 0

    with asyncio.Runner() as runner:
        pool_context = open_pool(database_url)
        store = PostgresViewStore(runner.run(pool_context.__aenter__()))
        project = ProjectBatch(store, dead_letters, metrics, spans, "fuzz")

        async def one_batch(batch: list[RawRecord]) -> None:
            nonlocal released
            with spans.batch(batch):
                outcome = await project(batch)
            assert outcome.records == len(batch)  # each record got exactly one decision
            released += outcome.result.tally.released
            # What was stored reads back: every order the batch may have touched, and a list.
            for key in {r.key for r in batch if r.key}:
                await store.get_order(key.decode(errors="replace"))
            await store.list_orders(ListQuery(OrderFilters(), Sort(), limit=50))

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.lists(hostile_records(), min_size=1, max_size=12), st.integers(0, 2))
        def check(raw: list[tuple[Any, Any, Any]], partition: int) -> None:
            nonlocal consumed, examples
            # Every few examples a fresh set of orders, so that events keep being applied
            # (not only found duplicate or late against orders earlier examples finished).
            fresh, examples = f"order-{examples // 4}-".encode(), examples + 1
            batch = [
                RawRecord(TOPIC, partition, next(offsets), *_renamed(fresh, key, value), headers)
                for key, value, headers in raw
            ]
            runner.run(one_batch(batch))
            consumed += len(batch)

        try:
            check()
        finally:
            runner.run(pool_context.__aexit__(None, None, None))
            provider.shutdown()

    tally = (
        sum(metrics.events.values())
        - released
        + metrics.duplicates
        + metrics.out_of_order["late"]
        + metrics.out_of_order["gap"]
        + sum(metrics.dead_letters.values())
    )
    assert tally == consumed
    assert sum(metrics.events.values()) > 0 and metrics.out_of_order["gap"] > 0  # it reached PG
    assert len(dead_letters.sent) == sum(metrics.dead_letters.values())
    assert {letter.reason for letter in dead_letters.sent} <= set(DlqReason)
    assert all(len(letter.detail) <= 1000 for letter in dead_letters.sent)


def _renamed(fresh: bytes, key: bytes | None, value: bytes | None) -> tuple[Any, Any]:
    return (
        None if key is None else key.replace(b"order-", fresh),
        None if value is None else value.replace(b'"order-', b'"' + fresh),
    )


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[tuple[Any, Any]]:
    from tests.integration.postgres_support import migrate_database

    await migrate_database(database_url)
    async with opened_container(database_url) as container:
        project = ProjectBatch(
            container.write_side.view_store(), MemoryDeadLetters(), MemoryMetrics(),
            OtelSpans(TracerProvider()), "api",
        )  # fmt: skip
        async with client_without_lifespan(create_app_from_container(container)) as client:
            yield project, client


EXTREMES = {
    "order-first": "0001-01-01T00:00:00Z",
    "order-east": "0001-01-01T00:00:00-14:00",
    "order-last": "9999-12-31T23:59:59.999999Z",
    "order-west": "9999-12-31T09:59:59+14:00",
}


async def test_extreme_valid_times_and_stashed_nul_headers_read_back_through_the_api(
    api: tuple[Any, Any],
) -> None:
    project, client = api
    nul = {"x-trace-id": "trace\u0000id", "traceparent": "00-\u0000"}
    records = [
        *[record(order_created(o, occurred_at=t)) for o, t in EXTREMES.items()],
        record(order_created("order-9999", occurred_at="9999-12-31T23:59:59-14:00")),  # DLQ
        record(status_changed("order-first", "SHIPPED"), 3, headers=nul),  # stashed with NULs
        record(status_changed("order-first", "PAID", occurred_at="9999-12-31T23:59:59Z"), 2),
    ]
    records = [RawRecord(r.topic, 0, n, r.key, r.value, r.headers) for n, r in enumerate(records)]

    outcome = await project(records)

    assert [r.reason for r in outcome.rejected] == [DlqReason.SCHEMA_VIOLATION]
    assert outcome.result.tally.released == 1  # the stashed event, NUL headers dropped
    for sort in ("-updatedAt", "updatedAt", "createdAt", "-createdAt"):
        seen: list[str] = []
        url = f"/orders?pageSize=1&sort={sort}"
        while url:
            page = await client.get(url)
            assert page.status_code == 200, (sort, page.text)
            seen += [o["orderId"] for o in page.json()["items"]]
            cursor = page.json()["nextCursor"]
            url = f"/orders?pageSize=1&sort={sort}&cursor={cursor}" if cursor else ""
        assert sorted(seen) == sorted(EXTREMES), sort
    assert (await client.get("/orders")).status_code == 200
    for order_id in EXTREMES:
        order = await client.get(f"/orders/{order_id}")
        assert order.status_code == 200
        etag = order.headers["etag"]
        assert (
            await client.get(f"/orders/{order_id}", headers={"If-None-Match": etag})
        ).status_code == 304
    first = (await client.get("/orders/order-first")).json()
    assert (first["status"], first["lastEventSequence"]) == ("SHIPPED", 3)
    assert first["createdAt"].startswith("0001-01-01T00:00:00")
    assert (
        (await client.get("/orders/order-east"))
        .json()["createdAt"]
        .startswith("0001-01-01T14:00:00")
    )
    assert (
        (await client.get("/orders/order-west"))
        .json()["createdAt"]
        .startswith("9999-12-30T19:59:59")
    )


async def test_a_stashed_event_reusing_an_event_id_is_dead_lettered_when_released(
    database_url: str,
) -> None:
    dead_letters, metrics = MemoryDeadLetters(), MemoryMetrics()
    async with open_pool(database_url) as pool:
        store = PostgresViewStore(pool)
        project = ProjectBatch(store, dead_letters, metrics, OtelSpans(TracerProvider()), "g")
        batches = [
            [record(order_created("order-1", event_id="evt-1"))],
            [
                record(order_created("order-2", event_id="evt-2a")),
                record(status_changed("order-2", "SHIPPED", event_id="evt-1"), 3),  # reused
                record(status_changed("order-2", "DELIVERED", event_id="evt-2e"), 5),
            ],
            [record(status_changed("order-2", "PAID", event_id="evt-2b"), 2)],  # releases 3
        ]
        offsets = itertools.count()
        for batch in batches:
            await project(
                [RawRecord(TOPIC, 0, next(offsets), r.key, r.value, r.headers) for r in batch]
            )

        order = await store.get_order("order-2")
        stashed = await store.stashed_count()

    [letter] = dead_letters.sent
    assert (letter.reason, letter.record.header("x-sequence")) == (DlqReason.SCHEMA_VIOLATION, b"3")
    assert b'"eventId":"evt-1"' in (letter.record.value or b"")
    assert order is not None
    assert (order.view.status, order.view.last_event_sequence) == ("PAID", 2)
    assert stashed == 1  # sequence 5 waits for the dead-lettered 3, as after any dead letter


@pytest.mark.parametrize("path", ["/orders/a%00b", "/orders?customerId=a%00b"])
async def test_a_nul_in_a_request_is_not_a_server_error(api: tuple[Any, Any], path: str) -> None:
    _, client = api

    response = await client.get(path)

    assert response.status_code in (400, 404)  # no stored id holds a NUL


LEGACY = """
INSERT INTO orders_view (order_id, customer_id, status, currency, total_net, total_gross,
    item_count, line_count, created_at, updated_at, last_event_sequence, last_event_id,
    dedup_event_id, projected_at)
VALUES ('order-10k', 'c', 'PAID', 'EUR', 0, 0, 0, 0, timestamptz '2026-01-01Z',
        timestamptz '9999-12-31T23:59:59-14:00', 2, 'e-10k', 'e-10k', now()),
       ('order-bc', 'c', 'CREATED', 'EUR', 0, 0, 0, 0, timestamptz '0001-01-01T00:00:00+14:00',
        timestamptz '0001-01-01T00:00:00+14:00', 1, 'e-bc', 'e-bc', now())
"""


async def test_times_stored_before_they_were_bounded_still_read(
    api: tuple[Any, Any], database_url: str
) -> None:
    import psycopg

    _, client = api
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(LEGACY)

    listed = await client.get("/orders")
    one = await client.get("/orders/order-10k")
    ancient = await client.get("/orders/order-bc")

    assert listed.status_code == 200
    assert [o["orderId"] for o in listed.json()["items"]] == ["order-10k", "order-bc"]
    assert one.status_code == 200 and one.json()["updatedAt"].startswith("9999-12-31T23:59:59")
    assert ancient.status_code == 200 and ancient.json()["createdAt"].startswith("0001-01-01")
    following = listed.json()["nextCursor"]
    assert following is None
