"""The rebuild runner against in-memory views and topic: swap, catch-up, cancel, failures."""

from __future__ import annotations

import pytest

from application.errors import LiveViewsRewritten
from application.ports import ConsumerState
from application.rebuild.model import RebuildMode, RebuildPhase, RebuildState
from application.rebuild.requests import CancelRebuild
from tests.unit.rebuild_harness import GROUP, TOPIC, ElsewhereReplay, Harness, dump, reference

pytestmark = pytest.mark.unit


async def test_blue_green_rebuild_reproduces_the_live_views_and_swaps_them_in() -> None:
    h = Harness()
    records = h.produce(120)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request()

    assert await h.run(rebuild) is RebuildState.SUCCEEDED

    assert await dump(h.live) == before  # the swapped-in tables have the same content
    assert sum((await h.live.positions(GROUP, TOPIC)).values()) == records
    assert h.shadow.events == ["create", "complete", f"swap {rebuild.rebuild_id}"]
    stored = h.log.rows[rebuild.rebuild_id]
    assert (stored.state, stored.phase, stored.events_replayed) == (
        RebuildState.SUCCEEDED,
        RebuildPhase.DONE,
        records,
    )
    assert stored.target_offsets == await h.topic.end_offsets(TOPIC)


async def test_replay_does_not_touch_the_live_metrics() -> None:
    h = Harness()
    h.produce(40)
    await h.catch_up()
    counted = (dict(h.live_metrics.events), h.live_metrics.duplicates)

    assert await h.run(await h.request()) is RebuildState.SUCCEEDED

    assert (dict(h.live_metrics.events), h.live_metrics.duplicates) == counted


async def test_events_produced_during_the_rebuild_are_applied_exactly_once() -> None:
    h = Harness()
    h.produce(150)
    await h.catch_up()

    async def produce_while_replaying(batch: int) -> None:
        if batch % 5 == 0 and batch <= 60:
            h.produce(3)

    h.replay.after_batch = produce_while_replaying
    async with h.live_worker():
        assert await h.run(await h.request()) is RebuildState.SUCCEEDED
        h.replay.after_batch = None
    await h.catch_up()

    expected, expected_metrics = await reference(h.topic)
    assert await dump(h.live) == await dump(expected)
    # The live worker saw each record once, before or after the swap: its counts are those
    # of one pass over the topic (an event seen twice would count as a duplicate).
    assert h.live_metrics.events == expected_metrics.events
    assert h.live_metrics.duplicates == expected_metrics.duplicates


async def test_cancel_leaves_the_live_views_untouched_and_drops_the_shadow_tables() -> None:
    h = Harness()
    h.produce(100)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request()

    async def cancel_at_third_batch(batch: int) -> None:
        if batch == 3:
            await CancelRebuild(h.log)(rebuild.rebuild_id)

    h.replay.after_batch = cancel_at_third_batch
    assert await h.run(rebuild) is RebuildState.CANCELLED

    assert await dump(h.live) == before
    assert h.shadow.events == ["create", "drop"]
    assert h.log.rows[rebuild.rebuild_id].state is RebuildState.CANCELLED
    assert h.status.state is ConsumerState.RUNNING


async def test_a_failing_replay_leaves_the_live_views_untouched_and_records_why() -> None:
    h = Harness()
    h.produce(100)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request()

    def database_gone(batch: int) -> None:
        if batch == 4:
            raise ConnectionError("server closed the connection unexpectedly")

    h.replay_failure = database_gone
    assert await h.run(rebuild) is RebuildState.FAILED

    assert await dump(h.live) == before
    assert h.shadow.events == ["create", "drop"]
    stored = h.log.rows[rebuild.rebuild_id]
    assert stored.state is RebuildState.FAILED
    assert stored.error == "ConnectionError: server closed the connection unexpectedly"
    h.replay_failure = None  # the next rebuild works
    assert await h.run(await h.request()) is RebuildState.SUCCEEDED
    assert await dump(h.live) == before


async def test_a_failing_swap_leaves_the_live_views_and_resumes_the_live_worker() -> None:
    h = Harness()
    h.produce(30)
    await h.catch_up()
    before = await dump(h.live)
    h.shadow.fail_swap = True
    rebuild = await h.request()

    assert await h.run(rebuild) is RebuildState.FAILED

    assert await dump(h.live) == before
    assert h.log.rows[rebuild.rebuild_id].error == "RuntimeError: swap failed"
    h.produce(5)
    await h.catch_up()  # not held by the gate any more
    assert h.status.state is ConsumerState.RUNNING


async def test_a_live_worker_that_stays_behind_the_replay_fails_the_rebuild() -> None:
    h = Harness(live_stall_seconds=0.05)
    h.produce(30)  # never consumed: the live positions stay at 0, behind the replay

    rebuild = await h.request()
    assert await h.run(rebuild) is RebuildState.FAILED

    assert "the live worker stayed behind the replay" in (
        h.log.rows[rebuild.rebuild_id].error or ""
    )
    assert not h.shadow.exists


async def test_a_topic_that_lost_its_first_records_is_not_rebuilt() -> None:
    h = Harness()
    h.produce(30)
    await h.catch_up()
    h.replay.first_offsets = {1: 12}
    rebuild = await h.request()

    assert await h.run(rebuild) is RebuildState.FAILED

    error = h.log.rows[rebuild.rebuild_id].error or ""
    assert "no longer holds its whole history (first offsets {1: 12})" in error


async def test_inplace_rebuild_replays_into_the_live_views_and_repositions_the_worker() -> None:
    h = Harness()
    h.produce(80)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request(RebuildMode.INPLACE)

    assert await h.run(rebuild) is RebuildState.SUCCEEDED

    assert h.shadow.events == ["clear_live"]
    assert await dump(h.live) == before
    stored = h.log.rows[rebuild.rebuild_id]
    assert stored.events_replayed == sum(stored.target_offsets.values()) > 0
    with pytest.raises(LiveViewsRewritten):  # the live worker's next batch: seek again first
        await h.gate([])
    h.produce(5)
    await h.catch_up()
    expected, _ = await reference(h.topic)
    assert await dump(h.live) == await dump(expected)


async def test_the_first_replay_can_run_elsewhere_and_report_progress() -> None:
    h = Harness()
    h.run._bulk = bulk = ElsewhereReplay(h)
    records = h.produce(60)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request()

    assert await h.run(rebuild) is RebuildState.SUCCEEDED

    assert await dump(h.live) == before
    assert h.log.rows[rebuild.rebuild_id].events_replayed == records
    assert len(set(bulk.progress_seen)) > 1  # it told how far it got on the way


async def test_a_cancel_stops_the_replay_running_elsewhere() -> None:
    h = Harness()
    h.run._bulk = bulk = ElsewhereReplay(h)
    h.produce(100)
    await h.catch_up()
    before = await dump(h.live)
    rebuild = await h.request()

    async def cancel_at_third_batch(batch: int) -> None:
        if batch == 3:
            await CancelRebuild(h.log)(rebuild.rebuild_id)

    h.replay.after_batch = cancel_at_third_batch
    assert await h.run(rebuild) is RebuildState.CANCELLED

    assert await dump(h.live) == before
    assert h.shadow.events == ["create", "drop"]
    assert h.replay.batches < 20 and bulk.progress_seen  # stopped early
