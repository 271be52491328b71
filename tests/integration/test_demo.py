"""`make demo`'s path, headless and bounded: the API answers with demo data while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import jwt
import pytest

from tests.support.processes import free_port

DEMO_ORDERS = 300


def _wait_for_orders(base_url: str, demo: subprocess.Popen[str], deadline: float) -> dict:
    while time.monotonic() < deadline:
        assert demo.poll() is None, (
            f"demo exited early:\n{demo.stdout.read() if demo.stdout else ''}"
        )
        try:
            page = httpx.get(f"{base_url}/orders", params={"pageSize": 5}, timeout=2).json()
            if len(page.get("items", [])) == 5:
                return page
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("the demo's API never served 5 orders")


def test_demo_serves_its_orders_then_stops_everything(
    stack_endpoints, database_url: str, new_topic, registry_url: str
) -> None:
    topic, port = new_topic(6), free_port()
    secret = "demo-test-secret-of-at-least-thirty-two-bytes"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMVIEW_")} | {
        "STREAMVIEW_KAFKA_BOOTSTRAP": stack_endpoints.kafka_bootstrap,
        "STREAMVIEW_DATABASE_URL": database_url,
        "STREAMVIEW_TOPIC": topic,
        "STREAMVIEW_DLQ_TOPIC": f"{topic}.dlq",
        "STREAMVIEW_OPS_JWT_SECRET": secret,
        "STREAMVIEW_SCHEMA_REGISTRY_URL": registry_url,
    }
    command = [sys.executable, "-m", "entrypoints", "demo", "--use-existing"]
    command += ["--orders", str(DEMO_ORDERS), "--duration", "20", "--port", str(port)]
    demo = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        page = _wait_for_orders(base_url, demo, time.monotonic() + 120)
        assert all(item["orderId"].startswith(("ord-", "live")) for item in page["items"])

        detail = httpx.get(f"{base_url}/orders/ord-0000007", timeout=5)
        assert detail.status_code == 200
        assert detail.json()["items"][0]["lineNo"] == 1

        token = jwt.encode(
            {"roles": ["ops"], "exp": int(time.time()) + 60}, secret, algorithm="HS256"
        )
        lags = httpx.get(f"{base_url}/lags", headers={"Authorization": f"Bearer {token}"})
        assert lags.status_code == 200
        assert lags.json()["topic"] == topic
        assert len(lags.json()["partitions"]) == 6

        output, _ = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, output
    assert "StreamView is ready" in output
    assert "as bare JSON, registry-framed Avro and JSON Schema" in " ".join(output.split())
    assert f"curl -s 'http://localhost:{port}/orders?pageSize=3'" in output
    with pytest.raises(httpx.HTTPError):  # the service it started is gone
        httpx.get(f"{base_url}/health/live", timeout=2)
