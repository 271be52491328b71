"""The Litestar application: routes, dependencies, the ops guard, problems, metrics, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import PluginProtocol
from prometheus_client import CollectorRegistry, Histogram

from adapters.http.auth import OpsPolicy
from adapters.http.dependencies import use_cases as use_cases_of
from adapters.http.health import HealthController
from adapters.http.limits import HeaderLimits
from adapters.http.metrics import RequestMetrics, metrics_endpoint
from adapters.http.ops import OpsController
from adapters.http.orders import OrdersController
from adapters.http.problems import EXCEPTION_HANDLERS
from application.change_hub import ChangeHub
from application.freshness import ReadFreshness
from application.ops import ReportLag
from application.ports import ReadinessProbe
from application.queries import GetOrder, ListOrders

SCHEMA_PATH = "/schema"  # Swagger UI at /schema/swagger, the document at /schema/openapi.json
Lifespan = Callable[[Litestar], AbstractAsyncContextManager[Any]]
_NO_FEED = ReadFreshness(ChangeHub())


@dataclass(frozen=True)
class UseCases:
    """Zero-argument factories, resolved per request: the composition root decides lifetimes."""

    get_order: Callable[[], GetOrder]
    list_orders: Callable[[], ListOrders]
    report_lag: Callable[[], ReportLag]
    readiness_probes: Callable[[], Sequence[ReadinessProbe]]
    # Without a change feed (the in-memory backend, tests): waits only look once more at the end.
    read_freshness: Callable[[], ReadFreshness] = lambda: _NO_FEED


@dataclass(frozen=True)
class HttpMetrics:
    registry: CollectorRegistry
    requests: Histogram  # http_requests_duration_seconds{method,path,status}


def create_app(
    use_cases: UseCases,
    *,
    ops_policy: OpsPolicy,
    metrics: HttpMetrics | None = None,
    ops_controllers: Sequence[type[Controller]] = (),
    controllers: Sequence[type[Controller]] = (),
    view_routes: Sequence[Router] = (),
    lifespan: Sequence[Lifespan] = (),
    plugins: Sequence[PluginProtocol] = (),
    version: str = "0.1.0",
) -> Litestar:
    """`ops_controllers` are mounted next to OpsController behind the same OpsOnly guard;
    `controllers` are open routes of other adapters (change streams); `view_routes` are
    the plug-in views' routers, open like the orders' routes;
    `lifespan` context managers run around serving (pool, worker), in order; `plugins` are
    Litestar plugins chosen by the composition root (tracing)."""
    ops = Router(
        "/",
        route_handlers=[OpsController, *ops_controllers],
        guards=[ops_policy.guard],
        security=[{"opsBearer": []}],
    )
    handlers: list[Any] = [OrdersController, HealthController, *controllers, *view_routes, ops]
    if metrics is not None:
        handlers.append(metrics_endpoint(metrics.registry))
    app = Litestar(
        route_handlers=handlers,
        dependencies=use_cases_of(**vars(use_cases)),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[RequestMetrics(metrics.requests)] if metrics is not None else [],
        lifespan=list(lifespan),
        plugins=list(plugins),
        # Litestar's default would re-route the root logger to its own handler, undoing
        # entrypoints.logging (loguru, JSON); unhandled errors are logged in problems.py.
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title="StreamView",
            version=version,
            description="Order views materialized from the `orders.events` Kafka topic.",
            path=SCHEMA_PATH,
            render_plugins=[SwaggerRenderPlugin()],
            use_handler_docstrings=True,
            components=Components(
                security_schemes={
                    "opsBearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="JWT",
                        description="HS256/RS256 JWT with `exp` and `roles` containing `ops`",
                    )
                }
            ),
        ),
    )
    # Ahead of routing: every path, matched or not, is bounded.
    app.asgi_handler = HeaderLimits(app.asgi_handler)
    return app
