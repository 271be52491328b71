"""The consumer-state series and `/metrics` on a port of its own (`streamview consume`)."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics.prometheus import PrometheusMetrics
from adapters.metrics.server import metrics_served
from application.ports import ConsumerState, ConsumerStatus

pytestmark = pytest.mark.unit


class Status:
    state = ConsumerState.STARTING


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return samples(generate_latest(metrics.registry).decode())


def test_consumer_state_is_read_at_every_scrape() -> None:
    metrics, status = PrometheusMetrics(), Status()
    metrics.follow_state(status)

    def states() -> dict[str, float]:
        return {
            dict(labels)["state"]: value
            for (name, labels), value in scrape(metrics).items()
            if name == "streamview_consumer_state"
        }

    assert states() == {s.value: float(s == ConsumerState.STARTING) for s in ConsumerState}
    status.state = ConsumerState.PAUSED
    assert states()["PAUSED"] == 1.0
    assert sum(states().values()) == 1.0


def test_no_consumer_state_series_without_a_consumer() -> None:
    assert not any(name == "streamview_consumer_state" for name, _ in scrape(PrometheusMetrics()))


def test_stash_gauge_starts_from_the_store_count() -> None:
    metrics = PrometheusMetrics()
    metrics.stash_counted(7)
    assert scrape(metrics)[("streamview_stashed_events", ())] == 7.0


def test_metrics_are_served_on_their_own_port_until_the_block_ends() -> None:
    metrics = PrometheusMetrics()
    metrics.duplicates.inc(3)

    with metrics_served(metrics.registry, "127.0.0.1", 0) as port:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()

    assert samples(body)[("streamview_duplicates_total", ())] == 3.0
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    status: ConsumerStatus = Status()
    del status
