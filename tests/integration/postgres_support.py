"""Helpers of the PostgreSQL adapter tests: a migrated pool, table dumps, projecting batches."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from adapters.postgres.migrations import migrate
from adapters.postgres.pool import make_pool
from application.ports import BatchWrite, Position, ProjectionTransaction, ViewStore
from devtools.localstack.config import StackConfig
from devtools.localstack.os_user import as_user
from devtools.localstack.postgres import PostgresNode
from domain.batch import BatchResult, apply_batch
from domain.records import Envelope
from tests.support.processes import free_port

TABLES = ("orders_view", "order_items_view", "order_stash", "consumer_positions")


async def migrate_database(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await migrate(conn)


@asynccontextmanager
async def open_pool(database_url: str, migrated: bool = True) -> AsyncIterator[AsyncConnectionPool]:
    if migrated:
        await migrate_database(database_url)
    pool = make_pool(database_url, min_size=1, max_size=4)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def unreachable_pool() -> AsyncIterator[AsyncConnectionPool]:
    """A pool of a database that is away: nothing listens on port 1, so every connection
    attempt is refused and every checkout ends in the pool's timeout."""
    pool = make_pool("postgresql://streamview@127.0.0.1:1/none", 1, 1, timeout_ms=500)
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()


async def dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the store writes, projected_at and updated_at included."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return {
            table: await (await conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3")).fetchall()
            for table in TABLES
        }


async def project(
    store: ViewStore,
    envelopes: Sequence[Envelope],
    positions: Sequence[Position] = (),
    group: str = "g",
) -> BatchResult:
    """What ProjectBatch does with a batch of decoded records, without Kafka."""

    async def work(tx: ProjectionTransaction) -> BatchResult:
        result = apply_batch(await tx.load({e.order_id for e in envelopes}), envelopes)
        await tx.save(BatchWrite(group, result, tuple(positions)))
        return result

    return await store.in_transaction(work)


async def execute(database_url: str, statement: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(statement)


@contextmanager
def disposable_postgres_node() -> Iterator[PostgresNode]:
    """A PostgreSQL server of one test alone, so that it can be crashed and started again."""
    state_dir = Path(f"/var/tmp/streamview-disposable-pg-{uuid.uuid4().hex[:8]}")
    config = StackConfig.from_env(
        env={},
        state_dir=state_dir,
        postgres_port=free_port(),
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
    )
    node = PostgresNode(config, report=lambda _: None)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


def crash(node: PostgresNode) -> None:
    """`pg_ctl stop -m immediate`: every server process quits at once, as in a crash."""
    pg_ctl = node.binaries().tool("pg_ctl")
    argv = [pg_ctl, "stop", "-D", str(node.data_dir), "-m", "immediate", "-w"]
    subprocess.run(as_user(node.os_user, argv), check=True, capture_output=True)
