"""The rebuild's Postgres adapters against a real database (the topic is in memory here; the
whole pipeline with Kafka and the API is in test_rebuild.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.topic import MemoryTopic
from adapters.postgres.pool import make_pool
from adapters.postgres.rebuilds import PostgresRebuildLog
from adapters.postgres.shadow import SHADOW, PostgresShadowViews
from adapters.postgres.store import PostgresViewStore
from adapters.tracing.null_spans import NullSpans
from application.consuming import RebuildAwareStatus
from application.ports import ConsumerState
from application.projecting import ProjectBatch
from application.rebuild.live_gate import LiveGate
from application.rebuild.model import RebuildMode, RebuildState
from application.rebuild.requests import StartRebuild
from application.rebuild.runner import RebuildSettings, RunRebuild
from devtools.generator import GeneratorOptions, generate
from tests.contracts.rebuild_log import RebuildLogContract, claimed
from tests.integration.postgres_support import execute, migrate_database, open_pool
from tests.integration.rebuild_support import leftover_shadow_tables
from tests.integration.worker_support import memory_views, project_in_memory, stored_views
from tests.support.events import order_created, record, status_changed
from tests.unit.rebuild_harness import ObservedReplay

TOPIC, GROUP, REPLAY_GROUP = "orders.events", "streamview-orders", "streamview-orders#rebuild"
LIVE_TABLES = ("orders_view", "order_items_view", "order_stash")


class TestPostgresRebuildLog(RebuildLogContract):
    @pytest.fixture
    async def log(self, database_url: str) -> AsyncIterator[PostgresRebuildLog]:
        async with open_pool(database_url) as pool:
            yield PostgresRebuildLog(pool, stale_after_seconds=0.3)

    async def let_time_pass(self, log: PostgresRebuildLog) -> None:  # type: ignore[override]
        await asyncio.sleep(0.4)


async def content(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The live tables without the columns that say when a row was written."""
    queries = {
        "orders": "SELECT * FROM orders_view ORDER BY order_id",
        "lines": "SELECT * FROM order_items_view ORDER BY order_id, line_no",
        "stash": "SELECT order_id, sequence, envelope FROM order_stash ORDER BY 1, 2",
        "positions": "SELECT consumer_group, topic, partition, next_offset"
        " FROM consumer_positions ORDER BY 1, 2, 3",
    }
    async with await psycopg.AsyncConnection.connect(url) as conn:
        dumped = {name: await (await conn.execute(q)).fetchall() for name, q in queries.items()}  # type: ignore[arg-type]
    # projected_at (the last column of orders_view) is the one column a rebuild may change
    dumped["orders"] = [row[:-1] for row in dumped["orders"]]
    return dumped


async def catalog(url: str) -> list[tuple[Any, ...]]:
    """Tables, their indexes and constraints by name and definition, and their grants."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT 'index', indrelid::regclass::text, indexrelid::regclass::text,"
            " pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid::regclass::text LIKE ANY(%(t)s)"
            " UNION ALL SELECT 'constraint', conrelid::regclass::text, conname,"
            " pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text LIKE ANY(%(t)s)"
            " UNION ALL SELECT 'grant', table_name, grantee, privilege_type"
            " FROM information_schema.table_privileges WHERE table_name LIKE ANY(%(t)s)"
            " AND grantee = 'PUBLIC' ORDER BY 1, 2, 3, 4",
            {"t": ["orders_view%", "order_items_view%", "order_stash%"]},
        )
        return await cursor.fetchall()


def filled_topic(orders: int = 400, partitions: int = 3) -> MemoryTopic:
    topic = MemoryTopic(TOPIC, partitions)
    options = GeneratorOptions(
        orders=orders, duplicate_fraction=0.05, reorder_fraction=0.05, poison_fraction=0.01
    )
    for generated in generate(options):
        topic.append(generated.key, generated.value, generated.headers)
    return topic


class ElsewhereWorker:
    """The LiveWorker of a process whose live worker runs in another process: nothing to
    pause here, so only the swap's locks hold that worker."""

    @asynccontextmanager
    async def paused(self, reposition: bool = False) -> AsyncIterator[None]:
        yield


class Pipeline:
    """Live views fed from a MemoryTopic, and a rebuild runner over the Postgres adapters."""

    def __init__(self, pool: Any, topic: MemoryTopic, live_worker: Any = None) -> None:
        self.topic = topic
        self.live = PostgresViewStore(pool)
        self.status = RebuildAwareStatus()
        self.gate = LiveGate(self._project(self.live, GROUP), self.status)
        self.log = PostgresRebuildLog(pool)
        self.shadow = PostgresShadowViews(pool, GROUP, REPLAY_GROUP, TOPIC)
        self.replay = ObservedReplay(topic, batch_records=500)
        self.run = RunRebuild(
            self.log,
            self.shadow,
            self.replay.opener(),
            self._project(PostgresViewStore(pool, SHADOW), REPLAY_GROUP),
            self._project(self.live, GROUP),
            self.live,
            live_worker or self.gate,
            RebuildSettings(GROUP, TOPIC, heartbeat_seconds=0.05, poll_seconds=0.01),
        )

    @staticmethod
    def _project(store: PostgresViewStore, group: str) -> ProjectBatch:
        return ProjectBatch(store, MemoryDeadLetters(), MemoryMetrics(), NullSpans(), group)

    async def consume(self) -> None:
        positions = await self.live.positions(GROUP, TOPIC)
        for partition in range(self.topic.partitions):
            offset = positions.get(partition, 0)
            while records := self.topic.read(partition, offset, 500):
                await self.gate(records)
                offset += len(records)

    async def rebuild(self, mode: RebuildMode = RebuildMode.BLUE_GREEN) -> RebuildState:
        requested = await StartRebuild(self.log, allowed=True)(mode)
        rebuild = await self.log.claim("worker-1")
        assert rebuild is not None and rebuild.rebuild_id == requested.rebuild_id
        return await self.run(rebuild)


