"""The broker's copy of the positions: sent in the background, newest per partition, flushed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from application.broker_commits import BrokerCommits
from application.ports import Position
from tests.unit.test_consuming import FakeSource, Worker, caught_up, eventually, filled_topic

pytestmark = pytest.mark.unit


class SlowBroker:
    """Records each commit request; holds every request until `answer` is set."""

    def __init__(self) -> None:
        self.requests: list[list[tuple[int, int]]] = []
        self.answer = asyncio.Event()

    async def commit(self, positions: Sequence[Position]) -> None:
        self.requests.append(sorted((p.partition, p.next_offset) for p in positions))
        await self.answer.wait()


def at(partition: int, offset: int) -> Position:
    return Position("orders.events", partition, offset)


async def test_positions_handed_over_during_a_request_go_next_newest_per_partition() -> None:
    broker = SlowBroker()
    commits = BrokerCommits(broker.commit)

    commits.request([at(0, 10)])
    await eventually(lambda: broker.requests)
    commits.request([at(0, 20), at(1, 5)])
    commits.request([at(0, 30)])
    broker.answer.set()
    await commits.flush()

    assert broker.requests == [[(0, 10)], [(0, 30), (1, 5)]]


async def test_flush_waits_until_every_requested_position_is_sent() -> None:
    broker = SlowBroker()
    commits = BrokerCommits(broker.commit)
    commits.request([at(0, 10)])

    flushing = asyncio.create_task(commits.flush())
    await asyncio.sleep(0.01)
    assert not flushing.done()

    broker.answer.set()
    await flushing
    assert broker.requests == [[(0, 10)]]


async def test_a_failed_request_does_not_stop_the_next_ones() -> None:
    sent: list[dict[int, int]] = []

    async def flaky(positions: Sequence[Position]) -> None:
        if not sent:
            sent.append({})
            raise RuntimeError("broker said no")
        sent.append({p.partition: p.next_offset for p in positions})

    commits = BrokerCommits(flaky)
    commits.request([at(0, 10)])
    await commits.flush()
    commits.request([at(0, 20)])
    await commits.flush()

    assert sent == [{}, {0: 20}]


async def test_a_revocation_returns_only_once_the_broker_has_the_positions() -> None:
    topic, store = filled_topic(5, partitions=1), MemoryViewStore()
    source = FakeSource(topic)
    answered = asyncio.Event()
    commit = source.commit

    async def slow_commit(positions: Sequence[Position]) -> None:
        await answered.wait()
        await commit(positions)

    source.commit = slow_commit  # type: ignore[method-assign]
    worker = Worker(source, store, MemoryMetrics())
    await source.assign({0})
    await caught_up(store, topic)

    revoking = asyncio.create_task(worker.loop.partitions_revoked({0}))
    await asyncio.sleep(0.01)
    assert not revoking.done()
    answered.set()
    await revoking
    assert source.broker_committed == await topic.end_offsets(topic.name)
    await worker.stop()
