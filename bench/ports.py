"""Ports for the processes a benchmark starts: free ones, so that two runs (or a test run
beside a developer's) never fight over a fixed number."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
