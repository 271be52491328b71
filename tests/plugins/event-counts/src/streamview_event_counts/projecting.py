"""The view's part of each projection transaction (application.ports.ViewPart)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.records import Envelope
from streamview_event_counts.domain import count
from streamview_event_counts.ports import EventCountWrites


class ProjectEventCounts:
    def __init__(self, writes: EventCountWrites) -> None:
        self._writes = writes

    async def project(self, applied: Sequence[Envelope]) -> None:
        if not applied:
            return
        rows = await self._writes.load({e.key for e in applied})
        for envelope in applied:
            rows[envelope.key] = count(rows.get(envelope.key), envelope.event, envelope.sequence)
        await self._writes.save([rows[key] for key in sorted(rows)])
