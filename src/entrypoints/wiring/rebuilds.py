"""View rebuilds: requested by the API or `streamview rebuild` (through the API's pool), run by
the worker process (through the worker's pool)."""

from __future__ import annotations

import functools

from dependency_injector import containers, providers

from adapters.kafka.replay import open_replay
from adapters.postgres.rebuilds import PostgresRebuildLog
from adapters.postgres.shadow import SHADOW, PostgresShadowViews
from adapters.postgres.store import PostgresViewStore
from application.rebuild.live_gate import LiveGate
from application.rebuild.ports import BulkReplay
from application.rebuild.recording import DiscardDeadLetters, DiscardMetrics
from application.rebuild.requests import CancelRebuild, GetRebuild, StartRebuild
from application.rebuild.runner import RebuildSettings, RunRebuild
from application.rebuild.watching import WatchRebuilds


class Rebuilds(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    infrastructure = providers.DependenciesContainer()
    write_side = providers.DependenciesContainer()

    # --- requests (API, CLI) ---------------------------------------------------------------
    api_rebuild_log = providers.Singleton(PostgresRebuildLog, infrastructure.api_pool)
    start_rebuild = providers.Factory(
        StartRebuild, log=api_rebuild_log, allowed=config.allow_rebuild
    )
    get_rebuild = providers.Factory(GetRebuild, log=api_rebuild_log)
    cancel_rebuild = providers.Factory(CancelRebuild, log=api_rebuild_log)

    # --- runs (the worker process) ---------------------------------------------------------
    rebuild_log = providers.Singleton(PostgresRebuildLog, infrastructure.postgres_pool)
    # The worker's projection goes through the gate, so that a rebuild can pause it.
    live_gate = providers.Singleton(
        LiveGate, project=write_side.project_batch, status=write_side.consumer_status
    )
    replay_group = providers.Callable("{}#rebuild".format, config.consumer_group)
    # A replay publishes no dead letter (the live worker did) and counts no live metric;
    # in-place rebuilds replay into the live tables with it.
    replay_projection = providers.Factory(
        write_side.project_batch,
        dead_letters=providers.Singleton(DiscardDeadLetters),
        metrics=providers.Singleton(DiscardMetrics),
    )
    # Where a blue/green rebuild replays to, and what swaps that in.
    shadow_store = providers.Singleton(PostgresViewStore, infrastructure.postgres_pool, SHADOW)
    shadow_views = providers.Singleton(
        PostgresShadowViews,
        infrastructure.postgres_pool,
        config.consumer_group,
        replay_group,
        config.topic,
    )
    shadow_projection = providers.Factory(
        replay_projection, store=shadow_store, consumer_group=replay_group
    )
    open_topic_replay = providers.Callable(
        functools.partial,
        open_replay,
        config.kafka_bootstrap,
        config.topic,
        security=infrastructure.kafka_security,
    )
    # The long first replay runs in a child process, off the API's and worker's loop
    # (entrypoints.replay_process; provided by entrypoints.bootstrap, which that child uses).
    bulk_replay: providers.Dependency[BulkReplay] = providers.Dependency()
    run_rebuild = providers.Factory(
        RunRebuild,
        log=rebuild_log,
        shadow=shadow_views,
        open_replay=open_topic_replay,
        project_shadow=shadow_projection,
        project_live=replay_projection,
        live_store=write_side.view_store,
        live_worker=live_gate,
        settings=providers.Factory(RebuildSettings, config.consumer_group, config.topic),
        bulk_replay=bulk_replay,
    )
    watch_rebuilds = providers.Factory(WatchRebuilds, log=rebuild_log, run=run_rebuild)
