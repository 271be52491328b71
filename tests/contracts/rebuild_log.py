"""The contract of the RebuildLog port: every adapter passes it unchanged.

Subclass `RebuildLogContract` (in a `test_*.py` module), provide an async fixture `log` that
yields an empty log, and implement `let_time_pass(log)`: afterwards every rebuild that was
not heartbeated since is older than the log's staleness limit. Subclass
`RebuildLogOutageContract` and provide a fixture `unreachable`: a log whose store is away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from msgspec.structs import replace

from application.errors import Unavailable
from application.rebuild.model import (
    Rebuild,
    RebuildMode,
    RebuildPhase,
    RebuildState,
)
from application.rebuild.ports import RebuildLog

R, W, S, F, C = (
    RebuildState.RUNNING,
    RebuildState.SWAPPING,
    RebuildState.SUCCEEDED,
    RebuildState.FAILED,
    RebuildState.CANCELLED,
)


def requested(rebuild_id: str, mode: RebuildMode = RebuildMode.BLUE_GREEN) -> Rebuild:
    return Rebuild(rebuild_id=rebuild_id, mode=mode, requested_at=datetime.now(UTC))


async def claimed(log: RebuildLog, rebuild_id: str, owner: str = "worker-1") -> Rebuild:
    assert await log.add(requested(rebuild_id)) is None
    rebuild = await log.claim(owner)
    assert rebuild is not None and rebuild.rebuild_id == rebuild_id
    return rebuild


class RebuildLogContract:
    async def let_time_pass(self, log: RebuildLog) -> None:
        raise NotImplementedError

    async def test_a_new_rebuild_is_queued(self, log: RebuildLog) -> None:
        assert await log.add(requested("r1", RebuildMode.INPLACE)) is None

        stored = await log.get("r1")

        assert stored is not None
        assert (stored.mode, stored.state, stored.phase, stored.owner) == (
            RebuildMode.INPLACE,
            R,
            RebuildPhase.QUEUED,
            None,
        )
        assert stored.requested_at is not None and stored.started_at is None
        assert await log.get("r2") is None

    async def test_only_one_rebuild_is_active_at_a_time(self, log: RebuildLog) -> None:
        await log.add(requested("r1"))

        active = await log.add(requested("r2"))

        assert active is not None and active.rebuild_id == "r1"
        assert await log.get("r2") is None

    async def test_a_finished_rebuild_makes_room_for_the_next(self, log: RebuildLog) -> None:
        first = await claimed(log, "r1")
        assert await log.move(first, S)

        assert await log.add(requested("r2")) is None

    async def test_claim_takes_the_queued_rebuild_once(self, log: RebuildLog) -> None:
        await log.add(requested("r1"))

        rebuild = await log.claim("worker-1")

        assert rebuild is not None
        assert (rebuild.owner, rebuild.phase, rebuild.state) == ("worker-1", "REPLAYING", R)
        assert rebuild.started_at is not None
        assert await log.claim("worker-2") is None

    async def test_heartbeat_stores_progress_for_its_owner_only(self, log: RebuildLog) -> None:
        rebuild = await claimed(log, "r1")
        progress = replace(
            rebuild,
            phase=RebuildPhase.CATCHING_UP,
            events_replayed=1234,
            target_offsets={0: 1000, 2: 300},
        )

        stored = await log.heartbeat(progress)

        assert stored is not None
        assert (stored.phase, stored.events_replayed, stored.target_offsets) == (
            RebuildPhase.CATCHING_UP,
            1234,
            {0: 1000, 2: 300},
        )
        assert stored.updated_at is not None
        assert await log.get("r1") == stored
        assert await log.heartbeat(replace(progress, owner="worker-2")) is None

    async def test_cancelling_a_queued_rebuild_cancels_it_at_once(self, log: RebuildLog) -> None:
        await log.add(requested("r1"))

        cancelled = await log.request_cancel("r1")

        assert cancelled is not None and cancelled.state is C
        assert cancelled.finished_at is not None
        assert await log.claim("worker-1") is None
        assert await log.request_cancel("nope") is None

    async def test_cancelling_a_claimed_rebuild_asks_its_worker(self, log: RebuildLog) -> None:
        rebuild = await claimed(log, "r1")

        flagged = await log.request_cancel("r1")

        assert flagged is not None and (flagged.state, flagged.cancel_requested) == (R, True)
        assert not await log.move(rebuild, W)  # too late to start swapping
        assert await log.move(rebuild, C)
        again = await log.request_cancel("r1")
        assert again is not None and again.state is C

    async def test_moves_follow_the_state_machine(self, log: RebuildLog) -> None:
        rebuild = await claimed(log, "r1")

        assert not await log.move(replace(rebuild, owner="worker-2"), W)  # not its owner
        assert await log.move(rebuild, W)
        assert not await log.move(rebuild, C)  # swapping cannot be cancelled
        assert await log.move(replace(rebuild, events_replayed=7), F, "swap failed")
        assert not await log.move(rebuild, S)  # final

        stored = await log.get("r1")
        assert stored is not None
        assert (stored.state, stored.error, stored.events_replayed) == (F, "swap failed", 7)
        assert stored.finished_at is not None

    async def test_a_rebuild_whose_worker_went_silent_expires(self, log: RebuildLog) -> None:
        await claimed(log, "r1", owner="worker-gone")
        await self.let_time_pass(log)

        await log.expire_stale()

        stored = await log.get("r1")
        assert stored is not None and stored.state is F
        assert "worker-gone" in (stored.error or "")
        assert await log.add(requested("r2")) is None

    async def test_a_rebuild_no_worker_claimed_expires(self, log: RebuildLog) -> None:
        await log.add(requested("r1"))
        await self.let_time_pass(log)

        await log.expire_stale()

        stored = await log.get("r1")
        assert stored is not None and stored.state is F
        assert "no worker claimed it" in (stored.error or "")

    async def test_a_heartbeating_rebuild_does_not_expire(self, log: RebuildLog) -> None:
        rebuild = await claimed(log, "r1")
        await self.let_time_pass(log)
        await log.heartbeat(rebuild)

        await log.expire_stale()

        stored = await log.get("r1")
        assert stored is not None and stored.state is R


class RebuildLogOutageContract:
    """Provide a fixture `unreachable`: a log whose store cannot be reached. Every call is
    `Unavailable` (a 503 for the API; the watcher and the runner wait and try again)."""

    @pytest.mark.parametrize(
        "call",
        [
            lambda log: log.add(requested("r1")),
            lambda log: log.get("r1"),
            lambda log: log.request_cancel("r1"),
            lambda log: log.expire_stale(),
            lambda log: log.claim("worker-1"),
            lambda log: log.heartbeat(replace(requested("r1"), owner="worker-1")),
            lambda log: log.move(replace(requested("r1"), owner="worker-1"), F, "failed"),
        ],
        ids=["add", "get", "request_cancel", "expire_stale", "claim", "heartbeat", "move"],
    )
    async def test_each_call_is_unavailable(
        self, unreachable: RebuildLog, call: Callable[[RebuildLog], Awaitable[object]]
    ) -> None:
        with pytest.raises(Unavailable):
            await call(unreachable)
