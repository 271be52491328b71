"""The contract of the ShadowViews port (and its SwapSession): every adapter passes it unchanged.

Subclass `ShadowViewsContract` (in a `test_*.py` module) and provide a fixture `world`: a
`ShadowWorld` over empty stores, for consumer group GROUP and topic TOPIC, whose shadow views'
replay writes as REPLAY_GROUP. Subclass `ShadowViewsOutageContract` and provide a fixture
`unreachable`: shadow views whose store cannot be reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pytest

from application.errors import Unavailable
from application.ports import BatchWrite, Position, ProjectionTransaction
from application.rebuild.model import RebuildPhase, RebuildState
from application.rebuild.ports import RebuildLog, ShadowViews
from domain.batch import BatchResult, apply_batch
from domain.records import Envelope
from tests.contracts.rebuild_log import claimed
from tests.contracts.view_store_data import created, status_changed

GROUP, REPLAY_GROUP, TOPIC = "streamview-orders", "streamview-orders#rebuild", "orders.events"


class ShadowWorld(NamedTuple):
    shadow: ShadowViews
    live: Any  # ViewStore and OrderReader over the live views
    shadow_store: Any  # ViewStore and OrderReader over the shadow views
    log: RebuildLog  # the one the swap records SUCCEEDED in


async def write(
    store: Any, orders: Sequence[str], group: str, positions: Mapping[int, int]
) -> None:
    await write_events(store, [created(o, 1, "10.00", "0") for o in orders], group, positions)


async def write_events(
    store: Any, envelopes: Sequence[Envelope], group: str, positions: Mapping[int, int]
) -> None:
    at = tuple(Position(TOPIC, p, n) for p, n in positions.items())

    async def work(tx: ProjectionTransaction) -> BatchResult:
        result = apply_batch(await tx.load({e.order_id for e in envelopes}), envelopes)
        await tx.save(BatchWrite(group, result, at))
        return result

    await store.in_transaction(work)


async def orders_in(store: Any, *order_ids: str) -> list[str]:
    return [o for o in order_ids if await store.get_order(o) is not None]


async def filled(w: ShadowWorld) -> None:
    """Live views with `old-1` at {0: 3}; shadow views with `new-1`, `new-2` replayed."""
    await write(w.live, ["old-1"], GROUP, {0: 3})
    await w.shadow.create()
    await write(w.shadow_store, ["new-1", "new-2"], REPLAY_GROUP, {0: 4, 1: 2})
    await w.shadow.complete()


async def swapping(log: RebuildLog, rebuild_id: str = "r1") -> None:
    assert await log.move(await claimed(log, rebuild_id), RebuildState.SWAPPING)


class ShadowViewsContract:
    async def test_a_swap_makes_the_shadow_views_live_with_the_given_positions(
        self, world: ShadowWorld
    ) -> None:
        await filled(world)
        await swapping(world.log)

        async with world.shadow.swap() as session:
            assert await session.live_positions() == {0: 3}
            await session.swap({0: 5, 1: 2}, "r1")

        assert await orders_in(world.live, "old-1", "new-1", "new-2") == ["new-1", "new-2"]
        assert await world.live.positions(GROUP, TOPIC) == {0: 5, 1: 2}
        assert await world.shadow_store.positions(REPLAY_GROUP, TOPIC) == {}
        stored = await world.log.get("r1")
        assert stored is not None and (stored.state, stored.phase) == (
            RebuildState.SUCCEEDED,
            RebuildPhase.DONE,
        )
        assert stored.finished_at is not None

    async def test_a_session_that_fails_after_the_swap_swaps_nothing(
        self, world: ShadowWorld
    ) -> None:
        await filled(world)
        await swapping(world.log)

        with pytest.raises(LookupError, match="after the swap"):
            async with world.shadow.swap() as session:
                await session.swap({0: 5}, "r1")
                raise LookupError("after the swap")

        assert await orders_in(world.live, "old-1", "new-1") == ["old-1"]
        assert await world.live.positions(GROUP, TOPIC) == {0: 3}
        stored = await world.log.get("r1")
        assert stored is not None and stored.state is RebuildState.SWAPPING

    async def test_a_rebuild_no_longer_swapping_is_not_swapped_in(self, world: ShadowWorld) -> None:
        await filled(world)
        await claimed(world.log, "r1")  # still RUNNING: expired, cancelled or never moved

        with pytest.raises(RuntimeError, match="no longer SWAPPING"):
            async with world.shadow.swap() as session:
                await session.swap({0: 5}, "r1")

        assert await orders_in(world.live, "old-1", "new-1") == ["old-1"]
        assert await world.live.positions(GROUP, TOPIC) == {0: 3}

    async def test_create_starts_from_empty_shadow_views(self, world: ShadowWorld) -> None:
        await world.shadow.create()
        await write(world.shadow_store, ["left-over"], REPLAY_GROUP, {0: 9})
        await write_events(world.shadow_store, [status_changed("gap", 3)], REPLAY_GROUP, {})

        await world.shadow.create()

        assert await orders_in(world.shadow_store, "left-over") == []
        assert await world.shadow_store.stashed_count() == 0
        assert await world.shadow_store.positions(REPLAY_GROUP, TOPIC) == {}

    async def test_drop_takes_the_replay_positions_and_leaves_the_live_views(
        self, world: ShadowWorld
    ) -> None:
        await filled(world)

        await world.shadow.drop()
        await world.shadow.drop()  # nothing left to drop is no error

        assert await world.shadow_store.positions(REPLAY_GROUP, TOPIC) == {}
        assert await orders_in(world.live, "old-1", "new-1") == ["old-1"]
        assert await world.live.positions(GROUP, TOPIC) == {0: 3}

    async def test_clear_live_empties_the_live_views_and_only_their_positions(
        self, world: ShadowWorld
    ) -> None:
        await write(world.live, ["old-1"], GROUP, {0: 3})
        await write_events(world.live, [status_changed("gap", 3)], GROUP, {1: 1})
        await write(world.live, [], "other-group", {0: 9})

        await world.shadow.clear_live()

        assert await orders_in(world.live, "old-1") == []
        assert await world.live.stashed_count() == 0
        assert await world.live.positions(GROUP, TOPIC) == {}
        assert await world.live.positions("other-group", TOPIC) == {0: 9}


class ShadowViewsOutageContract:
    @pytest.mark.parametrize("call", ["create", "complete", "drop", "clear_live"])
    async def test_each_call_is_unavailable(self, unreachable: ShadowViews, call: str) -> None:
        with pytest.raises(Unavailable):
            await getattr(unreachable, call)()

    async def test_a_swap_is_unavailable(self, unreachable: ShadowViews) -> None:
        with pytest.raises(Unavailable):
            async with unreachable.swap():
                pass
