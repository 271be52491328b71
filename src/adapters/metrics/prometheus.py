"""The metrics of CONTRACT §6, with exactly those names and labels, in one registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from application.ports import ConsumerState, ConsumerStatus
from domain.batch import BatchResult
from domain.records import Rejected

# `*_created` series double the output and nobody graphs them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client: untyped

_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class PrometheusMetrics:
    """Implements ProjectionMetrics; also holds the lag gauge and the HTTP histogram."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.consumer_lag = Gauge(
            "kafka_consumer_lag", "Records behind the log end", ["topic", "partition"], registry=r
        )
        self.events = Counter("streamview_events", "Applied events", ["type"], registry=r)
        self.duplicates = Counter("streamview_duplicates", "Duplicate events", registry=r)
        self.decoded = Counter(
            "streamview_records_decoded",
            "Records accepted by the decoder, by wire format (json, avro, json-schema)",
            ["format"],
            registry=r,
        )
        self.out_of_order = Counter(
            "streamview_out_of_order", "Late or gapped events", ["kind"], registry=r
        )
        self.dead_letters = Counter(
            "streamview_dlq", "Records sent to the DLQ", ["reason"], registry=r
        )
        # Not in CONTRACT §6: dead letters the DLQ topic refused for good (logged with their
        # source coordinates); any at all deserves a look.
        self.dlq_publish_failures = Counter(
            "streamview_dlq_publish_failures",
            "Dead letters the DLQ topic refused for good (logged with their coordinates)",
            registry=r,
        )
        self.stashed = Gauge("streamview_stashed_events", "Events waiting for a gap", registry=r)
        self.upserts = Histogram(
            "streamview_upserts_duration_seconds",
            "Duration of one database write batch",
            buckets=_WRITE_BUCKETS,
            registry=r,
        )
        # Not in CONTRACT §6: each plug-in view's share of a batch's transaction.
        self.view_projections = Histogram(
            "streamview_view_projection_duration_seconds",
            "Duration of one plug-in view's part of a database write batch",
            ["view"],
            buckets=_WRITE_BUCKETS,
            registry=r,
        )
        self.http_requests = Histogram(
            "http_requests_duration_seconds",
            "HTTP request duration",
            ["method", "path", "status"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        # Not in CONTRACT §6 but needed by the "consumer not RUNNING" alert: 1 for the
        # current state, 0 for the others; no series in a process without a consumer.
        self.consumer_state = Gauge(
            "streamview_consumer_state", "1 for the consumer's current state", ["state"], registry=r
        )
        for kind in ("late", "gap"):
            self.out_of_order.labels(kind=kind)
        # Not in CONTRACT §6: records the broker deleted before they were consumed.
        self.lost = Counter(
            "streamview_records_lost",
            "Records deleted by the broker before they were consumed",
            ["partition"],
            registry=r,
        )

    def batch_projected(self, result: BatchResult, rejected: Sequence[Rejected]) -> None:
        tally = result.tally
        for event_type, count in tally.applied.items():
            self.events.labels(type=event_type).inc(count)
        if tally.duplicates:
            self.duplicates.inc(tally.duplicates)
        if tally.late:
            self.out_of_order.labels(kind="late").inc(tally.late)
        if tally.gaps:
            self.out_of_order.labels(kind="gap").inc(tally.gaps)
        for letter in rejected:
            self.dead_letters.labels(reason=letter.reason.value).inc()
        self.stashed.inc(result.stash_delta)

    def dead_letter_lost(self) -> None:
        self.dlq_publish_failures.inc()

    def records_decoded(self, formats: Mapping[str, int]) -> None:
        for wire_format, count in formats.items():
            self.decoded.labels(format=wire_format).inc(count)

    def write_observed(self, seconds: float) -> None:
        self.upserts.observe(seconds)

    def view_projected(self, view: str, seconds: float) -> None:
        self.view_projections.labels(view=view).observe(seconds)

    def follow_state(self, status: ConsumerStatus) -> None:
        """Report `status.state` at every scrape: read when scraped, it is never stale."""
        for known in ConsumerState:
            self.consumer_state.labels(state=known.value).set_function(_is_in(status, known))

    def stash_counted(self, count: int) -> None:
        """Set the stash gauge from the store, e.g. at start: `batch_projected` adds deltas."""
        self.stashed.set(count)

    def records_lost(self, partition: int, count: int) -> None:
        """Implements LossMetric."""
        self.lost.labels(partition=str(partition)).inc(count)

    def lag_observed(self, topic: str, lags: dict[int, int]) -> None:
        for partition, lag in lags.items():
            self.consumer_lag.labels(topic=topic, partition=str(partition)).set(lag)


def _is_in(status: ConsumerStatus, state: ConsumerState) -> Callable[[], float]:
    return lambda: 1.0 if status.state == state else 0.0
