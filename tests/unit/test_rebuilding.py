"""Rebuild records: state machine, progress arithmetic, the ops use cases, the worker side."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.rebuild_log import MemoryRebuildLog
from application.errors import Conflict, LiveViewsRewritten, NotFound
from application.ports import ConsumerState
from application.rebuild.model import (
    TRANSITIONS,
    Rebuild,
    RebuildMode,
    RebuildPhase,
    RebuildState,
    progress_of,
)
from application.rebuild.requests import (
    CancelRebuild,
    GetRebuild,
    RebuildsDisabled,
    StartRebuild,
)
from application.rebuild.watching import WatchRebuilds
from tests.unit.rebuild_harness import Harness, ManualClock, dump

pytestmark = pytest.mark.unit

R, W, S, F, C = (
    RebuildState.RUNNING,
    RebuildState.SWAPPING,
    RebuildState.SUCCEEDED,
    RebuildState.FAILED,
    RebuildState.CANCELLED,
)
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "allowed"),
    [(R, {W, S, F, C}), (W, {S, F}), (S, set()), (F, set()), (C, set())],
)
def test_state_machine(current: RebuildState, allowed: set[RebuildState]) -> None:
    assert {target for target in RebuildState if target in TRANSITIONS[current]} == allowed


def rebuild(**fields: object) -> Rebuild:
    return Rebuild(rebuild_id="r1", mode=RebuildMode.BLUE_GREEN, requested_at=T0, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # queued: nothing known yet
        ({}, (0, 0, 0.0, None, None)),
        # 25,000 of 100,000 in 10 s: 2,500/s, 30 s to go
        (
            {
                "started_at": T0,
                "updated_at": T0 + timedelta(seconds=10),
                "events_replayed": 25_000,
                "target_offsets": {0: 60_000, 1: 40_000},
            },
            (25_000, 100_000, 25.0, 2500.0, 30.0),
        ),
        # catching up past the target: not 100 % before the swap, no time left
        (
            {
                "started_at": T0,
                "updated_at": T0 + timedelta(seconds=4),
                "events_replayed": 1_010,
                "target_offsets": {0: 1_000},
            },
            (1_010, 1_000, 99.9, 252.5, 0.0),
        ),
        # done: 100 %, rate over the whole run
        (
            {
                "state": S,
                "started_at": T0,
                "updated_at": T0 + timedelta(seconds=3),
                "finished_at": T0 + timedelta(seconds=5),
                "events_replayed": 1_000,
                "target_offsets": {0: 1_000},
            },
            (1_000, 1_000, 100.0, 200.0, 0.0),
        ),
        # failed: no ETA
        (
            {
                "state": F,
                "started_at": T0,
                "finished_at": T0 + timedelta(seconds=2),
                "events_replayed": 300,
                "target_offsets": {0: 1_000},
            },
            (300, 1_000, 30.0, 150.0, None),
        ),
    ],
)
def test_progress_rate_and_eta(fields: dict[str, object], expected: tuple[object, ...]) -> None:
    p = progress_of(rebuild(**fields))
    assert (p.events_replayed, p.target_events, p.percent, p.rate, p.eta_seconds) == expected


async def test_start_records_a_queued_rebuild_and_refuses_a_second_one() -> None:
    log = MemoryRebuildLog()
    start = StartRebuild(log, allowed=True, new_id=lambda: "first")
    first = await start(RebuildMode.BLUE_GREEN)
    assert (first.rebuild_id, first.state, first.phase) == ("first", R, RebuildPhase.QUEUED)

    with pytest.raises(Conflict, match="rebuild first is RUNNING"):
        await StartRebuild(log, allowed=True, new_id=lambda: "second")(RebuildMode.INPLACE)
    assert list(log.rows) == ["first"]


async def test_a_rebuild_can_start_once_the_previous_one_finished_or_went_stale() -> None:
    clock = ManualClock()
    log = MemoryRebuildLog(clock=clock)
    await StartRebuild(log, allowed=True, new_id=lambda: "first")()
    clock.advance(log.stale_after + timedelta(seconds=1))  # no worker ever claimed it

    second = await StartRebuild(log, allowed=True, new_id=lambda: "second")()

    assert second.state is R
    assert (log.rows["first"].state, log.rows["first"].error) == (F, "no worker claimed it")


async def test_disabled_rebuilds_are_refused() -> None:
    log = MemoryRebuildLog()
    with pytest.raises(RebuildsDisabled, match="STREAMVIEW_ALLOW_REBUILD"):
        await StartRebuild(log, allowed=False)()
    assert log.rows == {}


async def test_get_reports_a_stale_owner_as_failed_and_unknown_ids_as_not_found() -> None:
    clock = ManualClock()
    log = MemoryRebuildLog(clock=clock)
    started = await StartRebuild(log, allowed=True)()
    await log.claim("worker-that-dies")
    clock.advance(timedelta(minutes=1))

    assert (await GetRebuild(log)(started.rebuild_id)).state is F
    with pytest.raises(NotFound):
        await GetRebuild(log)("no-such-rebuild")


async def test_cancel_depends_on_where_the_rebuild_is() -> None:
    log = MemoryRebuildLog()
    queued = await StartRebuild(log, allowed=True, new_id=lambda: "queued")()
    assert (await CancelRebuild(log)(queued.rebuild_id)).state is C  # no worker had it yet

    await StartRebuild(log, allowed=True, new_id=lambda: "claimed")()
    claimed = await log.claim("worker-1")
    assert claimed is not None
    flagged = await CancelRebuild(log)("claimed")
    assert (flagged.state, flagged.cancel_requested) == (R, True)  # the worker finishes it
    assert not await log.move(claimed, W)  # and it can no longer start swapping
    assert await log.move(claimed, C)
    assert (await CancelRebuild(log)("claimed")).state is C  # cancelling again: same answer

    await StartRebuild(log, allowed=True, new_id=lambda: "swapping")()
    swapping = await log.claim("worker-1")
    assert swapping is not None and await log.move(swapping, W)
    with pytest.raises(Conflict, match="SWAPPING: it can no longer be cancelled"):
        await CancelRebuild(log)("swapping")
    with pytest.raises(NotFound):
        await CancelRebuild(log)("nope")


async def test_paused_gate_holds_new_batches_after_the_one_in_flight() -> None:
    h = Harness()
    h.produce(10)
    release = asyncio.Event()
    order: list[str] = []

    async def slow_batch() -> None:
        await release.wait()
        order.append("in-flight batch written")

    inner = h.gate._project

    async def project(records):  # type: ignore[no-untyped-def]
        await slow_batch()
        return await inner(records)

    h.gate._project = project  # type: ignore[method-assign]
    in_flight = asyncio.create_task(h.consume())
    await asyncio.sleep(0.01)

    async def pause() -> None:
        async with h.gate.paused():
            order.append("paused")
            assert h.status.state is ConsumerState.REBUILDING
            await asyncio.sleep(0.01)
            order.append("resuming")

    pausing = asyncio.create_task(pause())
    await asyncio.sleep(0.01)
    assert order == [] and h.status.state is ConsumerState.RUNNING  # waits for the batch
    release.set()
    await asyncio.gather(in_flight, pausing)

    assert order[:3] == ["in-flight batch written", "paused", "resuming"]
    assert h.status.state is ConsumerState.RUNNING


async def test_gate_shows_a_failed_worker_as_failed_even_while_held() -> None:
    h = Harness()
    async with h.gate.paused():
        h.status.state = ConsumerState.FAILED
        assert h.status.state is ConsumerState.FAILED


async def test_gate_asks_for_a_seek_once_after_an_inplace_rebuild() -> None:
    h = Harness()
    async with h.gate.paused(reposition=True):
        pass
    with pytest.raises(LiveViewsRewritten):
        await h.gate([])
    await h.gate([])  # once only


async def test_watcher_claims_a_request_and_runs_it() -> None:
    h = Harness()
    h.produce(20)
    await h.catch_up()
    before = await dump(h.live)
    requested = await StartRebuild(h.log, allowed=True)()
    stopping = asyncio.Event()
    watcher = WatchRebuilds(h.log, h.run, owner="worker-1", poll_seconds=0.005)
    watching = asyncio.create_task(watcher(stopping))

    # Until it ends: SWAPPING is not the end, and stopping then would fail the rebuild.
    while h.log.rows[requested.rebuild_id].state not in {S, F, C}:
        await asyncio.sleep(0.005)
    stopping.set()
    await watching

    stored = h.log.rows[requested.rebuild_id]
    assert (stored.state, stored.owner) == (S, "worker-1")
    assert await dump(h.live) == before


async def test_stopping_the_watcher_fails_its_running_rebuild_and_drops_the_shadow() -> None:
    h = Harness()
    h.produce(60)
    await h.catch_up()
    requested = await StartRebuild(h.log, allowed=True)()
    stopping = asyncio.Event()
    replaying = asyncio.Event()

    async def signal(batch: int) -> None:
        replaying.set()
        await asyncio.sleep(1)  # slow enough to be stopped in the middle

    h.replay.after_batch = signal
    watching = asyncio.create_task(WatchRebuilds(h.log, h.run, poll_seconds=0.005)(stopping))
    await replaying.wait()
    stopping.set()
    await watching

    stored = h.log.rows[requested.rebuild_id]
    assert (stored.state, stored.error) == (F, "the worker running it stopped")
    assert not h.shadow.exists
    assert h.status.state is ConsumerState.RUNNING
