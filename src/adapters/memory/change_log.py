"""The change log in memory: the semantics of `order_changes` in PostgreSQL, for one process.

Fed by MemoryViewStore's commit (the views the guard let through, as the SQL upsert logs
them), or by a test through `record`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from adapters.memory.outage import Switchable
from application.ports import Change, ChangeFilter, ChangePage
from domain.projection import OrderView


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryChangeLog(Switchable):
    """Implements ChangeLog. `clock` is the log's clock (a change's age is judged by it alone,
    as by the database's `now()`)."""

    service = "the in-memory change log"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self.clock = clock
        self._changes: list[tuple[Change, datetime]] = []  # in id order
        self._last_id = 0
        self._pruned_through = 0

    @property
    def last_id(self) -> int:
        """The highest id given so far (0: none)."""
        return self._last_id

    def record(self, views: Iterable[OrderView]) -> list[Change]:
        """Log the views one commit wrote: one change each, in order_id order (as the SQL
        inserts them), with the next ids."""
        now, logged = self.clock(), []
        for view in sorted(views, key=lambda v: v.order_id):
            self._last_id += 1
            logged.append(Change(self._last_id, view))
        self._changes += [(change, now) for change in logged]
        return logged

    def age(self, seconds: float) -> None:
        """Every change logged so far becomes `seconds` older (for the tests of pruning)."""
        by = timedelta(seconds=seconds)
        self._changes = [(change, at - by) for change, at in self._changes]

    async def page(self, after: int, until: int, filter_: ChangeFilter, limit: int) -> ChangePage:
        self._check_reachable()
        found = [
            change
            for change, _ in self._changes
            if after < change.change_id <= until and filter_.matches(change.view)
        ]
        return ChangePage(found[: max(limit, 0)], self._pruned_through, self._last_id)

    async def prune(self, older_than_seconds: float) -> int:
        self._check_reachable()
        cutoff = self.clock() - timedelta(seconds=older_than_seconds)
        gone = [change.change_id for change, at in self._changes if at < cutoff]
        self._changes = [(change, at) for change, at in self._changes if at >= cutoff]
        self._pruned_through = max(self._pruned_through, *gone, 0)
        return len(gone)
