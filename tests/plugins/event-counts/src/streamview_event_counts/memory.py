"""The view in memory (STREAMVIEW_BACKEND=memory): the same rows in a dict."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from streamview_event_counts.domain import EventCount
from streamview_event_counts.projecting import ProjectEventCounts


class MemoryEventCounts:
    """Implements EventCountReader; `part` makes the writes of one transaction."""

    def __init__(self) -> None:
        self.rows: dict[str, EventCount] = {}

    async def get(self, order_id: str) -> EventCount | None:
        return self.rows.get(order_id)

    def part(self, on_commit: Callable[[Callable[[], None]], None]) -> ProjectEventCounts:
        return ProjectEventCounts(_Writes(self.rows, on_commit))


class _Writes:
    """Held until the transaction commits: a failed batch leaves nothing."""

    def __init__(
        self, rows: dict[str, EventCount], on_commit: Callable[[Callable[[], None]], None]
    ) -> None:
        self._rows = rows
        self._on_commit = on_commit

    async def load(self, order_ids: Collection[str]) -> dict[str, EventCount]:
        return {o: self._rows[o] for o in order_ids if o in self._rows}

    async def save(self, counts: Sequence[EventCount]) -> None:
        def commit() -> None:
            for row in counts:
                known = self._rows.get(row.order_id)
                if known is None or known.last_event_sequence < row.last_event_sequence:
                    self._rows[row.order_id] = row

        self._on_commit(commit)
