"""What the read-side scenarios share: a loaded database, and one API process over it."""

from __future__ import annotations

from bench import amplify
from bench.context import BenchContext
from bench.ports import free_port
from bench.scenarios import ingest
from bench.services import Service

API_PORT = free_port()  # one API process per benchmark run


async def ingested_database(ctx: BenchContext) -> str:
    """The database scenario 1 filled (filled now if scenario 1 did not run in this call)."""
    if ctx.ingest_database is None:
        url, _, worker = await ingest.drain_with_worker(ctx, "ingest")
        worker.stop()
        ctx.ingest_database = url
    return ctx.ingest_database


async def read_database(ctx: BenchContext) -> str:
    """The ingested database grown to `read_orders` orders (once per run)."""
    url = await ingested_database(ctx)
    if ctx.amplified is None:
        ctx.amplified = await amplify.amplify(url, ctx.sizes.orders, ctx.sizes.read_orders)
    return url


async def api(ctx: BenchContext) -> Service:
    """`streamview serve` over the read database, started once and kept for later scenarios."""
    if ctx.api is None or ctx.api.process.poll() is not None:
        url = await read_database(ctx)
        assert ctx.loaded is not None
        env = ctx.service_env(url, ctx.loaded.name, ingest.GROUP, API_PORT)
        ctx.api = Service("api", ["serve"], env, ctx.work_dir)
        ctx.api.wait_http(f"http://127.0.0.1:{API_PORT}/health/live")
    return ctx.api
