"""What the view needs of its storage: its rows, inside the batch's transaction, and reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from streamview_event_counts.domain import EventCount


class EventCountWrites(Protocol):
    async def load(self, order_ids: Collection[str]) -> dict[str, EventCount]: ...

    async def save(self, counts: Sequence[EventCount]) -> None:
        """Store the rows; a row only moves forwards (its last sequence grows)."""
        ...


class EventCountReader(Protocol):
    async def get(self, order_id: str) -> EventCount | None: ...
