"""The Spans port on OpenTelemetry, and the span tree of one consumed batch.

A batch is traced as one `batch` span with children `poll`, `parse`, `upsert` and `commit`
(`parse` and `upsert` are opened by ProjectBatch through the Spans port). The batch span
*links* to the producer span of every record that carries a `traceparent`; each link holds the
record's orderId, eventId, sequence, partition and offset. One batch mixes records of many
traces, so it cannot be the child of all of them: instead every such record also gets a
`process` span that is a *child* of its producer's span (so it appears in the producer's trace,
under the same trace id), with the same attributes, lasting from the poll to the end of the
batch, and linking back to the batch span. Records without a `traceparent` appear only in the
batch span's attributes (partitions, offset ranges). The SDK keeps at most 128 links per span
unless OTEL_SPAN_LINK_COUNT_LIMIT says otherwise; the `process` spans are not limited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from loguru import logger
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanLimits
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, TracerProvider

from adapters.tracing.record_context import producer_context, record_attributes
from domain.records import RawRecord

_SCALARS = (str, bool, int, float)


class OtelSpans:
    """Implements the Spans port; `batch` is for the consumer loop."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer("streamview", tracer_provider=provider)
        # The SDK would drop links past its limit anyway; not building them saves the work.
        self._max_links = SpanLimits().max_links

    def span(self, name: str, **attributes: Any) -> AbstractContextManager[Span]:
        return self._tracer.start_as_current_span(name, attributes=span_attributes(attributes))

    @contextmanager
    def batch(
        self, records: Sequence[RawRecord], poll_started_ns: int | None = None
    ) -> Iterator[Span]:
        """The `batch` span around processing `records`; current inside the block.

        With `poll_started_ns` (time.time_ns() taken before the poll that returned `records`)
        the batch starts there and gets a `poll` child ending now, so an empty poll, which
        never opens a batch, leaves no span behind.
        """
        started = time.time_ns() if poll_started_ns is None else poll_started_ns
        traced = [t for t in map(_traced, records) if t is not None]
        links = [
            Link(trace.get_current_span(context).get_span_context(), attributes)
            for context, attributes in traced
        ][: self._max_links]
        with self._tracer.start_as_current_span(
            "batch", start_time=started, links=links, attributes=batch_attributes(records)
        ) as batch:
            if poll_started_ns is not None:
                self._tracer.start_span("poll", start_time=poll_started_ns).end()
            failed = False
            try:
                yield batch
            except Exception:
                failed = True
                raise
            finally:
                self._record_spans(batch, started, traced, failed)

    def _record_spans(
        self,
        batch: Span,
        started: int,
        traced: Sequence[tuple[Context, Mapping[str, str | int]]],
        failed: bool,
    ) -> None:
        back = [Link(batch.get_span_context())]
        ended = time.time_ns()
        for context, attributes in traced:
            span = self._tracer.start_span(
                "process",
                context=context,
                kind=SpanKind.CONSUMER,
                attributes=attributes,
                links=back,
                start_time=started,
            )
            if failed:
                span.set_status(Status(StatusCode.ERROR, "batch failed; it will be retried"))
            span.end(end_time=ended)


def _traced(record: RawRecord) -> tuple[Context, dict[str, str | int]] | None:
    """The producer's context of a record and what its spans say of it, or None: a record
    whose headers or body the tracing cannot read is processed untraced, never held back."""
    try:
        context = producer_context(record)
        return None if context is None else (context, record_attributes(record))
    except Exception as error:
        logger.bind(partition=record.partition, offset=record.offset).debug(
            "record left untraced: {!r}", error
        )
        return None


def batch_attributes(records: Sequence[RawRecord]) -> dict[str, Any]:
    ranges: dict[tuple[str, int], tuple[int, int]] = {}
    for r in records:
        low, high = ranges.get((r.topic, r.partition), (r.offset, r.offset))
        ranges[(r.topic, r.partition)] = (min(low, r.offset), max(high, r.offset))
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": ",".join(sorted({t for t, _ in ranges})),
        "messaging.batch.message_count": len(records),
        "partitions": sorted({p for _, p in ranges}),
        "offsets": [f"{p}:{low}-{high}" for (_, p), (low, high) in sorted(ranges.items())],
    }


def span_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """OpenTelemetry takes scalars or lists of them: drop None, stringify anything else."""
    clean: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if isinstance(value, _SCALARS):
            clean[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value):
            clean[key] = list(value)
        else:
            clean[key] = str(value)
    return clean
