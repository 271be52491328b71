"""`streamview serve` stops on SIGTERM although change streams never finish by themselves: past
the grace period (the longest read wait, and a little) the streams are ended."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable

import httpx

from tests.integration.conftest import StackEndpoints
from tests.integration.worker_support import migrated, worker_env, worker_settings
from tests.support.processes import STREAMVIEW, free_port


def test_serve_stops_with_streams_open(
    stack_endpoints: StackEndpoints, database_url: str, new_topic: Callable[..., str]
) -> None:
    asyncio.run(migrated(database_url))
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, new_topic(), "g", read_wait_max_ms=1000
    )
    port = free_port()
    command = [*STREAMVIEW, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=worker_env(settings), stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a start-up bound, not a speed assertion
        while True:  # up, and its change feed too (streams answer 503 until then)
            try:
                if "streamview-position" in httpx.get(f"{base}/orders").headers:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        with httpx.Client(timeout=60) as http, http.stream("GET", f"{base}/changes/orders") as r:
            assert next(r.iter_lines()) == "retry: 2000"
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)  # raises TimeoutExpired if the open stream held it
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
