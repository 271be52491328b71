"""Metrics of the change streams, the read-your-writes waiters and dead-letter redrives, in
the service's registry (not in CONTRACT §6: names of our own, all `streamview_`-prefixed)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class PrometheusLiveMetrics:
    """Implements LiveMetrics (application.change_stream) and the redrive counter."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.subscribers = Gauge(
            "streamview_change_subscribers", "Open change streams in this process", registry=r
        )
        self.dropped = Counter(
            "streamview_change_subscribers_dropped",
            "Change streams ended or refused: reason=slow (queue full), full (at the cap)",
            ["reason"],
            registry=r,
        )
        self.sent = Counter(
            "streamview_change_events_sent", "Change events written to streams", registry=r
        )
        self.waiters = Gauge(
            "streamview_read_waiters", "Reads waiting for minSequence/minPosition", registry=r
        )
        self.waits = Counter(
            "streamview_read_waits",
            "Reads that waited, by kind (sequence, position) and outcome (reached, timeout)",
            ["kind", "outcome"],
            registry=r,
        )
        self.redrives = Counter(
            "streamview_dlq_redrives",
            "Dead letters asked to be redriven, by outcome",
            ["outcome"],
            registry=r,
        )
        for reason in ("slow", "full"):
            self.dropped.labels(reason=reason)

    def subscribers_changed(self, count: int) -> None:
        self.subscribers.set(count)

    def subscriber_dropped(self, reason: str) -> None:
        self.dropped.labels(reason=reason).inc()

    def events_sent(self, count: int) -> None:
        self.sent.inc(count)

    def waiters_changed(self, count: int) -> None:
        self.waiters.set(count)

    def wait_ended(self, kind: str, outcome: str) -> None:
        self.waits.labels(kind=kind, outcome=outcome).inc()

    def redriven(self, outcome: str, count: int = 1) -> None:
        self.redrives.labels(outcome=outcome).inc(count)
