"""A rebuild's whole world in memory: a topic, live views fed by a live worker through its
gate, the in-memory rebuild adapters (watched by tests), and a rebuild runner over them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.replay import MemoryTopicReplay
from adapters.memory.shadow import MemoryShadowViews
from adapters.memory.topic import MemoryTopic
from adapters.memory.views import MemoryViewStore
from adapters.tracing.null_spans import NullSpans
from application.consuming import RebuildAwareStatus
from application.errors import LiveViewsRewritten
from application.ports import ConsumerState, ListQuery, OrderDetail, OrderFilters, Sort, SortField
from application.projecting import BatchOutcome, ProjectBatch
from application.rebuild.live_gate import LiveGate
from application.rebuild.model import Rebuild, RebuildMode
from application.rebuild.replaying import RebuildRun, Replayer
from application.rebuild.requests import StartRebuild
from application.rebuild.runner import RebuildSettings, RunRebuild
from devtools.generator import GeneratorOptions, generate
from domain.records import RawRecord

TOPIC = "orders.events"
GROUP = "streamview-orders"
REPLAY_GROUP = f"{GROUP}#rebuild"


class ManualClock:
    """A MemoryRebuildLog's clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class RecordingShadowViews(MemoryShadowViews):
    """The in-memory shadow views, telling what was done to them; `fail_swap` breaks the
    swap where the database would (inside its transaction)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.events: list[str] = []
        self.fail_swap = False

    async def create(self) -> None:
        await super().create()
        self.events.append("create")

    async def complete(self) -> None:
        await super().complete()
        self.events.append("complete")

    async def drop(self) -> None:
        existed = self.exists
        await super().drop()
        if existed:
            self.events.append("drop")

    async def clear_live(self) -> None:
        await super().clear_live()
        self.events.append("clear_live")

    def _swap_in(self, positions: Mapping[int, int], rebuild_id: str) -> None:
        if self.fail_swap:
            raise RuntimeError("swap failed")
        super()._swap_in(positions, rebuild_id)
        self.events.append(f"swap {rebuild_id}")


class ObservedReplay(MemoryTopicReplay):
    """The in-memory replay in small batches, counted; `after_batch` runs after each one
    (tests produce or cancel there), and a short sleep lets the other tasks (live worker,
    heartbeat) run between batches as real I/O would. `first_offsets` plays retention."""

    def __init__(self, topic: MemoryTopic, batch_records: int = 7) -> None:
        super().__init__(topic, batch_records)
        self.first_offsets: dict[int, int] = {}
        self.batches = 0
        self.after_batch: Callable[[int], Awaitable[None]] | None = None

    async def bounds(self) -> tuple[dict[int, int], dict[int, int]]:
        first, ends = await super().bounds()
        return first | self.first_offsets, ends

    async def read(
        self, start: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[Sequence[RawRecord]]:
        async for records in super().read(start, until):
            yield records
            self.batches += 1
            if self.after_batch is not None:
                await self.after_batch(self.batches)
            await asyncio.sleep(0.001)


async def dump(store: MemoryViewStore) -> tuple[list[OrderDetail | None], int]:
    """Every order with its lines, and the stash size: what a rebuild must reproduce."""
    query = ListQuery(OrderFilters(), Sort(SortField.ORDER_ID, descending=False), limit=10**9)
    details = [await store.get_order(view.order_id) for view in await store.list_orders(query)]
    return details, await store.stashed_count()


class Harness:
    """A topic, live views fed by a live worker through its gate, and a rebuild runner."""

    def __init__(self, partitions: int = 3, bulk: Any = None, **settings: Any) -> None:
        self.topic = MemoryTopic(TOPIC, partitions)
        self.live = MemoryViewStore()
        self.shadow_store = MemoryViewStore()
        self.log = MemoryRebuildLog()
        self.shadow = RecordingShadowViews(self.live, self.shadow_store, self.log, GROUP, TOPIC)
        self.replay = ObservedReplay(self.topic)
        self.status = RebuildAwareStatus()
        self.status.state = ConsumerState.RUNNING
        self.live_metrics = MemoryMetrics()
        self.replay_letters = MemoryDeadLetters()
        live_project = ProjectBatch(
            self.live,
            MemoryDeadLetters(),
            self.live_metrics,
            NullSpans(),
            GROUP,
        )
        self.gate = LiveGate(live_project, self.status)
        self.replay_failure: Callable[[int], None] | None = None
        self.run = RunRebuild(
            self.log,
            self.shadow,
            self.replay.opener(),
            self._project_shadow,
            self._project_inplace,
            self.live,
            self.gate,
            RebuildSettings(
                GROUP,
                TOPIC,
                **{"heartbeat_seconds": 0.002, "poll_seconds": 0.002, "catch_up_slack": 5}
                | settings,
            ),
            bulk,
        )
        self._sequence = itertools.count()
        self._fetching: dict[int, int] | None = None  # the live worker's next offsets

    def _replay_project(self, store: MemoryViewStore, group: str) -> ProjectBatch:
        return ProjectBatch(store, self.replay_letters, MemoryMetrics(), NullSpans(), group)

    async def _project_shadow(self, records: Sequence[RawRecord]) -> BatchOutcome:
        if self.replay_failure is not None:
            self.replay_failure(self.replay.batches)
        return await self._replay_project(self.shadow_store, REPLAY_GROUP)(records)

    async def _project_inplace(self, records: Sequence[RawRecord]) -> BatchOutcome:
        return await self._replay_project(self.live, GROUP)(records)

    def produce(self, orders: int, **options: Any) -> int:
        """Append generated order histories (with imperfections) to the topic."""
        generated = GeneratorOptions(
            orders=orders,
            seed=next(self._sequence),
            order_prefix=f"o{next(self._sequence)}",
            **{"duplicate_fraction": 0.05, "reorder_fraction": 0.05, "poison_fraction": 0.02}
            | options,
        )
        count = 0
        for record in generate(generated):
            self.topic.append(record.key, record.value, record.headers)
            count += 1
        return count

    async def consume(self) -> int:
        """One pass of the live worker over every partition; returns the records projected.

        Like the Kafka consumer, it remembers where it is and reads the stored positions
        only at start and when told to seek again.
        """
        if self._fetching is None:
            self._fetching = await self.live.positions(GROUP, TOPIC)
        projected = 0
        for partition in range(self.topic.partitions):
            records = self.topic.read(partition, self._fetching.get(partition, 0), 50)
            if records:
                try:
                    await self.gate(records)
                except LiveViewsRewritten:
                    self._fetching = None
                    return projected
                self._fetching[partition] = records[-1].offset + 1
                projected += len(records)
        return projected

    async def catch_up(self) -> None:
        while await self.consume():
            pass

    @contextlib.asynccontextmanager
    async def live_worker(self) -> AsyncIterator[None]:
        """The live worker running in the background, as in the worker process."""

        async def loop() -> None:
            while True:
                if not await self.consume():
                    await asyncio.sleep(0.001)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def request(self, mode: RebuildMode = RebuildMode.BLUE_GREEN) -> Rebuild:
        await StartRebuild(self.log, allowed=True)(mode)
        claimed = await self.log.claim("worker-1")
        assert claimed is not None
        return claimed


async def reference(topic: MemoryTopic) -> tuple[MemoryViewStore, MemoryMetrics]:
    """The views of the whole topic projected once from scratch, partition after partition."""
    store, metrics = MemoryViewStore(), MemoryMetrics()
    project = ProjectBatch(store, MemoryDeadLetters(), metrics, NullSpans(), "reference")
    ends = await topic.end_offsets(topic.name)
    for partition, end in ends.items():
        for offset in range(0, end, 500):
            await project(topic.read(partition, offset, 500))
    return store, metrics


class ElsewhereReplay:
    """Implements BulkReplay the way the child process does it: its own Replayer, progress
    reported as it goes, stopping once cancelled."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.progress_seen: list[int] = []

    async def __call__(
        self,
        start: Mapping[int, int],
        until: Mapping[int, int],
        progress: Callable[[int], None],
        cancelled: Callable[[], bool],
    ) -> None:
        h = self.harness
        run = RebuildRun(
            Rebuild(rebuild_id="-", mode=RebuildMode.BLUE_GREEN, requested_at=datetime.now(UTC))
        )
        replaying = asyncio.create_task(
            Replayer(h.replay, h._project_shadow, run, lanes=2).between(dict(start), until)
        )
        while not replaying.done():
            if cancelled():
                replaying.cancel()
                return
            progress(run.events_replayed)
            self.progress_seen.append(run.events_replayed)
            await asyncio.sleep(0.001)
        replaying.result()
        progress(run.events_replayed)
