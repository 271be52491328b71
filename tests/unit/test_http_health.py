"""Liveness, readiness over the configured probes, and the Prometheus endpoint."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from adapters.http import health
from application.ports import ReadinessProbe
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.support.events import order_log

pytestmark = pytest.mark.unit


class Probe:
    """A ReadinessProbe that says what it is told to say."""

    def __init__(self, name: str, problem: str | None = None, *, hang: bool = False) -> None:
        self.name = name
        self._problem = problem
        self._hang = hang

    async def problem(self) -> str | None:
        if self._hang:
            await asyncio.Event().wait()
        if self._problem == "raise":
            raise ConnectionRefusedError("connect call failed")
        return self._problem


def container_with(*probes: Probe) -> Container:
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    container.ops.readiness_probes.override(providers.Object(list(probes)))
    return container


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    container = container_with(Probe("postgres"), Probe("kafka"))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        yield client


async def test_live_is_200(client):
    response = await client.get("/health/live")
    assert response.status_code == 200 and response.json()["status"] == "live"


async def test_ready_when_every_probe_answers(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": [{"name": "postgres", "problem": None}, {"name": "kafka", "problem": None}],
    }


async def test_not_ready_is_a_503_problem_naming_what_is_not_ready(monkeypatch):
    monkeypatch.setattr(health, "PROBE_TIMEOUT_SECONDS", 0.05)
    container = container_with(
        Probe("postgres"),
        Probe("schema", "migration 0003 not applied"),
        Probe("kafka", "raise"),
        Probe("slow", hang=True),
    )
    async with AsyncTestClient(create_app_from_container(container)) as client:
        response = await client.get("/health/ready")
        assert (await client.get("/health/live")).status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    problems = {check["name"]: check["problem"] for check in body["checks"]}
    assert problems["postgres"] is None
    assert problems["schema"] == "migration 0003 not applied"
    assert problems["kafka"] == "the check failed (the service log says why)"
    assert "no answer within" in problems["slow"]
    assert all(name in body["detail"] for name in ("schema", "kafka", "slow"))
    assert "postgres" not in body["detail"]
    assert "connect call failed" not in response.text  # the exception's text stays in the log


async def test_a_redacted_probe_names_the_dependency_and_keeps_its_error_for_the_log():
    leaky = Probe("kafka", "kafka unreachable: KafkaConnectionError('10.1.2.3:9092 refused')")
    container = container_with(Probe("postgres"), health.RedactedProbe(leaky))  # type: ignore[arg-type]
    async with AsyncTestClient(create_app_from_container(container)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    problems = {check["name"]: check["problem"] for check in response.json()["checks"]}
    assert problems == {
        "postgres": None,
        "kafka": "unreachable or not usable (the service log says why)",
    }
    assert "10.1.2.3" not in response.text
    assert await health.RedactedProbe(Probe("kafka")).problem() is None


async def test_metrics_record_requests_by_route_template():
    container = container_with()
    await container.write_side.project_batch()(order_log("ord-1"))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        for path in ("/orders/ord-1", "/orders/ord-1", "/orders/missing", "/orders?page=0"):
            await client.get(path)
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = dict(
        re.findall(r"^http_requests_duration_seconds_count\{(.*)\} (\S+)$", response.text, re.M)
    )
    assert counts['method="GET",path="/orders/{orderId}",status="200"'] == "2.0"
    assert counts['method="GET",path="/orders/{orderId}",status="404"'] == "1.0"
    assert counts['method="GET",path="/orders",status="400"'] == "1.0"
    assert "streamview_events_total" in response.text  # the service's registry, not a new one


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    probe: ReadinessProbe = Probe("postgres")
    del probe
