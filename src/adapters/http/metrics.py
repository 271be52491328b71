"""`http_requests_duration_seconds{method,path,status}` for every routed request, and `/metrics`.

Litestar's PrometheusMiddleware names its histogram `<prefix>_request_duration_seconds` with
labels `status_code` and `app_name` in the global registry, so it cannot produce the CONTRACT §6
series; this small middleware records exactly that series into the service's registry.
"""

from __future__ import annotations

import time
from typing import Any, cast

from litestar import Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from adapters.http.limits import limits_spec


class RequestMetrics(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started, status = time.perf_counter(), 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        finally:
            # The route template, never the raw path: one series per endpoint, not per order.
            path = scope.get("path_template") or "unmatched"
            method = cast("HTTPScope", scope)["method"]  # `scopes` admits HTTP only
            self._histogram.labels(method, path, str(status)).observe(time.perf_counter() - started)


def metrics_endpoint(registry: CollectorRegistry) -> Any:
    @get(
        "/metrics",
        tags=("health",),
        media_type=CONTENT_TYPE_LATEST,
        sync_to_thread=False,
        responses=limits_spec(),
    )
    def metrics() -> Response[bytes]:
        """Prometheus text exposition of the service's metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
