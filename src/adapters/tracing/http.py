"""HTTP server spans through Litestar's own OpenTelemetry plugin, named by route template.

Litestar runs the plugin's middleware outside the router, where only the raw path is known
(`/orders/ord-123`, one span name per order). The route template is known once the request is
routed, so a small route-level middleware renames the current server span to
`GET /orders/{order_id}` and sets `http.route`. Use both: `Litestar(plugins=tracing_plugins(p))`.
"""

from __future__ import annotations

from typing import Any

from litestar.config.app import AppConfig
from litestar.middleware import ASGIMiddleware
from litestar.plugins import InitPlugin
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import TracerProvider

# Scrapes and probes every few seconds would drown the interesting spans.
UNTRACED_PATHS = ["^/metrics", "^/health/"]


def tracing_plugins(provider: TracerProvider | None) -> list[InitPlugin]:
    """Server spans for every request but scrapes and probes, named by route template."""
    return [opentelemetry_plugin(provider), RouteTemplateSpans()]


def opentelemetry_plugin(provider: TracerProvider | None) -> OpenTelemetryPlugin:
    return OpenTelemetryPlugin(
        OpenTelemetryConfig(
            tracer_provider=provider,
            scope_span_details_extractor=_method_only,
            exclude=UNTRACED_PATHS,
            exclude_spans=["receive", "send"],
        )
    )


def _method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The name before routing: the method alone, so unrouted 404s do not name spans by path."""
    return str(scope.get("method") or scope.get("type", "")), {}


class RouteTemplateSpans(InitPlugin):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.append(RouteTemplateSpanName())
        return app_config


class RouteTemplateSpanName(ASGIMiddleware):
    """Names the server span after the route template (the plugin only knows the raw path)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        template = scope.get("path_template")
        span = trace.get_current_span()
        if template and span.is_recording():
            method = scope.get("method")
            span.update_name(f"{method} {template}" if method else template)
            span.set_attribute(HTTP_ROUTE, template)
        await next_app(scope, receive, send)
