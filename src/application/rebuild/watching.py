"""The worker process's rebuild watcher: it polls the rebuild log, claims the requests and
runs them next to the live worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from loguru import logger

from application.rebuild.model import Rebuild, RebuildState
from application.rebuild.ports import RebuildLog


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
