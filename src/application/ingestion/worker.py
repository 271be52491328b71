"""Use case: one run of the ingestion worker, from its start checks to a stop with grace.

Exit codes: 0 stopped on request, 1 failed (an error that waiting cannot cure, or a reason
not to start at all), 2 the database schema is not the one this build needs.

It closes only what it opened: the record source of this run. The process's clients (the
dead-letter producer, the end offsets) and pools are opened and closed by the process, and
outlive a worker that `streamview run` starts again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from loguru import logger

from application.consuming import ConsumeSettings, ConsumeTopic, WorkerStatus
from application.ingestion.checks import IsOutage, StartChecks, attempts
from application.ingestion.reports import WorkerReports
from application.ports import BatchSpans, ConsumerSource, ConsumerState, NewSource, ViewStore
from application.projecting import Project

EXIT_STOPPED, EXIT_FAILED, EXIT_SCHEMA = 0, 1, 2
# A batch still in flight this long after the stop request is abandoned: it rolls back.
SHUTDOWN_GRACE_SECONDS = 30.0

RebuildWatcher = Callable[[asyncio.Event], Coroutine[Any, Any, None]]  # runs until stopped


@dataclass(frozen=True)
class Consuming:
    """What the consume loop reads from and projects through."""

    settings: ConsumeSettings
    new_source: NewSource  # a new one at each start
    project: Project  # through the gate a rebuild can pause
    store: ViewStore
    status: WorkerStatus
    spans: BatchSpans | None = None


class IngestionWorker:
    """The consume loop with what it needs around it: the start checks, the lag refresh, the
    rebuild watcher and a clean stop."""

    def __init__(
        self,
        consuming: Consuming,
        checks: StartChecks,
        reports: WorkerReports,
        watch_rebuilds: RebuildWatcher,
        is_outage: IsOutage,  # what to wait out (entrypoints.wiring: the technologies' errors)
    ) -> None:
        self._consuming, self._checks, self._reports = consuming, checks, reports
        self._watch_rebuilds, self._is_outage = watch_rebuilds, is_outage

    async def run(self, stopping: asyncio.Event) -> int:
        """Consume until `stopping` is set; the exit code says why it ended."""
        problem = await self._checks.schema_problem(stopping)
        if problem is not None:
            logger.error("{}", problem)
            return EXIT_SCHEMA
        await self._checks.pool_answering()
        refusal = await self._checks.refusal()
        if refusal is not None:
            return await self._refuse(refusal)
        source = await self._started_source(stopping)
        if source is None:  # stopped before anything started
            return EXIT_STOPPED
        lag = asyncio.create_task(self._reports.refresh())
        try:
            return await self._consume(source, stopping)
        finally:
            lag.cancel()
            await self._reports.report_state()  # STOPPED or FAILED, for API-only processes
            await source.stop()  # leaves the group: its partitions move on at once
            logger.info("worker stopped")

    async def _consume(self, source: ConsumerSource, stopping: asyncio.Event) -> int:
        c = self._consuming
        loop = ConsumeTopic(
            source, c.project, c.store, c.status, c.settings, self._is_outage, spans=c.spans
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
        self._consuming.status.state = ConsumerState.FAILED
        await self._reports.report_state()
        return EXIT_FAILED

    async def _started_source(self, stopping: asyncio.Event) -> ConsumerSource | None:
        async for attempt in attempts(stopping):
            source = self._consuming.new_source()
            try:
                await source.start()
                return source
            except Exception as error:
                if not self._is_outage(error):
                    raise
                logger.warning("kafka unreachable (attempt {}): {!r}", attempt, error)
                await source.stop()
        return None
