"""Spans of a consumed batch, a producer's trace carried by `traceparent`, HTTP route spans."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.tracing import OtelSpans, tracer_provider_from_env
from adapters.tracing.http import tracing_plugins
from adapters.tracing.provider import TracingConfigError, exporter_names
from application.projecting import ProjectBatch
from domain.records import RawRecord

pytestmark = pytest.mark.unit


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


def created(order_id: str, offset: int, headers: tuple[tuple[str, bytes], ...] = ()) -> RawRecord:
    body = {
        "type": "OrderCreated",
        "eventId": f"evt-{order_id}",
        "occurredAt": "2026-11-28T10:15:00Z",
        "orderId": order_id,
        "customerId": "cust-1",
        "currency": "EUR",
        "items": [{"itemId": "i1", "sku": "SKU-1", "qty": 2, "price": "9.99"}],
    }
    return RawRecord(
        topic="orders.events",
        partition=3,
        offset=offset,
        key=order_id.encode(),
        value=json.dumps(body).encode(),
        headers=(("x-sequence", b"1"), *headers),
    )


def producer_traceparent(provider: TracerProvider) -> tuple[bytes, int, int]:
    """A `traceparent` header as a producer would send it, with its trace and span ids."""
    with provider.get_tracer("producer").start_as_current_span("send") as span:
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        context = span.get_span_context()
    return carrier["traceparent"].encode(), context.trace_id, context.span_id


async def consume(spans: OtelSpans, records: list[RawRecord]) -> None:
    """What the worker does with one polled batch."""
    project = ProjectBatch(
        MemoryViewStore(), MemoryDeadLetters(), MemoryMetrics(), spans, "streamview-orders"
    )
    poll_started = time.time_ns()
    with spans.batch(records, poll_started_ns=poll_started):
        await project(records)
        with spans.span("commit", partitions=3):
            pass


def by_name(exporter: InMemorySpanExporter) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in exporter.get_finished_spans():
        named.setdefault(span.name, []).append(span)
    return named


async def test_batch_span_has_poll_parse_upsert_commit_children(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    await consume(OtelSpans(provider), [created("o-1", 10), created("o-2", 11)])

    spans = by_name(exporter)
    (batch,) = spans["batch"]
    assert batch.parent is None
    children = [s for s in exporter.get_finished_spans() if s.parent is not None]
    assert sorted(s.name for s in children) == ["commit", "parse", "poll", "upsert"]
    assert {s.parent.span_id for s in children if s.parent} == {batch.context.span_id}
    assert batch.attributes is not None
    assert batch.attributes["messaging.batch.message_count"] == 2
    assert list(batch.attributes["offsets"]) == ["3:10-11"]
    assert "process" not in spans  # no record carried a traceparent


async def test_record_with_traceparent_joins_the_producers_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    traceparent, trace_id, producer_span_id = producer_traceparent(provider)
    traced = created("o-7", 42, headers=(("traceparent", traceparent),))

    await consume(OtelSpans(provider), [created("o-6", 41), traced])

    spans = by_name(exporter)
    (process,) = spans["process"]
    (batch,) = spans["batch"]
    assert process.context.trace_id == trace_id
    assert process.parent is not None and process.parent.span_id == producer_span_id
    expected = {"orderId": "o-7", "eventId": "evt-o-7", "sequence": 1, "partition": 3, "offset": 42}
    assert process.attributes is not None
    assert {k: process.attributes[k] for k in expected} == expected
    assert [link.context.span_id for link in process.links] == [batch.context.span_id]
    # The batch, in a trace of its own, links to the producer span with the record's ids.
    assert batch.context.trace_id != trace_id
    (link,) = batch.links
    assert (link.context.trace_id, link.context.span_id) == (trace_id, producer_span_id)
    assert link.attributes is not None and link.attributes["orderId"] == "o-7"


async def test_malformed_traceparent_is_ignored(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    await consume(OtelSpans(provider), [created("o-8", 1, headers=(("traceparent", b"00-zz"),))])

    spans = by_name(exporter)
    assert "process" not in spans
    assert spans["batch"][0].links == ()


async def test_failed_batch_marks_batch_and_record_spans_as_errors(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    traceparent, trace_id, _ = producer_traceparent(provider)
    spans = OtelSpans(provider)
    with (
        pytest.raises(ConnectionError),
        spans.batch([created("o-9", 5, headers=(("traceparent", traceparent),))]),
    ):
        raise ConnectionError("database went away")

    named = by_name(exporter)
    assert named["batch"][0].status.status_code is StatusCode.ERROR
    assert named["process"][0].status.status_code is StatusCode.ERROR
    assert named["process"][0].context.trace_id == trace_id


def test_span_attributes_are_made_exportable(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with OtelSpans(provider).span("upsert", orders=3, skipped=None, ids=("a", "b"), obj={1: 2}):
        pass

    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {"orders": 3, "ids": ("a", "b"), "obj": "{1: 2}"}


@pytest.mark.parametrize(
    ("environ", "exporters"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console,otlp"}, ["console", "otlp"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, []),
    ],
    ids=["off-by-default", "endpoint", "traces-endpoint", "named", "none", "sdk-disabled"],
)
def test_exporters_follow_the_otel_variables(environ: dict[str, str], exporters: list[str]) -> None:
    assert exporter_names(environ) == exporters


def test_no_provider_without_exporter_and_one_with_it() -> None:
    assert tracer_provider_from_env({}) is None
    provider = tracer_provider_from_env({"OTEL_TRACES_EXPORTER": "console"})
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == "streamview"
    provider.shutdown()
    with pytest.raises(TracingConfigError, match="zipkin"):
        tracer_provider_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})


@get("/orders/{order_id:str}")
async def _order(order_id: FromPath[str]) -> dict[str, str]:
    return {"orderId": order_id}


@get("/metrics")
async def _metrics() -> str:
    return ""


def test_http_spans_are_named_by_route_template(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    app = Litestar([_order, _metrics], plugins=tracing_plugins(provider))
    with TestClient(app) as client:
        assert client.get("/orders/o-1").status_code == 200
        assert client.get("/orders/o-2").status_code == 200
        assert client.get("/metrics").status_code == 200

    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["GET /orders/{order_id}"] * 2
    assert {(s.attributes or {}).get("http.route") for s in spans} == {"/orders/{order_id}"}


async def test_links_stop_at_the_limit_but_every_record_joins_its_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "2")
    parents = [producer_traceparent(provider) for _ in range(3)]
    records = [
        created(f"o-{n}", n, headers=(("traceparent", traceparent),))
        for n, (traceparent, _, _) in enumerate(parents)
    ]

    await consume(OtelSpans(provider), records)

    spans = by_name(exporter)
    assert len(spans["batch"][0].links) == 2
    assert sorted(s.context.trace_id for s in spans["process"]) == sorted(t for _, t, _ in parents)


def _hostile(order_id: str, offset: int, traceparent: bytes, value: bytes) -> RawRecord:
    """A record whose trace context or body the tracing code has to read defensively."""
    record = created(order_id, offset, headers=(("traceparent", traceparent),))
    return RawRecord(record.topic, 3, offset, record.key, value, record.headers)


_DEEP = b"[" * 5000 + b"]" * 5000


async def test_hostile_records_are_traced_or_left_untraced_never_raised(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    traceparent, trace_id, _ = producer_traceparent(provider)
    body = created("o-deep", 0).value or b""
    deep_body = body[:-1] + b', "extra": ' + _DEEP + b"}"
    store = MemoryViewStore()
    dead_letters = MemoryDeadLetters()
    project = ProjectBatch(store, dead_letters, MemoryMetrics(), OtelSpans(provider), "g")
    no_value = created("o-none", 2)
    long_sequence = created("o-long", 3, headers=(("traceparent", traceparent),))
    records = [
        _hostile("o-deep", 1, traceparent, deep_body),  # deep nesting, traced
        RawRecord(
            no_value.topic, 3, 2, no_value.key, no_value.value,
            (("x-sequence", b"1"), ("traceparent", None), ("tracestate", None)),  # type: ignore[arg-type]
        ),
        RawRecord(
            long_sequence.topic, 3, 3, long_sequence.key, long_sequence.value,
            (("traceparent", traceparent), ("x-sequence", b"9" * 5000)),
        ),
        created("o-fine", 4, headers=(("traceparent", traceparent),)),
    ]  # fmt: skip

    with OtelSpans(provider).batch(records, poll_started_ns=time.time_ns()):
        outcome = await project(records)

    assert outcome.records == len(records)
    assert {(r.record.offset, r.reason.value) for r in dead_letters.sent} == {
        (1, "invalid_json"),
        (3, "invalid_sequence"),
    }
    assert await store.get_order("o-none") is not None  # its null traceparent: just untraced
    process = {s.attributes["offset"]: s for s in by_name(exporter)["process"] if s.attributes}
    assert set(process) == {1, 3, 4}
    assert all(s.context.trace_id == trace_id for s in process.values())
    assert process[3].attributes is not None
    assert process[3].attributes["sequence"] == "9" * 128
