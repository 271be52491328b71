"""The replay's lanes when one fails: the others finish the batch they hold, never cancelled
mid-statement (a task cancelled while it waits for a pooled connection may be handed one all
the same, and then share it with the next rebuild's statements)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from adapters.memory.replay import MemoryTopicReplay
from adapters.memory.topic import MemoryTopic
from application.rebuild.model import Rebuild, RebuildMode
from application.rebuild.replaying import RebuildRun, Replayer
from domain.records import RawRecord

pytestmark = pytest.mark.unit


def two_partitions() -> MemoryTopic:
    """Two records on each partition, placed, not left to the keys: partition 0's lane holds
    its first record until partition 1's lane starts, so partition 1 needs a record, and
    partition 0 no more than that one and a full lane queue (2), or the replay waits on a
    full queue before it reaches partition 1 and the test hangs."""
    topic = MemoryTopic("orders.events", 2)
    for n, partition in enumerate((0, 0, 1, 1)):
        topic.append(f"k{n}".encode(), b"{}", (), partition=partition)
    return topic


async def test_a_failing_lane_lets_the_other_finish_its_batch_then_the_failure_is_raised() -> None:
    topic = two_partitions()
    started, finished, cancelled = asyncio.Event(), [], []

    async def project(records: Sequence[RawRecord]) -> None:
        partition = records[0].partition
        if partition == 0:
            await started.wait()  # the other lane is mid-batch when this one fails
            raise RuntimeError("relation does not exist")
        started.set()
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            cancelled.append(partition)
            raise
        finished.append(partition)

    run = RebuildRun(
        Rebuild(rebuild_id="r", mode=RebuildMode.BLUE_GREEN, requested_at=datetime.now(UTC))
    )
    replayer = Replayer(MemoryTopicReplay(topic, batch_records=1), project, run, lanes=2)
    _, ends = await MemoryTopicReplay(topic).bounds()

    with pytest.raises(RuntimeError, match="relation does not exist"):
        await replayer.between({}, ends)

    assert cancelled == []
    assert finished and set(finished) == {1}
