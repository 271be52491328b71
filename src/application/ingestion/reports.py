"""What the worker says of itself while it runs: the lag, the stash's size and its state, in
the metrics and where API-only processes read it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable

from loguru import logger

from application.consuming import ConsumeSettings
from application.ops import LagReport
from application.ports import ConsumerStates, ConsumerStatus, ViewStore, WorkerMetrics

REPORT_STATE_SECONDS = 5.0


def member_id() -> str:
    """This worker among its group's in `consumer_states`: one row per process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerReports:
    def __init__(
        self,
        *,
        report_lag: Callable[[], Awaitable[LagReport]],
        metrics: WorkerMetrics,
        states: ConsumerStates,
        status: ConsumerStatus,
        store: ViewStore,
        settings: ConsumeSettings,
        every_seconds: float,
    ) -> None:
        self._report_lag, self._metrics, self._states = report_lag, metrics, states
        self._status, self._store, self._settings = status, store, settings
        self._every = every_seconds

    async def refresh(self) -> None:
        """Until cancelled: keep `kafka_consumer_lag` current, also while no record arrives;
        with it the state and the stash gauge (batches add their deltas to the count read
        here)."""
        metrics = self._metrics
        metrics.follow_state(self._status)
        while True:
            try:
                report = await self._report_lag()
                metrics.lag_observed(report.topic, {p.partition: p.lag for p in report.partitions})
                metrics.stash_counted(await self._store.stashed_count())
            except Exception as error:  # the next round will tell; the worker goes on
                logger.debug("lag refresh failed: {!r}", error)
            await self.report_state()
            await asyncio.sleep(self._every)

    async def report_state(self) -> None:
        """Record this worker's state where API-only processes read it (best effort: with
        the database away, readers see the report age and call the group STOPPED)."""
        settings = self._settings
        try:
            async with asyncio.timeout(REPORT_STATE_SECONDS):
                await self._states.report(
                    settings.consumer_group, settings.topic, member_id(), self._status.state
                )
        except Exception as error:
            logger.debug("could not record the worker's state: {!r}", error)
