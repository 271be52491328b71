"""`streamview serve`: uvicorn with several workers over `entrypoints.asgi:app_factory`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.unit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(*options: str) -> Iterator[str]:
    """`streamview serve --dev` over the in-memory store, with these options; its base URL."""
    port = free_port()
    env = {**os.environ, "STREAMVIEW_BACKEND": "memory", "STREAMVIEW_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "entrypoints", "serve", "--dev", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30  # a start-up bound, not a speed assertion
        while True:
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"`streamview serve` did not come up: {stderr[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def served() -> Iterator[str]:
    with serving("--workers", "2") as base:
        yield base


def test_serve_answers_the_api_the_schema_and_swagger(served):
    assert httpx.get(f"{served}/orders").json()["items"] == []
    assert httpx.get(f"{served}/schema/openapi.json").json()["openapi"].startswith("3.1")
    swagger = httpx.get(f"{served}/schema/swagger")
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()
    missing = httpx.get(f"{served}/orders/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
