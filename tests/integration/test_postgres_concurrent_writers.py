"""Two writers on the same order (a zombie consumer after a rebalance): no view moves back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from adapters.postgres.store import PostgresViewStore
from application.ports import BatchWrite, Position, ProjectionTransaction
from domain.batch import apply_batch
from domain.records import Envelope
from tests.contracts.view_store_data import created, item_added, status_changed
from tests.integration.postgres_support import open_pool, project

EVENTS = [created("o-1", 1, "10.00", "0"), item_added("o-1", 2), status_changed("o-1", 3, "PAID")]


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[PostgresViewStore, PostgresViewStore]]:
    async with open_pool(database_url) as zombie_pool, open_pool(database_url) as live_pool:
        zombie, live = PostgresViewStore(zombie_pool), PostgresViewStore(live_pool)
        await project(live, EVENTS[:1], [Position("t", 0, 1)])
        yield zombie, live


async def _pausing_write(
    store: PostgresViewStore,
    envelopes: list[Envelope],
    offset: int,
    loaded: asyncio.Event,
    resume: asyncio.Event,
    before_save: bool,
) -> None:
    """Project `envelopes`, pausing after the load (before_save) or after the save."""

    async def work(tx: ProjectionTransaction) -> None:
        result = apply_batch(await tx.load({"o-1"}), envelopes)
        loaded.set()
        if before_save:
            await resume.wait()
        await tx.save(BatchWrite("g", result, (Position("t", 0, offset),)))
        if not before_save:
            await resume.wait()

    await store.in_transaction(work)


async def test_a_writer_that_saves_after_a_newer_commit_loses(
    stores: tuple[PostgresViewStore, PostgresViewStore],
) -> None:
    zombie, live = stores
    loaded, resume = asyncio.Event(), asyncio.Event()
    behind = asyncio.create_task(_pausing_write(zombie, EVENTS[1:2], 2, loaded, resume, True))
    await asyncio.wait_for(loaded.wait(), 30)  # the zombie has read the order at sequence 1

    await project(live, EVENTS[1:], [Position("t", 0, 3)])
    resume.set()
    await asyncio.wait_for(behind, 30)

    await _assert_order_at_sequence_3(live)


async def test_a_writer_blocked_behind_a_newer_uncommitted_write_loses(
    stores: tuple[PostgresViewStore, PostgresViewStore], database_url: str
) -> None:
    zombie, live = stores
    loaded, resume = asyncio.Event(), asyncio.Event()
    ahead = asyncio.create_task(_pausing_write(live, EVENTS[1:], 3, loaded, resume, False))
    await asyncio.wait_for(loaded.wait(), 30)  # the live writer holds the row, uncommitted

    behind = asyncio.create_task(project(zombie, EVENTS[1:2], [Position("t", 0, 2)]))
    await asyncio.wait_for(_until_a_backend_waits_for_a_lock(database_url), 30)
    resume.set()
    await asyncio.wait_for(asyncio.gather(ahead, behind), 30)

    await _assert_order_at_sequence_3(live)


async def _assert_order_at_sequence_3(store: PostgresViewStore) -> None:
    detail = await store.get_order("o-1")
    assert detail is not None
    assert (detail.view.last_event_sequence, detail.view.status) == (3, "PAID")
    assert [line.line_no for line in detail.lines] == [1, 2]
    assert detail.view.total_net == sum(line.net_line_total for line in detail.lines)
    assert await store.positions("g", "t") == {0: 3}


async def _until_a_backend_waits_for_a_lock(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while True:
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = await cursor.fetchone()
            if row and row[0] > 0:
                return
            await asyncio.sleep(0.02)
