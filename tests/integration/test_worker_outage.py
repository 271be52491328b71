"""The database goes away in the middle of an ingest: the worker pauses (and stays in its
group), retries with backoff, and resumes from the stored position when it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg import sql

from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, generate
from entrypoints.container import Container
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    expected_views,
    running_worker,
    stored_at_least,
    stored_views,
    topic_holding,
    worker_settings,
)


def fail_fast(container: Container) -> None:
    # The store retries a few times before giving up; a short pool timeout keeps the outage
    # needed to exhaust those retries (and reach the worker's own backoff) short.
    container.infrastructure.postgres_pool().timeout = 1.0


async def test_a_database_outage_pauses_the_worker_until_it_is_back(
    stack_endpoints, database_url, new_topic, group_id
) -> None:
    topic = new_topic(partitions=2)
    bootstrap = stack_endpoints.kafka_bootstrap
    records = generate(GeneratorOptions(orders=4_000, seed=9))
    log = await topic_holding(bootstrap, database_url, topic, records)
    settings = worker_settings(bootstrap, database_url, topic, group_id, batch_max_records=500)
    database = database_url.rsplit("/", 1)[1]

    async with running_worker(settings, fail_fast) as worker:
        status = worker.container.write_side.consumer_status()
        await stored_at_least(database_url, group_id, topic, len(log) / 5)
        async with _database_down(stack_endpoints.admin_database_url, database):
            async with asyncio.timeout(120):
                while status.state is not ConsumerState.PAUSED:
                    await asyncio.sleep(0.05)
        await caught_up(database_url, group_id, topic, ends_of(log))
        state_after = status.state
        duplicates = worker.metric("streamview_duplicates_total")

    assert state_after is ConsumerState.RUNNING
    assert duplicates == 0
    assert await stored_views(database_url) == await expected_views(log)


@asynccontextmanager
async def _database_down(admin_url: str, database: str) -> AsyncIterator[None]:
    """No new connections to `database`, and its open ones cut, until the block ends."""
    name = sql.Identifier(database)
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )
        try:
            yield
        finally:
            await admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