@pytest.fixture
async def pipeline(database_url: str) -> AsyncIterator[Pipeline]:
    async with open_pool(database_url) as pool:
        pipeline = Pipeline(pool, filled_topic())
        await pipeline.consume()
        yield pipeline


async def test_swap_reproduces_the_views_with_the_same_indexes_and_grants(
    database_url: str, pipeline: Pipeline
) -> None:
    await execute(database_url, "GRANT SELECT ON orders_view, order_items_view TO PUBLIC")
    before, shape = await content(database_url), await catalog(database_url)
    assert len(before["orders"]) == 400 and before["stash"] == []

    assert await pipeline.rebuild() is RebuildState.SUCCEEDED

    assert await content(database_url) == before
    assert await catalog(database_url) == shape  # no _shadow name left anywhere
    assert pipeline.status.state is ConsumerState.STARTING  # the worker was given back


async def test_inplace_rebuild_on_postgres(database_url: str, pipeline: Pipeline) -> None:
    before = await content(database_url)

    assert await pipeline.rebuild(RebuildMode.INPLACE) is RebuildState.SUCCEEDED

    assert await content(database_url) == before


async def test_a_failure_midway_drops_the_shadow_tables_and_keeps_the_live_ones(
    database_url: str, pipeline: Pipeline
) -> None:
    before, shape = await content(database_url), await catalog(database_url)

    async def drop_a_shadow_table(batch: int) -> None:
        if batch == 2:  # a permanent database error in the middle of the replay
            await execute(database_url, "DROP TABLE order_items_view_shadow")

    pipeline.replay.after_batch = drop_a_shadow_table
    assert await pipeline.rebuild() is RebuildState.FAILED

    assert await content(database_url) == before
    assert await catalog(database_url) == shape
    pipeline.replay.after_batch = None
    assert await pipeline.rebuild() is RebuildState.SUCCEEDED  # the next one works
    assert await content(database_url) == before


async def test_a_swap_whose_rebuild_is_no_longer_swapping_rolls_back_whole(
    database_url: str, pipeline: Pipeline
) -> None:
    before = await content(database_url)
    rebuild = await claimed(pipeline.log, "r1")
    await pipeline.shadow.create()
    await pipeline.shadow.complete()

    with pytest.raises(RuntimeError, match="no longer SWAPPING"):
        async with pipeline.shadow.swap() as session:
            await session.swap({0: 1, 1: 1, 2: 1}, rebuild.rebuild_id)  # still RUNNING

    assert await content(database_url) == before
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT to_regclass('orders_view_shadow') IS NOT NULL")
        assert await cursor.fetchone() == (True,)  # still there, for drop() to remove
    await pipeline.shadow.drop()


async def test_a_worker_in_another_process_is_held_by_the_swap_and_goes_on_after_it(
    database_url: str,
) -> None:
    await migrate_database(database_url)
    pool = make_pool(database_url, min_size=1, max_size=10)
    await pool.open(wait=True)
    try:
        topic = filled_topic(orders=300)
        pipeline = Pipeline(pool, topic, live_worker=ElsewhereWorker())
        await pipeline.consume()
        produced = itertools.count()

        async def the_other_process() -> None:
            while True:  # new orders keep coming and being projected, swap or not
                n = next(produced)  # a seed of its own, or the event ids would repeat
                options = GeneratorOptions(orders=3, order_prefix=f"x{n}", seed=1000 + n)
                for record in generate(options):
                    topic.append(record.key, record.value, record.headers)
                await pipeline.consume()
                await asyncio.sleep(0.002)

        other = asyncio.create_task(the_other_process())
        try:
            assert await pipeline.rebuild() is RebuildState.SUCCEEDED
            await asyncio.sleep(0.2)  # and it goes on after the swap
        finally:
            other.cancel()
            await asyncio.gather(other, return_exceptions=True)
        await pipeline.consume()

        log = [r for p in range(topic.partitions) for r in topic.read(p, 0, 10**6)]
        expected = await memory_views(await project_in_memory(log))
        assert await stored_views(database_url) == expected
        assert next(produced) > 10  # it did produce during the rebuild
    finally:
        await pool.close()


async def test_a_reused_event_id_is_refused_in_the_replay_as_it_was_live(
    database_url: str,
) -> None:
    """The shadow tables have the live tables' unique constraints from the start: a topic
    where an order reuses another's last eventId rebuilds to the views the live worker made
    (the clashing event refused in both), rather than failing on the constraint at the end."""
    topic = MemoryTopic(TOPIC, 1)
    clash = [
        record(order_created("order-1", event_id="evt-1")),
        record(order_created("order-2", event_id="evt-2a")),
        record(status_changed("order-2", "PAID", event_id="evt-1"), 2),  # order-1's last
    ]
    for r in clash:
        topic.append(r.key, r.value, r.headers)
    async with open_pool(database_url) as pool:
        pipeline = Pipeline(pool, topic)
        await pipeline.consume()
        before = await content(database_url)
        assert [(row[0], row[2]) for row in before["orders"]] == [
            ("order-1", "CREATED"),
            ("order-2", "CREATED"),  # its PAID refused
        ]

        assert await pipeline.rebuild() is RebuildState.SUCCEEDED

        assert await content(database_url) == before
        assert await leftover_shadow_tables(database_url) == []
