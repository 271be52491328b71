"""`streamview` in a subprocess for tests: a free port, `serve` awaited until it answers, and a
stop that never leaves a process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping

import httpx
import pytest

STREAMVIEW = [sys.executable, "-m", "entrypoints"]  # `streamview` from this interpreter
IN_MEMORY = {"STREAMVIEW_BACKEND": "memory", "STREAMVIEW_LOG_LEVEL": "WARNING"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def streamview_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its STREAMVIEW_* variables, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMVIEW_")}
    return env | dict(settings)


def stop(process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `seconds`."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(
    *options: str,
    settings: Mapping[str, str],
    ready: str = "/health/live",
    seconds: float = 30,
) -> Iterator[str]:
    """`streamview serve` with these options and STREAMVIEW_* `settings` on a free port of
    127.0.0.1, once `ready` answers 200 (else the test fails with its stderr); its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*STREAMVIEW, "serve", "--host", "127.0.0.1", "--port", str(port), *options],
        env=streamview_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds  # a start-up bound, not a speed assertion
        while not _answers(f"{base}{ready}"):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)  # so that its stderr ends
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"`streamview serve` did not become ready: {stderr[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.TransportError:
        return False
