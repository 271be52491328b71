"""A scripted scenario through real Kafka, Postgres, the worker and the API: what operators see.

One process composed as `streamview run` does (container, worker in the API's lifespan),
with an in-memory span exporter and JSON logs captured, then: `/metrics` shows the exact
counter deltas, the spans form the batch tree, a record's `traceparent` joins the producer's
trace, and every log line is JSON carrying the record's fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from loguru import logger
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client.parser import text_string_to_metric_families

from adapters.postgres.migrations import migrate
from domain.records import DlqReason, RawRecord
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.logging import configure_logging
from entrypoints.settings import Settings
from tests.integration.worker_support import eventually
from tests.support.events import item_added, order_created, record, status_changed

Series = tuple[str, tuple[tuple[str, str], ...]]
COUNTERS = (
    "streamview_events_total",
    "streamview_duplicates_total",
    "streamview_out_of_order_total",
    "streamview_dlq_total",
)
ORDER = "obs-1"


def scenario(traceparent: str) -> tuple[list[RawRecord], dict[Series, float]]:
    """The records to publish, in order, and the counter deltas they must cause."""
    created = order_created(ORDER)
    added = item_added(ORDER, item_id="item-2")
    applied_and_anomalies = [
        record(created, 1, headers={"traceparent": traceparent}),  # applied
        record(added, 2),  # applied
        record(added, 2),  # duplicate
        record(status_changed(ORDER, "SHIPPED"), 4),  # gap: stashed
        record(status_changed(ORDER, "PAID"), 3),  # applied, then releases 4
        record(created, 1),  # late
    ]
    poison = {
        DlqReason.INVALID_JSON: record(b"{not json", 1, key=b"dlq-1"),
        DlqReason.SCHEMA_VIOLATION: record(order_created("dlq-2", items=[{"itemId": "x"}]), 1),
        DlqReason.UNKNOWN_TYPE: record({**order_created("dlq-3"), "type": "OrderRefunded"}, 1),
        DlqReason.MISSING_SEQUENCE: record(order_created("dlq-4"), None),
        DlqReason.INVALID_SEQUENCE: record(order_created("dlq-5"), "first"),
        DlqReason.KEY_MISMATCH: record(
            order_created("dlq-6"), 1, key=b"someone-else", headers={"x-trace-id": "corr-6"}
        ),
        DlqReason.FIRST_EVENT_NOT_CREATED: record(status_changed("dlq-7"), 1),
        DlqReason.UNSUPPORTED_VERSION: record(
            order_created("dlq-8"), 1, headers={"x-event-version": "2"}
        ),
        DlqReason.UNKNOWN_SCHEMA: record(b"\x00\x00\x00\x00\x07{}", 1, key=b"dlq-9"),
    }
    expected: dict[Series, float] = {
        ("streamview_events_total", (("type", "OrderCreated"),)): 1,
        ("streamview_events_total", (("type", "OrderItemAdded"),)): 1,
        ("streamview_events_total", (("type", "OrderStatusChanged"),)): 2,
        ("streamview_duplicates_total", ()): 1,
        ("streamview_out_of_order_total", (("kind", "gap"),)): 1,
        ("streamview_out_of_order_total", (("kind", "late"),)): 1,
    }
    expected |= {("streamview_dlq_total", (("reason", r.value),)): 1 for r in poison}
    return [*applied_and_anomalies, *poison.values()], expected


def samples(text: str) -> dict[Series, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def deltas(before: dict[Series, float], after: dict[Series, float]) -> dict[Series, float]:
    changed = {k: v - before.get(k, 0.0) for k, v in after.items() if k[0] in COUNTERS}
    return {k: v for k, v in changed.items() if v}


async def publish(bootstrap: str, topic: str, records: list[RawRecord]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for r in records:  # one at a time: their order on the partition is the scenario
            await producer.send_and_wait(
                topic, key=r.key, value=r.value, headers=list(r.headers), partition=0
            )
    finally:
        await producer.stop()


def producer_traceparent(provider: TracerProvider) -> tuple[str, int]:
    with provider.get_tracer("test-producer").start_as_current_span("send") as span:
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
    return carrier["traceparent"], span.get_span_context().trace_id


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)
    yield stream
    logger.remove()
    logger.add(sys.stderr)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def container(
    stack_endpoints: Any, database_url: str, new_topic: Callable[..., str], group_id: str
) -> Container:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn)
    topic = new_topic(1)
    settings = Settings(
        dev_mode=True,
        backend="postgres",
        database_url=database_url,
        kafka_bootstrap=stack_endpoints.kafka_bootstrap,
        topic=topic,
        dlq_topic=f"{topic}.dlq",
        consumer_group=group_id,
        batch_max_wait_ms=50,
        lag_refresh_ms=200,
    )
    return build_container(settings)


@contextlib.asynccontextmanager
async def running(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the worker in its lifespan, on this event loop, as `streamview run` has it."""
    stopping = asyncio.Event()

    @contextlib.asynccontextmanager
    async def worker_running(_: Any) -> AsyncIterator[None]:
        worker = asyncio.create_task(container.ingestion.worker().run(stopping))
        try:
            yield
        finally:
            stopping.set()
            assert await worker == 0

    app = create_app_from_container(container, lifespan=[worker_running])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://sv") as client,
    ):
        yield client


