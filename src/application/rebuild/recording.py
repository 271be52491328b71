"""What a running rebuild leaves behind: its heartbeat and final state in the rebuild log, the
duration of its phases in the log output, and nothing at all in the live DLQ and metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from loguru import logger

from application.rebuild.model import RebuildState
from application.rebuild.ports import RebuildLog
from application.rebuild.replaying import RebuildRun
from domain.batch import BatchResult
from domain.records import Rejected

if TYPE_CHECKING:
    from loguru import Logger


class RunRecorder:
    def __init__(self, log: RebuildLog, heartbeat_seconds: float, attempts: int) -> None:
        self._log = log
        self._heartbeat_seconds = heartbeat_seconds
        self._attempts = attempts

    async def heartbeat(self, run: RebuildRun) -> None:
        """Every few moments: store the progress, learn of a cancel or a lost ownership."""
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                stored = await self._log.heartbeat(run.snapshot())
            except Exception as error:  # the replay meets the same outage and decides
                logger.warning("rebuild heartbeat failed: {}", error)
                continue
            if stored is None:
                run.lost = True
            elif stored.cancel_requested:
                run.cancel_requested = True

    async def end(self, run: RebuildRun, state: RebuildState, error: str | None = None) -> None:
        """Record how it ended; the store may be the very thing that failed, so insist a while
        (after that, the record expires as stale and says less)."""
        delay = 0.1
        for attempt in range(1, self._attempts + 1):
            try:
                await asyncio.shield(self._log.move(run.snapshot(), state, error))
                return
            except Exception as failure:
                logger.warning(
                    "could not record the rebuild as {} ({}): {}", state, attempt, failure
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class PhaseClock:
    """Logs how long each phase of a rebuild took (the figures to tune it by)."""

    def __init__(self, log: Logger) -> None:
        self._log = log
        self._mark = time.monotonic()

    def done(self, what: str, run: RebuildRun) -> None:
        now = time.monotonic()
        self._log.bind(seconds=round(now - self._mark, 2), replayed=run.events_replayed).info(
            "rebuild: {}", what
        )
        self._mark = now


class DiscardDeadLetters:
    """Implements DeadLetterSink for replays: the live worker published them the first time."""

    async def publish(self, letters: Sequence[Rejected]) -> None:
        return None


class DiscardMetrics:
    """Implements ProjectionMetrics for replays: the live counters count live traffic only."""

    def batch_projected(self, result: BatchResult, rejected: Sequence[Rejected]) -> None:
        return None

    def view_projected(self, view: str, seconds: float) -> None:
        return None

    def write_observed(self, seconds: float) -> None:
        return None

    def records_decoded(self, formats: Mapping[str, int]) -> None:
        return None
