"""The rebuild side of the worker process: a gate in front of the live projection, so that a
rebuild can hold the live worker in-process, and the loop that claims and runs requests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from loguru import logger

from application.consuming import RebuildAwareStatus
from application.errors import LiveViewsRewritten
from application.projecting import BatchOutcome, Project
from application.rebuild.model import Rebuild, RebuildState
from application.rebuild.ports import RebuildLog
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


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WatchRebuilds:
    """Polls the rebuild log: expires requests whose owner died, claims new ones and runs
    them one at a time in the background while the live worker goes on."""

    def __init__(
        self,
        log: RebuildLog,
        run: Callable[[Rebuild], Coroutine[Any, Any, RebuildState]],
        owner: str | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._log = log
        self._run = run
        self.owner = owner or worker_identity()
        self._poll_seconds = poll_seconds

    async def __call__(self, stopping: asyncio.Event) -> None:
        running: asyncio.Task[RebuildState] | None = None
        try:
            while not stopping.is_set():
                if running is None or running.done():
                    running = await self._claim()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self._poll_seconds)
        finally:
            if running is not None and not running.done():
                running.cancel()  # recorded FAILED, shadow tables dropped, live worker resumed
                await asyncio.gather(running, return_exceptions=True)

    async def _claim(self) -> asyncio.Task[RebuildState] | None:
        try:
            await self._log.expire_stale()
            rebuild = await self._log.claim(self.owner)
        except Exception as error:  # the store is unavailable: the next poll tries again
            logger.warning("could not poll for rebuild requests: {}", error)
            return None
        if rebuild is None:
            return None
        logger.bind(rebuildId=rebuild.rebuild_id, mode=rebuild.mode.value).info("rebuild claimed")
        return asyncio.create_task(self._run(rebuild), name=f"rebuild-{rebuild.rebuild_id}")
