"""The view of docs/adding-a-view.md, built as the guide says in its own distribution
(tests/plugins/event-counts), enabled by STREAMVIEW_VIEWS alone, run by the real `streamview
run` over real Kafka and PostgreSQL, and read through the API. If the guide rots, this fails."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import psycopg
import pytest

from adapters.postgres.migrations import ViewSchema, migrate
from devtools.generator import GeneratorOptions, generate
from entrypoints.settings import Settings
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    eventually,
    produce,
    read_log,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port

EVENT_COUNTS = ViewSchema("event_counts", resources.files("streamview_event_counts") / "migrations")


@dataclass
class Running:
    settings: Settings
    http: httpx.AsyncClient
    log: Path


@pytest.fixture
async def service(
    stack_endpoints, database_url, new_topic, group_id, tmp_path
) -> AsyncIterator[Running]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn, [EVENT_COUNTS])
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap,
        database_url,
        new_topic(partitions=2),
        group_id,
        http_host="127.0.0.1",
        http_port=free_port(),
        views="orders,event_counts",
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*STREAMVIEW, "run"], env=worker_env(settings), stdout=out, stderr=out
        )
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=10)

    async def answers() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return (await http.get("/health/ready")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await eventually(answers, f"`streamview run` to be ready:\n{log.read_text()}")
        yield Running(settings, http, log)
    finally:
        await http.aclose()
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_the_guides_view_counts_each_applied_event_once(service: Running) -> None:
    s = service.settings
    options = GeneratorOptions(
        orders=300, events_per_order=4, duplicate_fraction=0.2, reorder_fraction=0.2, seed=7
    )
    await produce(s.kafka_bootstrap, s.topic, generate(options))
    log = await read_log(s.kafka_bootstrap, s.topic)
    await caught_up(s.database_url, s.consumer_group, s.topic, ends_of(log))

    async with await psycopg.AsyncConnection.connect(s.database_url) as conn:
        cursor = await conn.execute(
            "SELECT o.order_id, o.last_event_sequence, c.events"
            " FROM orders_view o LEFT JOIN event_counts c USING (order_id) ORDER BY 1"
        )
        rows = await cursor.fetchall()
    assert len(rows) == 300
    # Sequences run 1..n without a gap once applied, so n events were applied: duplicates
    # and reordered copies were counted by the view exactly as by the orders view.
    assert [events for _, _, events in rows] == [last for _, last, _ in rows]

    order_id, last, _ = rows[0]
    shown = await service.http.get(f"/event-counts/{order_id}")
    assert shown.status_code == 200, service.log.read_text()[-3000:]
    assert shown.json()["events"] == last
    assert shown.json()["lastEventSequence"] == last
    assert (await service.http.get("/event-counts/no-such-order")).status_code == 404
    document = (await service.http.get("/schema/openapi.json")).json()
    assert "/event-counts/{orderId}" in document["paths"]
