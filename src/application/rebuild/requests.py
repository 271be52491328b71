"""Use cases of the rebuild endpoints and CLI: start one, see how it goes, cancel it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from application.errors import Conflict, NotFound
from application.rebuild.model import Rebuild, RebuildMode, RebuildState
from application.rebuild.ports import RebuildLog


class RebuildsDisabled(Conflict):
    pass


class RebuildRunning(Conflict):
    def __init__(self, running: Rebuild) -> None:
        super().__init__(
            f"rebuild {running.rebuild_id} is {running.state}: wait for it to finish, "
            f"or cancel it with DELETE /views/rebuild/{running.rebuild_id}"
        )
        self.rebuild = running


class StartRebuild:
    def __init__(
        self,
        log: RebuildLog,
        allowed: bool,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._log = log
        self._allowed = allowed
        self._new_id = new_id
        self._clock = clock

    async def __call__(self, mode: RebuildMode = RebuildMode.BLUE_GREEN) -> Rebuild:
        if not self._allowed:
            raise RebuildsDisabled("view rebuilds are disabled here (STREAMVIEW_ALLOW_REBUILD)")
        await self._log.expire_stale()  # a dead owner must not block rebuilds forever
        rebuild = Rebuild(rebuild_id=self._new_id(), mode=mode, requested_at=self._clock())
        running = await self._log.add(rebuild)
        if running is not None:
            raise RebuildRunning(running)
        return rebuild


class GetRebuild:
    def __init__(self, log: RebuildLog) -> None:
        self._log = log

    async def __call__(self, rebuild_id: str) -> Rebuild:
        await self._log.expire_stale()
        rebuild = await self._log.get(rebuild_id)
        if rebuild is None:
            raise NotFound(f"rebuild {rebuild_id!r} not found")
        return rebuild


class CancelRebuild:
    """Asks the worker to stop the rebuild; it drops the shadow tables and records CANCELLED."""

    def __init__(self, log: RebuildLog) -> None:
        self._log = log

    async def __call__(self, rebuild_id: str) -> Rebuild:
        rebuild = await self._log.request_cancel(rebuild_id)
        if rebuild is None:
            raise NotFound(f"rebuild {rebuild_id!r} not found")
        if rebuild.state is RebuildState.CANCELLED or rebuild.cancel_requested:
            return rebuild
        raise Conflict(f"rebuild {rebuild_id} is {rebuild.state}: it can no longer be cancelled")
