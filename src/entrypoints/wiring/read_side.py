"""The read side: the API's store and queries over the API's pool, and read-your-writes and
change streams (one change feed, a single LISTEN connection, per process)."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.http.changes import render_change
from adapters.metrics.live import PrometheusLiveMetrics
from adapters.postgres.change_log import PostgresChangeLog
from adapters.postgres.notifications import PostgresChangeFeed
from adapters.postgres.store import PostgresViewStore
from application.change_hub import ChangeHub
from application.change_stream import OpenChangeStream
from application.cursors import CursorCodec
from application.freshness import ReadFreshness
from application.queries import GetOrder, ListOrders
from entrypoints.api_secrets import missing_message, variable
from entrypoints.settings import SettingsError
from entrypoints.views import ReadContext, postgres_routes
from entrypoints.wiring.infrastructure import same
from entrypoints.wiring.lifetimes import ServerResource, started


def _cursor_codec(secret: str | None) -> CursorCodec:
    if secret is None:
        raise SettingsError(missing_message([variable("cursor_secret")]))
    return CursorCodec(secret.encode())


class ReadSide(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    infrastructure = providers.DependenciesContainer()

    api_store = providers.Singleton(PostgresViewStore, infrastructure.api_pool)
    order_reader = providers.Singleton(same, api_store)
    cursor_codec = providers.Singleton(_cursor_codec, config.cursor_secret)
    get_order = providers.Factory(GetOrder, reader=order_reader)
    list_orders = providers.Factory(ListOrders, reader=order_reader, cursors=cursor_codec)
    # The enabled plug-in views' routers (controllers with their dependencies).
    view_routes = providers.Singleton(
        postgres_routes,
        infrastructure.views,
        providers.Factory(ReadContext, infrastructure.api_pool, cursor_codec),
    )

    # --- read-your-writes and change streams ---------------------------------------------
    live_metrics = providers.Singleton(
        PrometheusLiveMetrics,
        providers.Callable(lambda metrics: metrics.registry, infrastructure.prometheus_metrics),
    )
    change_hub = providers.Singleton(
        ChangeHub,
        max_subscribers=config.change_subscribers_max,
        max_queued=config.change_queue_max,
        max_waiters=config.read_waiters_max,
        render=render_change,
        metrics=live_metrics,
    )
    change_log = providers.Singleton(PostgresChangeLog, infrastructure.api_pool)
    # Running while a process serves the API (after its pool opened, until before it closes).
    change_feed = providers.Singleton(
        PostgresChangeFeed,
        config.database_url,
        change_hub,
        config.consumer_group,
        config.topic,
        log=change_log,
        retention_seconds=config.change_retention_s,
    )
    change_feed_running = ServerResource(started, change_feed)  # reconnects by itself
    read_freshness = providers.Singleton(
        ReadFreshness,
        change_hub,
        max_wait_seconds=providers.Callable(lambda ms: ms / 1000, config.read_wait_max_ms),
    )
    open_change_stream = providers.Factory(
        OpenChangeStream,
        change_hub,
        change_log,
        heartbeat_seconds=providers.Callable(lambda ms: ms / 1000, config.change_heartbeat_ms),
    )