async def test_operators_see_exact_counts_spans_and_log_lines(
    container: Container, exporter: InMemorySpanExporter, json_logs: io.StringIO
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # As if OTEL_TRACES_EXPORTER were set: the container then gives OtelSpans to the worker
    # and Litestar's OpenTelemetry plugin to the API.
    container.infrastructure.tracer_provider.override(provider)
    traceparent, producer_trace = producer_traceparent(provider)
    records, expected = scenario(traceparent)
    config = container.config
    report_lag = container.ops.report_lag()

    async with running(container) as client:

        async def scrape() -> dict[Series, float]:
            response = await client.get("/metrics")
            assert response.status_code == 200
            return samples(response.text)

        async def all_consumed() -> bool:
            report = await report_lag()
            return [p.committed_offset for p in report.partitions] == [len(records)]

        before = await scrape()
        await publish(config.kafka_bootstrap(), config.topic(), records)
        await eventually(all_consumed, "the worker to store the position past every record")
        after = await scrape()

        assert deltas(before, after) == expected
        upserts = ("streamview_upserts_duration_seconds_count", ())
        assert after[upserts] - before.get(upserts, 0) >= 1
        assert after[("streamview_consumer_state", (("state", "RUNNING"),))] == 1
        lag = ("kafka_consumer_lag", (("partition", "0"), ("topic", config.topic())))

        stashed = ("streamview_stashed_events", ())

        async def gauges_settled() -> bool:
            # Both are refreshed from Kafka and Postgres every lag_refresh_ms (200 ms here).
            now = await scrape()
            return (now.get(lag), now.get(stashed)) == (0, 0)

        await eventually(gauges_settled, "kafka_consumer_lag and the stash gauge to read 0")

        # The API's own histogram: exactly one more GET on the route template.
        http = (
            "http_requests_duration_seconds_count",
            (("method", "GET"), ("path", "/orders/{orderId}"), ("status", "200")),
        )
        http_before = (await scrape()).get(http, 0.0)
        order = await client.get(f"/orders/{ORDER}")
        assert (order.json()["status"], order.json()["lastEventSequence"]) == ("SHIPPED", 4)
        assert (await scrape())[http] - http_before == 1

    assert_span_tree(exporter.get_finished_spans(), producer_trace)
    assert_http_spans(exporter.get_finished_spans())
    assert_log_lines(json_logs.getvalue(), records=len(records))


def assert_span_tree(spans: tuple[ReadableSpan, ...], producer_trace: int) -> None:
    batches = [s for s in spans if s.name == "batch"]
    assert batches
    for batch in batches:
        children = {s.name for s in spans if s.parent and s.parent.span_id == batch.context.span_id}
        assert {"poll", "parse", "upsert", "commit"} <= children
    (process,) = [s for s in spans if s.name == "process"]
    assert process.context.trace_id == producer_trace
    attributes = dict(process.attributes or {})
    assert {k: attributes.get(k) for k in ("orderId", "sequence", "partition", "offset")} == {
        "orderId": ORDER,
        "sequence": 1,
        "partition": 0,
        "offset": 0,
    }


def assert_http_spans(spans: tuple[ReadableSpan, ...]) -> None:
    """One server span for the order request, named by route; scrapes are not traced."""
    (server,) = [s for s in spans if (s.attributes or {}).get("http.method") == "GET"]
    assert server.name == "GET /orders/{orderId}"
    assert (server.attributes or {}).get("http.route") == "/orders/{orderId}"


def assert_log_lines(text: str, records: int) -> None:
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    batches = [line for line in lines if line["level"] == "INFO" and "applied" in line]
    assert sum(line["records"] for line in batches) == records
    dead = [line for line in lines if line["level"] == "WARNING" and "reason" in line]
    assert sorted(line["reason"] for line in dead) == sorted(r.value for r in DlqReason)
    for line in dead:
        assert line["partition"] == 0 and isinstance(line["offset"], int)
        assert "orderId" in line and "traceId" in line
    # A record's x-trace-id is copied into its line (CONTRACT §1); others get the batch's trace.
    assert {line["traceId"] for line in dead if line["reason"] == "key_mismatch"} == {"corr-6"}
    # Libraries logging through the standard `logging` module come out as JSON lines too.
    assert any(line["logger"].startswith("aiokafka.") for line in lines)
    # Nothing per successful record at INFO: one line per batch, not per event.
    assert len([line for line in lines if line.get("orderId") == ORDER]) == 0
