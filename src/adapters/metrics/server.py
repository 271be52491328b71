"""`/metrics` on a port of its own, for a process without the HTTP API (`streamview consume`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, start_http_server


@contextmanager
def metrics_served(registry: CollectorRegistry, host: str, port: int) -> Iterator[int]:
    """Serve `registry` at http://host:port/metrics from a daemon thread; yields the port.

    Port 0 picks a free one. The server stops when the block ends.
    """
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
