"""Shared by the worker's integration tests: settings, a running worker, the log, the views."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.records import to_raw_record
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.postgres.migrations import migrate
from adapters.postgres.tables import POSITIONS_TABLE
from adapters.tracing.null_spans import NullSpans
from application.ports import ListQuery, OrderFilters, Sort, SortField
from application.projecting import ProjectBatch
from devtools.generator import OutgoingRecord
from devtools.producing import publish
from domain.records import RawRecord
from entrypoints.api_secrets import with_dev_secrets
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import WorkerResource, holding


def worker_settings(
    kafka_bootstrap: str, database_url: str, topic: str, group_id: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "dev_mode": True,
        "backend": "postgres",
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "topic": topic,
        "dlq_topic": f"{topic}.dlq",
        "consumer_group": group_id,
        "batch_max_wait_ms": 50,
        "lag_refresh_ms": 200,
        "log_format": "json",
    }
    # With the development secrets filled in: the tests sign tokens with them.
    return with_dev_secrets(Settings(**(values | overrides)))


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a `streamview` subprocess with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMVIEW_")}
    env.update({f"STREAMVIEW_{k.upper()}": str(v) for k, v in settings.as_dict().items() if v})
    return env


async def migrated(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn)


@dataclass
class RunningWorker:
    container: Container
    stopping: asyncio.Event
    task: asyncio.Task[int]

    async def stop(self) -> int:
        self.stopping.set()
        return await self.task

    def metric(self, name: str, **labels: str) -> float:
        registry = self.container.infrastructure.prometheus_metrics().registry
        return registry.get_sample_value(name, labels) or 0.0


@asynccontextmanager
async def running_worker(
    settings: Settings, prepare: Callable[[Container], None] | None = None
) -> AsyncIterator[RunningWorker]:
    """A worker in this process, as `streamview consume` runs it; `prepare` may tune the
    container's adapters first."""
    container = build_container(settings)
    if prepare is not None:
        prepare(container)
    stopping = asyncio.Event()
    async with holding(container, WorkerResource):
        worker = RunningWorker(
            container, stopping, asyncio.create_task(container.ingestion.worker().run(stopping))
        )
        try:
            yield worker
        finally:
            await worker.stop()


async def produce(
    bootstrap: str,
    topic: str,
    records: Iterable[OutgoingRecord],
    security: KafkaSecurity = PLAINTEXT,
) -> int:
    return await publish(bootstrap, topic, records, security=security)


