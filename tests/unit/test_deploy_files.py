"""The deployment files parse, fit together, and only query metrics the service exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics_core import Metric

from adapters.metrics.live import PrometheusLiveMetrics
from adapters.metrics.prometheus import PrometheusMetrics

pytestmark = pytest.mark.unit

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"

# Series that Prometheus itself makes for every scrape target, not the service.
SCRAPE_SERIES = {"up"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
PROMQL_WORDS |= {"and", "or", "unless", "offset", "inf", "nan"}
_SAMPLE_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def exposed_metric_names() -> set[str]:
    """Every series name PrometheusMetrics' registry can expose, from the metric families."""
    registry = PrometheusMetrics().registry
    PrometheusLiveMetrics(registry)  # the container registers both on one registry
    families: list[Metric] = list(registry.collect())
    return {
        family.name + suffix
        for family in families
        for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",))
    }


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (strings, matchers, ranges, lists dropped)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    tokens = re.finditer(r"(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?", expr)
    return {m[1] for m in tokens if not m[2] and m[1].lower() not in PROMQL_WORDS}


def dashboard_exprs() -> list[str]:
    exprs = []
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [target["expr"] for target in panel.get("targets", [])]
    return exprs


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_metric_name_extraction_sees_through_promql() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, path) (rate(http_requests_duration_seconds_bucket"
        '{status=~"5..", path="/orders"}[$__rate_interval]))) / on(job) up'
    )
    assert metric_names(expr) == {"http_requests_duration_seconds_bucket", "up"}


def test_exposed_names_come_from_the_registry() -> None:
    names = exposed_metric_names()
    assert {"streamview_events_total", "kafka_consumer_lag", "streamview_stashed_events"} <= names
    assert "streamview_upserts_duration_seconds_bucket" in names
    assert "streamview_consumer_state" in names


def test_dashboard_queries_only_use_exposed_metrics() -> None:
    exprs = dashboard_exprs()
    used = set().union(*(metric_names(e) for e in exprs))
    assert used - exposed_metric_names() == set()
    # Every panel the operators asked for is there.
    assert {
        "kafka_consumer_lag",
        "streamview_events_total",
        "streamview_duplicates_total",
        "streamview_out_of_order_total",
        "streamview_dlq_total",
        "streamview_upserts_duration_seconds_bucket",
        "http_requests_duration_seconds_bucket",
        "http_requests_duration_seconds_count",
        "streamview_change_subscribers",
        "streamview_read_waits_total",
        "streamview_dlq_redrives_total",
    } <= used


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    datasources = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yaml")
    uids = {source["uid"] for source in datasources["datasources"]}
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in uids, panel["title"]


def test_alerts_only_use_exposed_metrics() -> None:
    rules = alert_rules()
    assert {r["alert"] for r in rules} >= {
        "StreamViewLagGrowing",
        "StreamViewDeadLetters",
        "StreamViewDeadLettersLost",
        "StreamViewConsumerNotRunning",
    }
    used = set().union(*(metric_names(rule["expr"]) for rule in rules))
    assert used - exposed_metric_names() - SCRAPE_SERIES == set()


def test_prometheus_scrapes_streamview_and_loads_the_alerts() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["streamview"]["static_configs"][0]["targets"] == ["streamview:8080"]


def test_compose_wires_the_stack() -> None:
    services = load_yaml(DEPLOY / "compose.yaml")["services"]
    assert {"redpanda", "postgres", "jaeger", "prometheus", "grafana", "streamview"} <= set(
        services
    )
    published = {
        port.split(":")[0] for service in services.values() for port in service.get("ports", [])
    }
    assert {"8080", "5432", "9092", "8081", "16686"} <= published
    assert services["postgres"]["image"].startswith("postgres:16")
    streamview = services["streamview"]
    assert streamview["build"]["dockerfile"] == "deploy/Dockerfile"
    env = streamview["environment"]
    assert {"STREAMVIEW_KAFKA_BOOTSTRAP", "STREAMVIEW_DATABASE_URL"} <= set(env)
    # `streamview run` starts only with secrets of its own, or in development mode.
    secrets = {"STREAMVIEW_OPS_JWT_SECRET", "STREAMVIEW_CURSOR_SECRET"}
    assert str(env.get("STREAMVIEW_DEV_MODE")).lower() == "true" or secrets <= set(env)
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
    assert "streamview migrate && exec streamview run" in streamview["command"][-1]


def test_compose_mounts_files_that_exist() -> None:
    services = load_yaml(DEPLOY / "compose.yaml")["services"]
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), source


def test_dockerfile_installs_the_project_as_a_non_root_user() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    assert "FROM python:3.11-slim" in lines
    assert any(re.search(r"pip install \.", line) for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}


PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus)"
)


@needs_promtool
@pytest.mark.parametrize(
    "args",
    [("check", "config", "prometheus.yml"), ("test", "rules", "alerts.test.yml")],
    ids=["check-config-and-rules", "alert-unit-tests"],
)
def test_promtool_accepts(args: tuple[str, ...]) -> None:
    done = subprocess.run(
        [str(PROMTOOL), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
