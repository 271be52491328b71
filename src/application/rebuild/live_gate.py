"""The gate in front of the live projection: a rebuild holds the live worker here, between
two batches of the worker's own process; after an in-place rebuild the worker's next batch is
turned back, so that it seeks to the positions the rebuilt views hold."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from application.consuming import RebuildAwareStatus
from application.errors import LiveViewsRewritten
from application.projecting import BatchOutcome, Project
from domain.records import RawRecord


class LiveGate:
    """Stands in front of the live worker's projection (it is the worker's `project`), so
    that a rebuild can hold the worker in this process; implements LiveWorker."""

    def __init__(self, project: Project, status: RebuildAwareStatus) -> None:
        self._project = project
        self._status = status
        self._lock = asyncio.Lock()  # held by each batch, and by a rebuild while it is paused
        self._reposition = False

    async def __call__(self, records: Sequence[RawRecord]) -> BatchOutcome:
        async with self._lock:
            if self._reposition:
                self._reposition = False
                raise LiveViewsRewritten("the views were rebuilt in place: seek to the positions")
            return await self._project(records)

    @contextlib.asynccontextmanager
    async def paused(self, reposition: bool = False) -> AsyncIterator[None]:
        async with self._lock:  # the batch in flight, if any, finishes first
            self._status.held = True
            try:
                yield
            finally:
                self._status.held = False
                self._reposition = self._reposition or reposition
