"""Use case of the view's read side: what its route calls."""

from __future__ import annotations

from streamview_event_counts.domain import EventCount
from streamview_event_counts.ports import EventCountReader


class GetEventCount:
    def __init__(self, reader: EventCountReader) -> None:
        self._reader = reader

    async def __call__(self, order_id: str) -> EventCount | None:
        return await self._reader.get(order_id)
