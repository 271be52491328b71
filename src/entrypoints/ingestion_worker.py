"""The ingestion worker: the consume loop over Kafka and the view store, until told to stop.

Exit codes: 0 stopped on request, 1 failed (an error that waiting cannot cure), 2 the database
schema is not the one this build needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

import psycopg
from loguru import logger
from psycopg_pool import AsyncConnectionPool

from adapters.kafka.dead_letters import KafkaDeadLetters
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.source import KafkaRecordSource
from adapters.kafka.transient_errors import is_transient as kafka_is_transient
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.postgres.migrations import SchemaError, ViewSchema, check_schema
from application.consuming import ConsumeSettings, ConsumeTopic, WorkerStatus
from application.errors import LiveViewsRewritten
from application.ops import ReportLag
from application.ports import (
    BatchSpans,
    ConsumerState,
    ConsumerStates,
    RegistryUnavailable,
    ViewStore,
)
from application.projecting import Project
from entrypoints.worker_guards import WorkerGuards

EXIT_STOPPED, EXIT_FAILED, EXIT_SCHEMA = 0, 1, 2
# A batch still in flight this long after SIGTERM is abandoned: its transaction rolls back.
SHUTDOWN_GRACE_SECONDS = 30.0
# `streamview run` restarts a failed worker after 1 s, 2 s, 4 s ... up to a minute.
RESTART_FIRST_DELAY_SECONDS = 1.0
RESTART_MAX_DELAY_SECONDS = 60.0
REPORT_STATE_SECONDS = 5.0
POOL_WAIT_SECONDS = 30.0


async def run_restarting(
    new_worker: Callable[[], Worker],
    status: WorkerStatus,
    stopping: asyncio.Event,
    first_delay: float = RESTART_FIRST_DELAY_SECONDS,
    max_delay: float = RESTART_MAX_DELAY_SECONDS,
) -> int:
    """The worker of `streamview run`: after a failure it starts again, with a pause that
    doubles up to `max_delay` (back to `first_delay` once a run lasted `max_delay`), so the
    API of the same process goes on serving reads. Meanwhile the consumer's state is FAILED,
    in /lags and in /health/ready. A schema this build does not know still ends the process."""
    delay = first_delay
    while True:
        started = time.monotonic()
        try:
            code = await new_worker().run(stopping)
        except Exception:  # before the consume loop: it logs and returns EXIT_FAILED itself
            logger.exception("worker failed")
            code = EXIT_FAILED
        if code != EXIT_FAILED or stopping.is_set():
            return code
        status.state = ConsumerState.FAILED
        if time.monotonic() - started >= max_delay:
            delay = first_delay
        logger.bind(restartInSeconds=delay).error("worker failed; restarting in {:g}s", delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(max_delay, delay * 2)


def on_stop_signal(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, callback)


def is_outage(error: Exception) -> bool:
    """Failures to wait out: the broker, the database or the schema registry is unreachable or
    busy (or an in-place rebuild rewrote the positions: waiting means seeking to them again)."""
    return kafka_is_transient(error) or isinstance(
        error, psycopg.OperationalError | OSError | LiveViewsRewritten | RegistryUnavailable
    )


def member_id() -> str:
    """This worker among its group's in `consumer_states`: one row per process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """The consume loop with what it needs around it: the schema check, the start checks,
    the lag refresh, the rebuild watcher and a clean stop."""

    def __init__(
        self,
        *,
        settings: ConsumeSettings,
        database_url: str,
        pool: AsyncConnectionPool,
        new_source: Callable[[], KafkaRecordSource],
        project: Project,
        store: ViewStore,
        status: WorkerStatus,
        spans: BatchSpans,
        watch_rebuilds: Callable[[asyncio.Event], Coroutine[Any, Any, None]],  # until stopped
        report_lag: ReportLag,
        metrics: PrometheusMetrics,
        consumer_states: ConsumerStates,
        guards: WorkerGuards,
        dead_letters: KafkaDeadLetters,
        end_offsets: KafkaEndOffsets,
        lag_refresh_seconds: float,
        views: Sequence[ViewSchema] = (),
    ) -> None:
        """`views`: the tables of the enabled plug-in views, checked with the engine's."""
        self._settings, self._database_url, self._pool = settings, database_url, pool
        self._views = tuple(views)
        self._new_source, self._project, self._store = new_source, project, store
        self._status, self._spans, self._watch_rebuilds = status, spans, watch_rebuilds
        self._report_lag, self._metrics, self._states = report_lag, metrics, consumer_states
        self._guards, self._dead_letters, self._end_offsets = guards, dead_letters, end_offsets
        self._lag_refresh_seconds = lag_refresh_seconds
        # A missing ACL is waited for like an outage (and reported by name).
        self._is_outage = guards.outage_or_denial(is_outage)

    async def run(self, stopping: asyncio.Event) -> int:
        """Consume until `stopping` is set. The pool and the clients (dead letters, end
        offsets) are the process's: opened and closed by its resources
        (entrypoints.wiring.lifetimes), not by a run that `streamview run` starts again."""
        try:
            await self._check_schema(stopping)
            await self._pool_answering()
            refusal = await self._guards.start_refusal()
            if refusal is not None:
                return await self._refuse(refusal)
            source = await self._started_source(stopping)
        except SchemaError as error:
            logger.error("{}", error)
            return EXIT_SCHEMA
        if source is None:  # stopped before anything started
            return EXIT_STOPPED
        lag = asyncio.create_task(self._refresh_lag())
        try:
            return await self._consume(source, stopping)
        finally:
            lag.cancel()
            await self._report_state()  # STOPPED or FAILED, for /lags of API-only processes
            await source.stop()  # leaves the group: its partitions move on at once
            logger.info("worker stopped")

    async def _consume(self, source: KafkaRecordSource, stopping: asyncio.Event) -> int:
        loop = ConsumeTopic(
            source,
            self._project,  # through the gate a rebuild can pause
            self._store,
            self._status,
            self._settings,
            self._is_outage,
            spans=self._spans,
        )
        consuming = asyncio.create_task(loop.run(stopping))
        rebuilds = asyncio.create_task(self._watch_rebuilds(stopping))
        stop_requested = asyncio.create_task(stopping.wait())
        await asyncio.wait([consuming, stop_requested], return_when=asyncio.FIRST_COMPLETED)
        stop_requested.cancel()
        rebuilds.cancel()  # a rebuild under way is recorded FAILED and lets go of the worker
        try:
            await asyncio.wait_for(
                asyncio.gather(rebuilds, return_exceptions=True), SHUTDOWN_GRACE_SECONDS
            )
        except TimeoutError:
            logger.warning("a rebuild did not let go within {}s", SHUTDOWN_GRACE_SECONDS)
        try:
            await asyncio.wait_for(consuming, SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            logger.warning("abandoned the batch in flight after {}s", SHUTDOWN_GRACE_SECONDS)
        except Exception:
            logger.exception("worker failed")
            return EXIT_FAILED
        return EXIT_STOPPED

    async def _refuse(self, reason: str) -> int:
        logger.error("{}", reason)
        self._status.state = ConsumerState.FAILED
        await self._report_state()
        return EXIT_FAILED

    async def _check_schema(self, stopping: asyncio.Event) -> None:
        """Refuse to consume into a schema this build does not know; wait for the database."""
        async for attempt in _attempts(stopping):
            try:
                async with await psycopg.AsyncConnection.connect(self._database_url) as conn:
                    await check_schema(conn, self._views)
                return
            except psycopg.OperationalError as error:
                logger.warning("database unreachable (attempt {}): {}", attempt, error)

    async def _pool_answering(self) -> None:
        """Wait (up to POOL_WAIT_SECONDS) for a connection of the pool. Not `pool.wait()`: on
        a timeout it closes the pool for good (no restart could use it again), and after a
        long outage the pool has stopped connecting by itself, while asking it for a
        connection makes it connect again. A PoolTimeout fails this start; `streamview run`
        starts again after its backoff."""
        async with self._pool.connection(timeout=POOL_WAIT_SECONDS):
            pass

    async def _started_source(self, stopping: asyncio.Event) -> KafkaRecordSource | None:
        async for attempt in _attempts(stopping):
            source = self._new_source()
            try:
                await source.start()
                return source
            except Exception as error:
                if not self._is_outage(error):
                    raise
                logger.warning("kafka unreachable (attempt {}): {!r}", attempt, error)
                await source.stop()
        return None

    async def _refresh_lag(self) -> None:
        """Keep `kafka_consumer_lag` current, also while no record arrives; with it the state
        and the stash gauge (batches add their deltas to the count read here)."""
        report_lag, metrics, store = self._report_lag, self._metrics, self._store
        metrics.follow_state(self._status)
        every = self._lag_refresh_seconds
        while True:
            try:
                report = await report_lag()
                metrics.lag_observed(report.topic, {p.partition: p.lag for p in report.partitions})
                metrics.stash_counted(await store.stashed_count())
            except Exception as error:  # the next round will tell; the worker goes on
                logger.debug("lag refresh failed: {!r}", error)
            await self._report_state()
            await asyncio.sleep(every)

    async def _report_state(self) -> None:
        """Record this worker's state where API-only processes read it (best effort: with the
        database away, readers see the report age and call the group STOPPED)."""
        states, status = self._states, self._status
        try:
            async with asyncio.timeout(REPORT_STATE_SECONDS):
                await states.report(
                    self._settings.consumer_group, self._settings.topic, member_id(), status.state
                )
        except Exception as error:
            logger.debug("could not record the worker's state: {!r}", error)


async def _attempts(stopping: asyncio.Event, max_delay: float = 10.0) -> AsyncIterator[int]:
    """1, 2, 3, ... with a growing pause between them; ends early once `stopping` is set."""
    attempt, delay = 1, 0.2
    while not stopping.is_set():
        yield attempt
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        attempt, delay = attempt + 1, min(max_delay, delay * 2)
