"""The rebuild log in memory: the semantics of `view_rebuilds` in PostgreSQL, for one process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from msgspec.structs import replace

from adapters.memory.outage import Switchable
from application.rebuild.model import ACTIVE, TRANSITIONS, Rebuild, RebuildPhase, RebuildState


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryRebuildLog(Switchable):
    """Implements RebuildLog. `clock` is the store's clock (staleness is judged by it alone,
    as by the database's `now()`); `rows` are the records by id, to read."""

    service = "the in-memory rebuild log"

    def __init__(
        self,
        stale_after: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.rows: dict[str, Rebuild] = {}
        self.stale_after = stale_after
        self.clock = clock

    async def add(self, rebuild: Rebuild) -> Rebuild | None:
        self._check_reachable()
        active = [r for r in self.rows.values() if r.active]
        if active:
            return active[0]
        self.rows[rebuild.rebuild_id] = replace(rebuild, requested_at=self.clock())
        return None

    async def get(self, rebuild_id: str) -> Rebuild | None:
        self._check_reachable()
        return self.rows.get(rebuild_id)

    async def request_cancel(self, rebuild_id: str) -> Rebuild | None:
        self._check_reachable()
        row = self.rows.get(rebuild_id)
        if row is not None and row.state is RebuildState.RUNNING:
            if row.owner is None:  # nobody to tell: cancelled right here
                row = replace(row, state=RebuildState.CANCELLED, finished_at=self.clock())
            row = self.rows[rebuild_id] = replace(row, cancel_requested=True)
        return row

    async def expire_stale(self) -> None:
        self._check_reachable()
        now = self.clock()
        for row in list(self.rows.values()):
            if row.active and now - (row.updated_at or row.requested_at) > self.stale_after:
                why = (
                    "no worker claimed it"
                    if row.owner is None
                    else f"its worker {row.owner} stopped heartbeating"
                )
                self.rows[row.rebuild_id] = replace(
                    row, state=RebuildState.FAILED, error=why, finished_at=now
                )

    async def claim(self, owner: str) -> Rebuild | None:
        self._check_reachable()
        queued = [r for r in self.rows.values() if r.active and r.owner is None]
        if not queued:
            return None
        now = self.clock()
        row = min(queued, key=lambda r: r.requested_at)
        row = replace(
            row, owner=owner, phase=RebuildPhase.REPLAYING, started_at=now, updated_at=now
        )
        self.rows[row.rebuild_id] = row
        return row

    async def heartbeat(self, rebuild: Rebuild) -> Rebuild | None:
        self._check_reachable()
        row = self.rows.get(rebuild.rebuild_id)
        if row is None or row.state not in ACTIVE or row.owner != rebuild.owner:
            return None
        row = self.rows[row.rebuild_id] = replace(
            row,
            phase=rebuild.phase,
            events_replayed=rebuild.events_replayed,
            target_offsets=rebuild.target_offsets,
            updated_at=self.clock(),
        )
        return row

    async def move(self, rebuild: Rebuild, state: RebuildState, error: str | None = None) -> bool:
        self._check_reachable()
        row = self.rows.get(rebuild.rebuild_id)
        if row is None or row.owner != rebuild.owner or state not in TRANSITIONS[row.state]:
            return False
        if state is RebuildState.SWAPPING and row.cancel_requested:
            return False
        now = self.clock()
        self.rows[row.rebuild_id] = replace(
            row,
            state=state,
            phase=rebuild.phase,
            events_replayed=rebuild.events_replayed,
            target_offsets=rebuild.target_offsets,
            error=error,
            finished_at=None if state in ACTIVE else now,
            updated_at=now,
        )
        return True

    def check_swapping(self, rebuild_id: str) -> None:
        """The swap's check, as in its transaction: a rebuild expired or cancelled meanwhile
        is not swapped in."""
        row = self.rows.get(rebuild_id)
        if row is None or row.state is not RebuildState.SWAPPING:
            raise RuntimeError(f"rebuild {rebuild_id} is no longer SWAPPING; swap rolled back")

    def swapped(self, rebuild_id: str) -> None:
        """Record the rebuild SUCCEEDED, in the same step as the swap (check_swapping first)."""
        now = self.clock()
        self.rows[rebuild_id] = replace(
            self.rows[rebuild_id],
            state=RebuildState.SUCCEEDED,
            phase=RebuildPhase.DONE,
            finished_at=now,
            updated_at=now,
        )
