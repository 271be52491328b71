"""The worker's guarantee against real Kafka and PostgreSQL, tracing on: every hostile record
of the corpus, on every partition between valid orders, is dead-lettered with its reason or
(when it is a valid event with odd headers) applied; every valid order behind the poison is
applied; the consumer never leaves RUNNING."""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

from aiokafka import AIOKafkaProducer
from dependency_injector import providers
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.kafka.closing import close_keeping_cancellation
from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, generate
from entrypoints.container import Container
from tests.integration.worker_support import (
    caught_up,
    memory_views,
    migrated,
    project_in_memory,
    read_log,
    running_worker,
    stored_views,
    worker_settings,
)
from tests.support.events import order_created, status_changed

PARTITIONS = 3
POISON = "x-test-poison"  # the reason a poison record must be dead-lettered with
TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
DEEP = "[" * 1500 + "]" * 1500

Record = tuple[bytes | None, bytes | None, tuple[tuple[str, bytes | None], ...]]


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def poison_corpus(p: int) -> list[Record]:
    """Each hostile class of the corpus once, for partition `p` (order ids of its own)."""

    def order(name: str) -> str:
        return f"poison-{p}-{name}"

    def seq(n: int | bytes, reason: str | None = None, *more: tuple[str, bytes | None]) -> Any:
        value = n if isinstance(n, bytes) else str(n).encode()
        marker = () if reason is None else ((POISON, reason.encode()),)
        return (("x-sequence", value), *marker, *more)

    created = order_created(order("deep"))
    deep_extra = _json(created)[:-1] + f', "extra": {DEEP}}}'.encode()
    gap = order("gap")
    reused = order_created(order("reused"), event_id=f"evt-poison-{p}-reused")
    return [
        (order("deep").encode(), deep_extra, seq(1, "invalid_json")),
        (order("type").encode(), f'{{"type": {DEEP}}}'.encode(), seq(1, "invalid_json")),
        # Valid, with a traceparent header that has no value: applied, untraced.
        (order("null-tp").encode(), _json(order_created(order("null-tp"))),
         seq(1, None, ("traceparent", None))),
        (order("long-seq").encode(), _json(order_created(order("long-seq"))),
         seq(b"9" * 5000, "invalid_sequence", ("traceparent", TRACEPARENT))),
        (None, None, seq(1, "invalid_json")),
        (order("huge").encode(), _json(order_created(order("huge")) | {"type": "T" * 600_000}),
         seq(1, "unknown_type")),
        (order("late").encode(),
         _json(order_created(order("late"), occurred_at="9999-12-31T23:59:59-14:00")),
         seq(1, "schema_violation")),
        (order("early").encode(),
         _json(order_created(order("early"), occurred_at="0001-01-01T00:00:00+14:00")),
         seq(1, "schema_violation")),
        (order("cut").encode(), b'{"type": "OrderCreated", "orderId": 0, oops',
         seq(1, "invalid_json")),
        # Valid: a gapped event with NUL trace headers waits in the stash, then is applied.
        (gap.encode(), _json(order_created(gap)), seq(1)),
        (gap.encode(), _json(status_changed(gap, "SHIPPED")),
         seq(3, None, ("x-trace-id", b"t\x00"), ("traceparent", TRACEPARENT[:-2] + b"\x00\x00"))),
        (gap.encode(), _json(status_changed(gap, "PAID")),
         seq(2, None, ("traceparent", TRACEPARENT))),
        (order("reused").encode(), _json(reused), seq(1)),
        (order("again").encode(), _json(order_created(order("again"), event_id=reused["eventId"])),
         seq(1, "schema_violation")),
    ]  # fmt: skip


def corpus() -> dict[int, list[Record]]:
    """Valid orders (each on the partition of its key) with the poison spread between them."""
    by_partition: dict[int, list[Record]] = {p: [] for p in range(PARTITIONS)}
    for r in generate(GeneratorOptions(orders=60, seed=15)):
        by_partition[zlib.crc32(r.key) % PARTITIONS].append((r.key, r.value, r.headers))
    for p, records in by_partition.items():
        poison = poison_corpus(p)
        step = max(1, len(records) // len(poison))
        for n, hostile in enumerate(poison):
            records.insert(n * (step + 1), hostile)
    return by_partition


async def produce(bootstrap: str, topic: str, records: dict[int, list[Record]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for partition, batch in records.items():
            for key, value, headers in batch:
                if key is None and value is None:  # send() refuses it; Kafka itself does not
                    raw = producer.create_batch()
                    raw.append(key=None, value=None, timestamp=None, headers=list(headers))
                    await (await producer.send_batch(raw, topic, partition=partition))
                    continue
                await producer.send_and_wait(
                    topic, key=key, value=value, headers=list(headers), partition=partition
                )
    finally:
        await close_keeping_cancellation(producer.stop())


async def test_poison_on_every_partition_is_dead_lettered_and_the_rest_applied(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str
) -> None:
    await migrated(database_url)
    topic = new_topic(partitions=PARTITIONS)
    bootstrap = stack_endpoints.kafka_bootstrap
    records = corpus()
    await produce(bootstrap, topic, records)
    log = await read_log(bootstrap, topic)
    ends = {p: len(batch) for p, batch in records.items()}
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def traced(container: Container) -> None:
        container.infrastructure.tracer_provider.override(providers.Object(provider))

    settings = worker_settings(bootstrap, database_url, topic, group_id, batch_max_records=25)
    states: set[ConsumerState] = set()
    async with running_worker(settings, traced) as worker:
        status = worker.container.write_side.consumer_status()

        async def watch() -> None:
            while True:
                states.add(status.state)
                await asyncio.sleep(0.02)

        watching = asyncio.create_task(watch())
        try:
            await caught_up(database_url, group_id, topic, ends)
        finally:
            watching.cancel()
        assert worker.task.done() is False
        final_state = status.state

    assert final_state is ConsumerState.RUNNING
    assert ConsumerState.FAILED not in states and ConsumerState.PAUSED not in states
    # Every poison record, and only those, in the DLQ with the reason it was sent for.
    letters = await read_log(bootstrap, f"{topic}.dlq")
    found = {
        (int(letter.header("x-dlq-source-partition") or -1),
         int(letter.header("x-dlq-source-offset") or -1)): letter.header("x-dlq-reason")
        for letter in letters
    }  # fmt: skip
    expected = {(r.partition, r.offset): r.header(POISON) for r in log if r.header(POISON)}
    assert len(expected) == PARTITIONS * 9
    assert found == expected
    # Every valid order behind the poison is applied, as the projection says it must be.
    views = await stored_views(database_url)
    assert views == await memory_views(await project_in_memory(log))
    valid_orders = {r.key for r in log if r.key and not r.header(POISON)}
    assert {order_id.encode() for order_id in views} == valid_orders
    for p in range(PARTITIONS):  # status and last_event_sequence: the stashed one applied
        assert (views[f"poison-{p}-gap"][1], views[f"poison-{p}-gap"][9]) == ("SHIPPED", 3)
    # Tracing was on: records with a valid traceparent joined their producer's trace.
    process = [s for s in exporter.get_finished_spans() if s.name == "process"]
    assert process and all(s.context.trace_id == int(TRACEPARENT[3:35], 16) for s in process)
