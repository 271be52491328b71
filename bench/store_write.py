"""Write throughput of the PostgreSQL view store alone, through the ViewStore port.

Each batch is what ProjectBatch does with 1,000 decoded records, without Kafka: one
`in_transaction` that loads the touched orders, applies the batch in memory and saves views,
lines, stash and positions. Records are a mix of creates (1–3 items), item adds, status
changes, duplicates and a few out-of-order events.

    .venv/bin/python bench/store_write.py                       # runs on `streamview stack up`
    .venv/bin/python bench/store_write.py --database-url postgresql://u@host/db --batches 100

The bench works in a scratch database `<db>_bench` on the same server (created, then
dropped), so it never touches the views of a running StreamView.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))

from store_write_events import MixedEvents

from adapters.postgres.migrations import migrate
from adapters.postgres.pool import make_pool
from adapters.postgres.store import PostgresViewStore
from application.ports import BatchWrite, Position, ProjectionTransaction
from domain.batch import apply_batch


async def run(database_url: str, batches: int, batch_size: int, warmup: int) -> None:
    pool = make_pool(database_url, min_size=1, max_size=2)
    await pool.open(wait=True)
    store, events = PostgresViewStore(pool), MixedEvents(seed=7)
    seconds: list[float] = []
    offset = 0
    try:
        for number in range(warmup + batches):
            batch = events.batch(batch_size)
            order_ids = {e.order_id for e in batch}
            positions = (Position("orders.events", 0, offset + len(batch)),)
            offset += len(batch)

            async def work(tx: ProjectionTransaction, batch=batch, ids=order_ids, p=positions):
                result = apply_batch(await tx.load(ids), batch)
                await tx.save(BatchWrite("bench", result, p))

            started = time.perf_counter()
            await store.in_transaction(work)
            if number >= warmup:
                seconds.append(time.perf_counter() - started)
    finally:
        await pool.close()
    total = sum(seconds)
    print(f"{batches} batches of {batch_size} records ({warmup} warm-up batches not counted)")
    print(f"  throughput: {batches * batch_size / total:,.0f} records/s")
    print(
        f"  per batch: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"p95 {sorted(seconds)[int(len(seconds) * 0.95) - 1] * 1000:.1f} ms"
    )
    print(f"  mix: {events.describe()}")


async def scratch_database(server_url: str) -> str:
    """Create `<db>_bench` (fresh) on the server of `server_url`, migrated; return its URL."""
    parts = urlsplit(server_url)
    name = f"{parts.path.lstrip('/') or 'streamview'}_bench"
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
        await admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = parts._replace(path=f"/{name}").geturl()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await migrate(conn)
    return url


async def drop_database(server_url: str, scratch_url: str) -> None:
    name = urlsplit(scratch_url).path.lstrip("/")
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
        await admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("STREAMVIEW_DATABASE_URL"),
        help="a server to run on (default: STREAMVIEW_DATABASE_URL, else the "
        "local stack, started if needed)",
    )
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    stack = None
    server_url = args.database_url
    if server_url is None:
        from devtools.localstack import LocalStack, StackConfig

        stack = LocalStack(StackConfig.from_env(), report=print)
        server_url = stack.up().database_url
    try:
        scratch = asyncio.run(scratch_database(server_url))
        try:
            asyncio.run(run(scratch, args.batches, args.batch_size, args.warmup))
        finally:
            asyncio.run(drop_database(server_url, scratch))
    finally:
        if stack is not None:
            stack.down(only=stack.started)


if __name__ == "__main__":
    main()
