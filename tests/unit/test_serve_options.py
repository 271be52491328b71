"""`streamview serve` serving options: no access log unless asked, uvloop and httptools."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from entrypoints.serving import event_loop_factory, http_parser, loop_name
from tests.support.processes import free_port

pytestmark = pytest.mark.unit


def serve_and_log(*options: str) -> str:
    """stderr of a `serve` process at INFO that answered two requests."""
    port = free_port()
    env = {**os.environ, "STREAMVIEW_BACKEND": "memory", "STREAMVIEW_LOG_LEVEL": "INFO"}
    env["STREAMVIEW_DEV_MODE"] = "true"
    command = [sys.executable, "-m", "entrypoints", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30  # a start-up bound, not a speed assertion
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/orders/o-1", timeout=1).status_code == 404:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/orders", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert "Application startup complete" in stderr  # INFO lines are written
    return stderr


def test_requests_are_not_logged_one_by_one_by_default():
    assert '"GET /orders HTTP/1.1" 200' not in serve_and_log()


def test_access_log_on_request():
    assert '"GET /orders HTTP/1.1" 200' in serve_and_log("--access-log")


def test_auto_picks_the_c_loop_and_parser_when_installed():
    pytest.importorskip("uvloop")
    pytest.importorskip("httptools")
    assert (loop_name("auto"), http_parser("auto")) == ("uvloop", "httptools")
    loop = event_loop_factory("auto")()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    assert (loop_name("asyncio"), http_parser("h11")) == ("asyncio", "h11")
