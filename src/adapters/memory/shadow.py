"""Shadow views in memory: a second MemoryViewStore that a rebuild fills, then swaps in.

The semantics of adapters/postgres/shadow.py and swap.py: the live store object stays the
one that readers and the live worker hold, and its tables become the shadow's in one step,
with the live positions and the rebuild's SUCCEEDED; a session that fails leaves it all as
it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from adapters.memory.outage import Switchable
from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.views import MemoryViewStore


class MemoryShadowViews(Switchable):
    """Implements ShadowViews; `shadow` is the store the rebuild's replay writes to."""

    service = "the in-memory view store"

    def __init__(
        self,
        live: MemoryViewStore,
        shadow: MemoryViewStore,
        log: MemoryRebuildLog,
        consumer_group: str,
        topic: str,
    ) -> None:
        self._live, self._shadow, self._log = live, shadow, log
        self._group, self._topic = consumer_group, topic
        self.exists = False  # whether there are shadow tables (between create and drop/swap)

    async def create(self) -> None:
        self._check_reachable()
        await self.drop()  # leftovers, and the replay positions with them
        self.exists = True

    async def complete(self) -> None:
        self._check_reachable()
        self._check_exists()  # nothing to index in memory

    async def drop(self) -> None:
        self._check_reachable()
        async with self._shadow.held():
            self._shadow.clear()
        self.exists = False

    async def clear_live(self) -> None:
        self._check_reachable()
        async with self._live.held():
            self._live.clear_views()
            self._live.put_positions(self._group, self._topic, {})

    @asynccontextmanager
    async def swap(self) -> AsyncIterator[MemorySwap]:
        self._check_reachable()
        async with self._live.held():  # as the swap's lock: no live transaction meanwhile
            session = MemorySwap(self)
            yield session
            if session.positions is not None:  # committed only when the session ends well
                self._swap_in(session.positions, session.rebuild_id)

    def _swap_in(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        self._check_exists()
        self._log.check_swapping(rebuild_id)
        self._live.take_views(self._shadow)
        self._live.put_positions(self._group, self._topic, positions)
        self._log.swapped(rebuild_id)
        self.exists = False

    def _check_exists(self) -> None:
        if not self.exists:
            raise RuntimeError("the shadow views do not exist (create them first)")


class MemorySwap:
    """Implements SwapSession: the swap is staged here and made when the session ends."""

    def __init__(self, views: MemoryShadowViews) -> None:
        self._views = views
        self.positions: dict[int, int] | None = None
        self.rebuild_id = ""

    async def live_positions(self) -> dict[int, int]:
        views = self._views
        return await views._live.positions(views._group, views._topic)

    async def swap(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        self._views._check_exists()
        self._views._log.check_swapping(rebuild_id)  # where the SQL's UPDATE finds no row
        self.positions, self.rebuild_id = dict(positions), rebuild_id
