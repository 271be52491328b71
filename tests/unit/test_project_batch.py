"""The ProjectBatch use case over the in-memory adapters: dead letters, positions, atomicity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from application.ports import BatchWrite, DeadLetterSink, ProjectionTransaction
from domain.batch import OrderSnapshot
from domain.records import RawRecord, Rejected
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from tests.support.events import (
    TOPIC,
    item_added,
    order_created,
    order_log,
    record,
    status_changed,
    with_offsets,
)
from tests.support.projection import GROUP, MemoryPipeline

pytestmark = pytest.mark.unit

T = TypeVar("T")


def _batch() -> list[RawRecord]:
    """Offsets 10..13: order-1 complete (2 events), a bad record, order-2 still in a gap."""
    return with_offsets(
        [
            *order_log("order-1", item_added("order-1", price="5.00")),
            record(b"not json", key=b"order-9"),
            record(item_added("order-2"), 2),
        ],
        start=10,
    )


async def test_projects_accepted_records_and_dead_letters_the_rest() -> None:
    pipeline = MemoryPipeline()

    outcome = await pipeline.feed(_batch())

    detail = await pipeline.store.get_order("order-1")
    assert detail is not None
    assert (detail.view.last_event_sequence, len(detail.lines)) == (2, 2)
    assert [(r.reason.value, r.record.offset) for r in pipeline.dead_letters.sent] == [
        ("invalid_json", 12)
    ]
    assert await pipeline.store.get_order("order-2") is None
    assert await pipeline.store.stashed_count() == 1
    assert (outcome.records, len(outcome.rejected)) == (4, 1)


async def test_positions_move_past_every_record_including_rejected_ones() -> None:
    pipeline = MemoryPipeline()
    records = [
        *with_offsets(order_log("order-1"), start=3),
        record(b"{", key=b"x", partition=1, offset=41),
        record(b"{", key=b"x", partition=1, offset=40),
    ]

    outcome = await pipeline.feed(records)

    assert await pipeline.store.positions(GROUP, TOPIC) == {0: 4, 1: 42}
    assert [(p.partition, p.next_offset) for p in outcome.positions] == [(0, 4), (1, 42)]


async def test_a_batch_of_only_rejected_records_still_moves_the_position() -> None:
    pipeline = MemoryPipeline()

    await pipeline.feed([record(order_created(), None, offset=7)])

    assert await pipeline.store.positions(GROUP, TOPIC) == {0: 8}
    assert [r.reason.value for r in pipeline.dead_letters.sent] == ["missing_sequence"]


class _SnoopingDeadLetters(MemoryDeadLetters):
    """Remembers the stored positions at the moment the letters were published."""

    def __init__(self, store: MemoryViewStore) -> None:
        super().__init__()
        self._store = store
        self.positions_seen: dict[int, int] | None = None

    async def publish(self, letters: Sequence[Rejected]) -> None:
        self.positions_seen = await self._store.positions(GROUP, TOPIC)
        await super().publish(letters)


async def test_dead_letters_are_published_before_the_write() -> None:
    store = MemoryViewStore()
    snoop = _SnoopingDeadLetters(store)
    pipeline = MemoryPipeline(store=store, dead_letters=snoop)

    await pipeline.feed(_batch())

    assert (snoop.positions_seen, len(snoop.sent)) == ({}, 1)
    assert await store.positions(GROUP, TOPIC) == {0: 14}


class _BrokenDeadLetters:
    async def publish(self, letters: Sequence[Rejected]) -> None:
        raise ConnectionError("dlq topic unavailable")


async def test_when_dead_letters_cannot_be_published_nothing_is_written() -> None:
    pipeline = MemoryPipeline(dead_letters=_BrokenDeadLetters())

    with pytest.raises(ConnectionError):
        await pipeline.feed(_batch())

    assert await pipeline.store.positions(GROUP, TOPIC) == {}
    assert await pipeline.store.get_order("order-1") is None


class _SaveThenFail:
    """A transaction whose commit is lost after everything was written into it."""

    def __init__(self, inner: ProjectionTransaction) -> None:
        self._inner = inner
        self.view_parts = inner.view_parts

    async def load(self, order_ids: Collection[str]) -> dict[str, OrderSnapshot]:
        return await self._inner.load(order_ids)

    async def save(self, write: BatchWrite) -> None:
        await self._inner.save(write)
        raise ConnectionResetError("connection lost before commit")


class _FailsOnce(MemoryViewStore):
    def __init__(self) -> None:
        super().__init__()
        self.failures_left = 1

    async def in_transaction(self, work: Callable[[Any], Awaitable[T]]) -> T:
        if self.failures_left:
            self.failures_left -= 1
            return await super().in_transaction(lambda tx: work(_SaveThenFail(tx)))
        return await super().in_transaction(work)


async def test_a_failed_transaction_leaves_nothing_written_and_a_retry_applies_once() -> None:
    pipeline = MemoryPipeline(store=_FailsOnce())

    with pytest.raises(ConnectionResetError):
        await pipeline.feed(_batch())

    assert await pipeline.store.positions(GROUP, TOPIC) == {}
    assert await pipeline.store.get_order("order-1") is None
    assert await pipeline.store.stashed_count() == 0
    assert (pipeline.metrics.events, pipeline.metrics.writes) == ({}, [])

    outcome = await pipeline.feed(_batch())

    assert outcome.result.tally.applied_total == 2
    assert await pipeline.store.positions(GROUP, TOPIC) == {0: 14}
    # Dead letters are at-least-once: published again when the batch is retried.
    assert len(pipeline.dead_letters.sent) == 2


async def test_metrics_count_each_decision_and_follow_the_stash() -> None:
    pipeline = MemoryPipeline()
    log = order_log("order-1", item_added("order-1"), status_changed("order-1"))

    no_sequence = record(log[1].value, None, key=b"order-1")
    await pipeline.feed([log[0], log[0], log[2], record(b"{", key=b"x"), no_sequence])
    metrics = pipeline.metrics
    assert metrics.events == {"OrderCreated": 1}
    assert (metrics.duplicates, metrics.out_of_order) == (1, {"late": 0, "gap": 1})
    assert metrics.dead_letters == {"invalid_json": 1, "missing_sequence": 1}
    assert (metrics.stashed, len(metrics.writes)) == (1, 1)

    await pipeline.feed([log[1], log[0]])
    assert metrics.events == {"OrderCreated": 1, "OrderItemAdded": 1, "OrderStatusChanged": 1}
    assert (metrics.duplicates, metrics.out_of_order) == (1, {"late": 1, "gap": 1})
    assert (metrics.stashed, len(metrics.writes)) == (0, 2)


async def test_the_memory_container_projects_into_the_store_it_reads_from() -> None:
    container = build_container(Settings.from_env({}, backend="memory", default_tax_rate="0.5"))

    await container.write_side.project_batch()(order_log("order-1"))

    detail = await container.read_side.get_order()("order-1")
    assert detail.lines[0].gross_line_total == Decimal("15.00")
    metrics = container.write_side.metrics()
    assert isinstance(metrics, MemoryMetrics)
    assert metrics.events == {"OrderCreated": 1}


async def test_an_event_the_projection_fails_on_is_dead_lettered_and_the_rest_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import domain.batch
    from domain.projection import project as real_project

    def project_failing_on_order_7(view: Any, event: Any, *args: Any) -> Any:
        if event.order_id == "order-7":
            raise ArithmeticError("a value the projection cannot take")
        return real_project(view, event, *args)

    monkeypatch.setattr(domain.batch, "project", project_failing_on_order_7)
    pipeline = MemoryPipeline()
    records = with_offsets(
        [
            *order_log("order-1"),
            *order_log("order-7"),
            *order_log("order-2", status_changed("order-2")),
        ],
        start=20,
    )

    outcome = await pipeline.feed(records)

    assert [(r.reason.value, r.record.offset) for r in pipeline.dead_letters.sent] == [
        ("schema_violation", 21)
    ]
    assert "ArithmeticError" in pipeline.dead_letters.sent[0].detail
    assert await pipeline.store.get_order("order-7") is None
    for order_id, sequence in (("order-1", 1), ("order-2", 2)):
        detail = await pipeline.store.get_order(order_id)
        assert detail is not None and detail.view.last_event_sequence == sequence
    assert outcome.records == len(records)
    assert pipeline.metrics.dead_letters == {"schema_violation": 1}
    assert await pipeline.store.positions(GROUP, TOPIC) == {0: 24}


async def test_an_event_reusing_another_orders_last_event_id_is_dead_lettered() -> None:
    pipeline = MemoryPipeline()
    await pipeline.feed(with_offsets([record(order_created("order-1", event_id="evt-1"))]))
    batch = with_offsets(
        [
            record(order_created("order-2", event_id="evt-1")),  # reuses order-1's eventId
            record(order_created("order-3", event_id="evt-3")),
        ],
        start=1,
    )

    outcome = await pipeline.feed(batch)

    assert [(r.reason.value, r.record.offset) for r in outcome.rejected] == [
        ("schema_violation", 1)
    ]
    assert "evt-1" in outcome.rejected[0].detail
    assert await pipeline.store.get_order("order-2") is None
    assert await pipeline.store.get_order("order-3") is not None
    assert outcome.records == len(batch)


async def test_a_stashed_event_reusing_a_taken_event_id_is_dead_lettered_on_release() -> None:
    pipeline = MemoryPipeline()
    await pipeline.feed(with_offsets([record(order_created("order-1", event_id="evt-1"))]))
    # order-2's third event reuses order-1's eventId; it waits in the stash for the second.
    await pipeline.feed(
        with_offsets(
            [
                record(order_created("order-2", event_id="evt-2a")),
                record(status_changed("order-2", "SHIPPED", event_id="evt-1"), 3),
                record(status_changed("order-2", "DELIVERED", event_id="evt-2e"), 5),
            ],
            start=1,
        )
    )
    pipeline.dead_letters.sent.clear()

    outcome = await pipeline.feed(
        with_offsets([record(status_changed("order-2", "PAID", event_id="evt-2b"), 2)], start=4)
    )

    [letter] = pipeline.dead_letters.sent
    assert (letter.reason.value, letter.record.key, letter.record.partition) == (
        "schema_violation",
        b"order-2",
        0,
    )
    assert letter.record.header("x-sequence") == b"3"
    assert b'"eventId":"evt-1"' in (letter.record.value or b"")
    assert "evt-1" in letter.detail and "offset 4" in letter.detail
    view = await pipeline.store.get_order("order-2")
    assert view is not None
    assert (view.view.status, view.view.last_event_sequence) == ("PAID", 2)
    # The refused event left the stash; the one after it waits for its gap, as after any
    # dead letter.
    assert await pipeline.store.stashed_count() == 1
    assert outcome.rejected == () and outcome.records == 1
    assert pipeline.metrics.dead_letters == {"schema_violation": 1}


def _stand_in_for_the_ports(inner: ProjectionTransaction) -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    sink: DeadLetterSink = _BrokenDeadLetters()
    transaction: ProjectionTransaction = _SaveThenFail(inner)
    del sink, transaction