async def produce_on_partitions(bootstrap: str, topic: str, counts: Mapping[int, int]) -> None:
    """`counts[p]` records on partition p, their values b"p:n" (n = 0, 1, ...)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition, count in counts.items():
            for n in range(count):
                value = f"{partition}:{n}".encode()
                await producer.send_and_wait(topic, value, key=b"k", partition=partition)
    finally:
        await producer.stop()


async def read_log(
    bootstrap: str, topic: str, security: KafkaSecurity = PLAINTEXT
) -> list[RawRecord]:
    """Every record of `topic`, partition by partition, in offset order."""
    offsets = KafkaEndOffsets(bootstrap, security=security)
    try:
        ends = await offsets.end_offsets(topic)
    finally:
        await offsets.close()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **security.client_kwargs()
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(ends)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: dict[int, list[RawRecord]] = {p: [] for p in ends}
        async with asyncio.timeout(120):
            while any(len(records[p]) < end for p, end in ends.items()):
                for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                    records[tp.partition].extend(to_raw_record(r) for r in batch)
        return [r for p in sorted(ends) for r in records[p]]
    finally:
        await consumer.stop()


async def project_in_memory(records: Sequence[RawRecord], batch: int = 1000) -> MemoryViewStore:
    """The views an uninterrupted run must produce: the same use case over the memory store."""
    store = MemoryViewStore()
    project = ProjectBatch(store, MemoryDeadLetters(), MemoryMetrics(), NullSpans(), "expected")
    for start in range(0, len(records), batch):
        await project(records[start : start + batch])
    return store


async def expected_views(records: Sequence[RawRecord]) -> dict[str, tuple[Any, ...]]:
    """The views an uninterrupted run over `records` must store, laid out as stored_views."""
    return await memory_views(await project_in_memory(records))


async def memory_views(store: MemoryViewStore) -> dict[str, tuple[Any, ...]]:
    query = ListQuery(OrderFilters(), Sort(SortField.ORDER_ID, descending=False), limit=10**9)
    views = {}
    for view in await store.list_orders(query):
        detail = await store.get_order(view.order_id)
        assert detail is not None
        lines = tuple(
            (n.line_no, n.item_id, n.sku, n.qty, n.price, n.tax_rate, n.net_line_total,
             n.gross_line_total)
            for n in detail.lines
        )  # fmt: skip
        views[view.order_id] = (
            view.customer_id, str(view.status), view.currency, view.total_net, view.total_gross,
            view.item_count, view.line_count, view.created_at, view.updated_at,
            view.last_event_sequence, view.last_event_id, lines,
        )  # fmt: skip
    return views


async def stored_views(database_url: str) -> dict[str, tuple[Any, ...]]:
    """The views as CONTRACT §4 lays them out, read with plain SQL."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute("SET TIME ZONE 'UTC'")
        lines: dict[str, list[tuple[Any, ...]]] = {}
        for order_id, *line in await (
            await conn.execute(
                "SELECT order_id, line_no, item_id, sku, qty, price, tax_rate, net_line_total,"
                " gross_line_total FROM order_items_view ORDER BY order_id, line_no"
            )
        ).fetchall():
            lines.setdefault(order_id, []).append(tuple(line))
        rows = await (
            await conn.execute(
                "SELECT order_id, customer_id, status, currency, total_net, total_gross,"
                " item_count, line_count, created_at, updated_at, last_event_sequence,"
                " last_event_id FROM orders_view"
            )
        ).fetchall()
    return {row[0]: (*row[1:], tuple(lines.get(row[0], ()))) for row in rows}


async def stored_positions(database_url: str, group_id: str, topic: str) -> dict[int, int]:
    query = sql.SQL(
        "SELECT partition, next_offset FROM {} WHERE consumer_group = %s AND topic = %s"
    ).format(POSITIONS_TABLE)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (await conn.execute(query, (group_id, topic))).fetchall()
    return dict(rows)


def ends_of(log: Iterable[RawRecord]) -> dict[int, int]:
    """The end offsets of a new topic holding `log`: its number of records per partition."""
    return dict(Counter(record.partition for record in log))


async def topic_holding(
    bootstrap: str, database_url: str, topic: str, records: Iterable[OutgoingRecord]
) -> list[RawRecord]:
    """A migrated database and `records` produced to `topic`; the log as Kafka holds it."""
    await migrated(database_url)
    await produce(bootstrap, topic, records)
    return await read_log(bootstrap, topic)


async def stored_at_least(
    database_url: str,
    group_id: str,
    topic: str,
    count: float,
    process: subprocess.Popen[bytes] | None = None,
    output: Path | None = None,
) -> None:
    """Until the stored positions add up to `count` records or more; a `process` doing the
    work must not exit meanwhile (the assertion shows its `output`)."""
    async with asyncio.timeout(120):
        while sum((await stored_positions(database_url, group_id, topic)).values()) < count:
            if process is not None:
                assert process.poll() is None, output.read_text() if output else process.args
            await asyncio.sleep(0.05)


async def caught_up(
    database_url: str, group_id: str, topic: str, ends: dict[int, int], seconds: float = 120
) -> None:
    async with asyncio.timeout(seconds):
        while await stored_positions(database_url, group_id, topic) != ends:
            await asyncio.sleep(0.1)


async def scraped(base_url: str, name: str, **labels: str) -> float:
    """One sample of a Prometheus endpoint (0 when absent, as a counter never incremented)."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{base_url}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
