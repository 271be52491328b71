"""Use case: consume the topic in batches and project each one, exactly once per event.

The position stored with the views (ViewStore) is the one that counts: every partition this
worker is given is sought to it before any of its records are projected, and again after a
database outage. Kafka's own committed offsets are only a copy for the standard tools, sent
in the background (BrokerCommits) rather than waited for after every batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Set
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import msgspec
from loguru import logger

from application.broker_commits import BrokerCommits
from application.ports import (
    BatchSpans,
    ConsumerState,
    RecordSource,
    ViewStore,
)
from application.projecting import Project
from domain.records import RawRecord


class WorkerStatus:
    """Implements ConsumerStatus: the worker's state, shared with the lag endpoint."""

    def __init__(self) -> None:
        self.state = ConsumerState.STARTING


class RebuildAwareStatus(WorkerStatus):
    """The worker's state as its consume loop sets it, read as REBUILDING while a rebuild
    holds the live worker (the loop keeps writing RUNNING underneath)."""

    def __init__(self) -> None:
        self.held = False
        super().__init__()

    @property
    def state(self) -> ConsumerState:
        if self.held and self._state not in (ConsumerState.STOPPED, ConsumerState.FAILED):
            return ConsumerState.REBUILDING
        return self._state

    @state.setter
    def state(self, state: ConsumerState) -> None:
        self._state = state


# The records of one batch (one database transaction) at most, unless
# STREAMVIEW_BATCH_MAX_RECORDS says otherwise; the one place this default is written.
BATCH_MAX_RECORDS = 2000


class ConsumeSettings(msgspec.Struct, frozen=True):
    consumer_group: str
    topic: str
    batch_max_records: int = BATCH_MAX_RECORDS
    batch_max_wait_ms: int = 100
    retry_initial_seconds: float = 0.2
    retry_max_seconds: float = 30.0


class ConsumeTopic:
    """The worker's loop; also the PartitionListener of its RecordSource."""

    def __init__(
        self,
        source: RecordSource,
        project: Project,
        store: ViewStore,
        status: WorkerStatus,
        settings: ConsumeSettings,
        is_transient: Callable[[Exception], bool],
        spans: BatchSpans | None = None,
    ) -> None:
        self._source = source
        self._spans = spans
        self._project = project
        self._store = store
        self._status = status
        self._settings = settings
        self._is_transient = is_transient  # an outage to wait out, rather than a bug
        # Held while partitions are positioned and while a batch is projected, never while
        # fetching: a revocation waits for the batch in flight, then takes the partitions away.
        self._lock = asyncio.Lock()
        self._placed: set[int] = set()  # sought to the stored position: safe to project
        self._unplaced: set[int] = set()  # assigned, paused until sought
        self._failures = 0
        self._commits = BrokerCommits(source.commit)

    async def partitions_revoked(self, partitions: Set[int]) -> None:
        async with self._lock:
            self._placed -= partitions
            self._unplaced -= partitions
            # The broker's copy goes out before the partitions do, as when it was sent inline.
            await self._commits.flush()

    async def partitions_assigned(self, partitions: Set[int]) -> None:
        async with self._lock:
            self._unplace(partitions)

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; a batch already started is finished first."""
        self._source.subscribe(self)
        try:
            while not stopping.is_set():
                try:
                    await self._step()
                except Exception as error:
                    if not self._is_transient(error):
                        raise
                    await self._back_off(error, stopping)
            await self._commits.flush()  # the final positions, for the tools
        except asyncio.CancelledError:  # abandoned: the transaction in flight rolled back
            self._status.state = ConsumerState.STOPPED
            raise
        except BaseException:
            self._status.state = ConsumerState.FAILED
            raise
        finally:
            self._commits.cancel()  # only left over when abandoned or failed
        self._status.state = ConsumerState.STOPPED

    async def _step(self) -> None:
        if self._unplaced:
            async with self._lock:
                await self._place()
        poll_started_ns = time.time_ns()
        records = await self._source.fetch(
            self._settings.batch_max_records, self._settings.batch_max_wait_ms
        )
        if not self._unplaced:
            self._status.state = ConsumerState.RUNNING
        if records:
            async with self._lock:
                await self._project_placed(records, poll_started_ns)

    async def _place(self) -> None:
        if not self._unplaced:  # revoked while this step waited for the lock
            return
        s = self._settings
        stored = await self._store.positions(s.consumer_group, s.topic)
        partitions = set(self._unplaced)
        await self._source.seek({p: stored.get(p) for p in partitions})
        self._source.resume(partitions)
        self._placed |= partitions
        self._unplaced -= partitions
        self._failures = 0
        logger.info("positioned partitions {} at {}", sorted(partitions), stored)

    async def _project_placed(self, records: list[RawRecord], poll_started_ns: int) -> None:
        # Records fetched before a rebalance or an outage belong to partitions that are (or
        # will be) sought again: dropping them here loses nothing.
        placed = [r for r in records if r.partition in self._placed]
        if not placed:
            return
        started = time.perf_counter()
        # One `batch` span: poll, then parse/upsert (ProjectBatch's spans), then commit: here
        # the hand-over of the positions to BrokerCommits, which sends them in the background.
        with self._span(placed, poll_started_ns):
            outcome = await self._project(placed)
            with self._span_of("commit", partitions=len(outcome.positions), background=True):
                self._commits.request(outcome.positions)
        self._failures = 0
        tally = outcome.result.tally
        logger.bind(
            records=len(placed),
            applied=tally.applied_total,
            duplicates=tally.duplicates,
            late=tally.late,
            gaps=tally.gaps,
            deadLetters=len(outcome.rejected),
            seconds=round(time.perf_counter() - started, 4),
        ).info("projected a batch of {} records", len(placed))

    async def _back_off(self, error: Exception, stopping: asyncio.Event) -> None:
        """Pause every partition, wait, then let the next step seek them to the stored position.

        Fetching goes on meanwhile (it returns nothing while paused): that keeps this worker
        a live member of its group, so its partitions are not handed to another one.
        """
        self._status.state = ConsumerState.PAUSED
        async with self._lock:
            self._unplace(self._placed)
        s = self._settings
        delay = min(s.retry_max_seconds, s.retry_initial_seconds * 2**self._failures)
        self._failures += 1
        logger.warning("consumer paused for {:.1f}s: {!r}", delay, error)
        deadline = time.monotonic() + delay
        while not stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                await self._source.fetch(1, max(1, int(min(left, 1.0) * 1000)))
            except Exception as fetch_error:
                if not self._is_transient(fetch_error):  # the broker may be the one that is down
                    raise
                await asyncio.sleep(min(left, 1.0))

    def _span(self, records: list[RawRecord], poll_started_ns: int) -> AbstractContextManager[Any]:
        return self._spans.batch(records, poll_started_ns) if self._spans else nullcontext()

    def _span_of(self, name: str, **attributes: Any) -> AbstractContextManager[Any]:
        return self._spans.span(name, **attributes) if self._spans else nullcontext()

    def _unplace(self, partitions: Collection[int]) -> None:
        partitions = set(partitions)
        self._source.pause(partitions)
        self._placed -= partitions
        self._unplaced |= partitions
