"""`streamview demo --in-memory`: no Kafka, no Postgres, and the API serves generated orders."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.unit


def test_in_memory_demo_serves_generated_orders() -> None:
    port = free_port()
    command = [sys.executable, "-m", "entrypoints", "demo", "--in-memory"]
    demo = subprocess.Popen(
        [*command, "--orders", "200", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, items = time.monotonic() + 60, []
        while time.monotonic() < deadline and len(items) < 5:
            assert demo.poll() is None, demo.stderr.read() if demo.stderr else ""
            try:
                url = f"http://127.0.0.1:{port}/orders"
                items = httpx.get(url, params={"pageSize": 5}, timeout=2).json()["items"]
            except httpx.HTTPError:
                time.sleep(0.3)
        assert len(items) == 5
        assert {item["status"] for item in items} <= {
            "CREATED",
            "PAID",
            "SHIPPED",
            "DELIVERED",
            "CANCELLED",
        }
        order = httpx.get(f"http://127.0.0.1:{port}/orders/{items[0]['orderId']}", timeout=2)
        assert order.json()["lineCount"] == len(order.json()["items"])
    finally:
        demo.terminate()
        demo.wait(timeout=10)
