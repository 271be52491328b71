"""The consume loop against in-memory fakes: positions, rebalances, outages, states."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from typing import Any, TypeVar

import pytest

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.record_source import MemoryRecordSource
from adapters.memory.topic import MemoryTopic
from adapters.memory.views import MemoryViewStore
from adapters.tracing.null_spans import NullSpans
from application.consuming import (
    ConsumeSettings,
    ConsumeTopic,
    WorkerStatus,
)
from application.ports import ConsumerState, RecordSource, ViewStore
from application.projecting import BatchOutcome, ProjectBatch
from domain.batch import apply_batch
from domain.decoding import decode_record
from domain.records import Accepted, RawRecord

T = TypeVar("T")
pytestmark = pytest.mark.unit

GROUP = "group"


class DatabaseDown(Exception):
    """Stands for psycopg.OperationalError: the loop is told it is transient."""


class FakeSource(MemoryRecordSource):
    """A RecordSource over a MemoryTopic; `assign` plays the group coordinator."""

    def __init__(self, topic: MemoryTopic, broker_committed: Mapping[int, int] | None = None):
        super().__init__(topic, broker_committed, assign_all=False)


class FlakyStore(MemoryViewStore):
    """Fails the calls whose number is in `outage`, as a database that went away a while."""

    def __init__(self, outage: range) -> None:
        super().__init__()
        self.outage = outage
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls in self.outage:
            raise DatabaseDown("connection refused")

    async def in_transaction(self, work: Callable[[Any], Awaitable[T]]) -> T:
        self._maybe_fail()
        return await super().in_transaction(work)

    async def positions(self, consumer_group: str, topic: str) -> dict[int, int]:
        self._maybe_fail()
        return await super().positions(consumer_group, topic)


def event(order_id: str, seq: int, body: dict[str, object]) -> tuple[bytes, bytes, tuple]:
    value = {"eventId": f"{order_id}-{seq}", "orderId": order_id, **body}
    value.setdefault("occurredAt", f"2026-11-28T10:{seq:02d}:00Z")
    return order_id.encode(), json.dumps(value).encode(), (("x-sequence", str(seq).encode()),)


def order_events(order_id: str) -> list[tuple[bytes, bytes, tuple]]:
    item = {"itemId": "i1", "sku": "SKU-1", "qty": 2, "price": "10.00", "taxRate": "0.23"}
    return [
        event(order_id, 1, {"type": "OrderCreated", "customerId": "c", "currency": "EUR",
                            "items": [item]}),
        event(order_id, 2, {"type": "OrderItemAdded", **item, "itemId": "i2"}),
        event(order_id, 3, {"type": "OrderStatusChanged", "status": "PAID"}),
    ]  # fmt: skip


def filled_topic(orders: int, partitions: int = 3) -> MemoryTopic:
    topic = MemoryTopic("orders.events", partitions)
    for n in range(orders):
        for key, value, headers in order_events(f"o{n}"):
            topic.append(key, value, headers)
    return topic


def all_records(topic: MemoryTopic) -> list[RawRecord]:
    return [r for p in range(topic.partitions) for r in topic.read(p, 0, 10**9)]


def expected_views(topic: MemoryTopic) -> dict[str, object]:
    decoded = [decode_record(r) for r in all_records(topic)]
    result = apply_batch({}, [d.envelope for d in decoded if isinstance(d, Accepted)])
    return {view.order_id: view for view in result.views}


class StateHistory(WorkerStatus):
    """Keeps every state the worker went through, however briefly."""

    def __init__(self) -> None:
        self.history: list[ConsumerState] = []
        super().__init__()

    @property
    def state(self) -> ConsumerState:
        return self.history[-1]

    @state.setter
    def state(self, value: ConsumerState) -> None:
        if not self.history or self.history[-1] is not value:
            self.history.append(value)


class Worker:
    def __init__(
        self,
        source: FakeSource,
        store: MemoryViewStore,
        metrics: MemoryMetrics,
        project: Callable[[Sequence[RawRecord]], object] | None = None,
    ) -> None:
        self.status = StateHistory()
        self.project = ProjectBatch(store, MemoryDeadLetters(), metrics, NullSpans(), GROUP)
        self.loop = ConsumeTopic(
            source,
            project or self.project,  # type: ignore[arg-type]
            store,
            self.status,
            ConsumeSettings(
                GROUP,
                source.topic.name,
                batch_max_records=10,
                retry_initial_seconds=0.001,
                retry_max_seconds=0.01,
            ),
            is_transient=lambda error: isinstance(error, DatabaseDown),
        )
        self.stopping = asyncio.Event()
        self.task = asyncio.create_task(self.loop.run(self.stopping))

    async def stop(self) -> None:
        self.stopping.set()
        await self.task


async def eventually(condition: Callable[[], object], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.002)


async def caught_up(store: MemoryViewStore, topic: MemoryTopic) -> None:
    ends = await topic.end_offsets(topic.name)
    async with asyncio.timeout(10):
        # The base class's method: a FlakyStore counts (and fails) only the worker's calls.
        while await MemoryViewStore.positions(store, GROUP, topic.name) != ends:
            await asyncio.sleep(0.002)


async def views_of(store: MemoryViewStore, order_ids: Set[str]) -> dict[str, object]:
    return {o: detail.view for o in order_ids if (detail := await store.get_order(o))}


async def test_projects_every_partition_and_stores_the_log_end() -> None:
    topic, store, metrics = filled_topic(20), MemoryViewStore(), MemoryMetrics()
    source = FakeSource(topic)
    worker = Worker(source, store, metrics)
    await source.assign({0, 1, 2})
    await caught_up(store, topic)
    await worker.stop()

    expected = expected_views(topic)
    assert await views_of(store, set(expected)) == expected
    assert metrics.events == {"OrderCreated": 20, "OrderItemAdded": 20, "OrderStatusChanged": 20}
    assert metrics.duplicates == 0
    assert source.broker_committed == await topic.end_offsets(topic.name)
    assert worker.status.state is ConsumerState.STOPPED


async def test_an_assigned_partition_starts_at_the_stored_position_not_the_brokers() -> None:
    topic, store, metrics = filled_topic(20), MemoryViewStore(), MemoryMetrics()
    first = FakeSource(topic)
    worker = Worker(first, store, metrics)
    await first.assign({0, 1, 2})
    await caught_up(store, topic)
    await worker.stop()

    # The broker lost its committed offsets (or lags behind): the store decides.
    again = FakeSource(topic, broker_committed={})
    restarted = Worker(again, store, metrics)
    await again.assign({0, 1, 2})
    await eventually(lambda: restarted.status.state is ConsumerState.RUNNING)
    await restarted.stop()

    assert metrics.duplicates == 0
    assert again.commits == []


async def test_revocation_waits_for_the_batch_in_flight() -> None:
    topic, store, metrics = filled_topic(5, partitions=1), MemoryViewStore(), MemoryMetrics()
    source = FakeSource(topic)
    release = asyncio.Event()
    projecting: list[int] = []

    async def slow_project(records: Sequence[RawRecord]) -> BatchOutcome:
        projecting.append(len(records))
        await release.wait()
        return await worker.project(records)

    worker = Worker(source, store, metrics, slow_project)
    await source.assign({0})
    await eventually(lambda: projecting)
    revoking = asyncio.create_task(source.listener.partitions_revoked({0}))  # type: ignore[union-attr]
    await asyncio.sleep(0.05)
    assert not revoking.done()

    release.set()
    await revoking
    assert await store.positions(GROUP, topic.name) == {0: projecting[0]}
    await worker.stop()


async def test_records_fetched_before_a_revocation_are_not_projected() -> None:
    topic, store, metrics = filled_topic(5, partitions=1), MemoryViewStore(), MemoryMetrics()
    source = FakeSource(topic)
    worker = Worker(source, store, metrics)
    fetch = source.fetch

    async def fetch_then_lose_partition(max_records: int, timeout_ms: int) -> list[RawRecord]:
        records = await fetch(max_records, timeout_ms)
        if records:
            await worker.loop.partitions_revoked({0})
        return records

    source.fetch = fetch_then_lose_partition  # type: ignore[method-assign]
    await source.assign({0})
    await asyncio.sleep(0.05)
    await worker.stop()

    assert await store.positions(GROUP, topic.name) == {}
    assert metrics.events == {}


async def test_a_database_outage_pauses_then_resumes_from_the_stored_position() -> None:
    # Call 1 reads the positions, call 2 writes the first batch; the outage starts with the
    # second batch and lasts while the positions are read twice more.
    topic, store, metrics = filled_topic(30), FlakyStore(outage=range(3, 6)), MemoryMetrics()
    source = FakeSource(topic)
    worker = Worker(source, store, metrics)
    await source.assign({0, 1, 2})
    await caught_up(store, topic)
    await worker.stop()

    expected = expected_views(topic)
    assert await views_of(store, set(expected)) == expected
    assert metrics.duplicates == 0
    assert sum(metrics.events.values()) == 90
    assert worker.status.history == [
        ConsumerState.STARTING,
        ConsumerState.RUNNING,
        ConsumerState.PAUSED,
        ConsumerState.RUNNING,
        ConsumerState.STOPPED,
    ]


async def test_an_unexpected_error_fails_the_worker() -> None:
    topic, store, metrics = filled_topic(1, partitions=1), MemoryViewStore(), MemoryMetrics()
    source = FakeSource(topic)

    async def broken(records: Sequence[RawRecord]) -> BatchOutcome:
        raise RuntimeError("bug")

    worker = Worker(source, store, metrics, broken)
    await source.assign({0})
    with pytest.raises(RuntimeError, match="bug"):
        await worker.task
    assert worker.status.state is ConsumerState.FAILED


async def test_a_worker_without_partitions_is_running_once_the_group_answered() -> None:
    topic = filled_topic(1, partitions=1)
    source = FakeSource(topic)
    worker = Worker(source, MemoryViewStore(), MemoryMetrics())
    assert worker.status.state is ConsumerState.STARTING
    await source.assign(set())
    await eventually(lambda: worker.status.state is ConsumerState.RUNNING)
    await worker.stop()
    assert worker.status.state is ConsumerState.STOPPED


def _stand_in_for_the_ports(topic: MemoryTopic) -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    source: RecordSource = FakeSource(topic)
    store: ViewStore = FlakyStore(range(0))
    del source, store
