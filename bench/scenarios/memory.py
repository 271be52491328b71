"""Scenario 6 on its own: the worker's peak RSS while it drains the loaded topic.

`bench all` takes this figure from scenario 1's worker instead of draining the topic twice.
"""

from __future__ import annotations

from bench.context import BenchContext
from bench.scenarios import ingest


async def run(ctx: BenchContext) -> dict:
    url, figures, worker = await ingest.drain_with_worker(ctx, "memory")
    exit_code = worker.stop()
    if ctx.ingest_database is None:
        ctx.ingest_database = url
    return {
        "worker_peak_rss_mb": round(worker.peak_rss / 2**20, 1),
        "records": figures["records"],
        "records_per_s": figures["records_per_s"],
        "worker_exit_code": exit_code,
    }
