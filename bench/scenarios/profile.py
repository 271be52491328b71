"""The ingest path under py-spy: one more drain of the loaded topic, profiled (bench.profiling)."""

from __future__ import annotations

import asyncio

from bench import database, loading, profiling
from bench.context import BenchContext
from bench.scenarios import ingest
from bench.services import Service


async def run(ctx: BenchContext) -> dict:
    topic = await ingest.loaded_topic(ctx)
    url = await database.migrated(ctx.new_database("profile"))
    env = ctx.service_env(url, topic.name, ingest.GROUP, ingest.WORKER_PORT)
    worker = Service("worker-profile", ["consume"], env, ctx.work_dir)
    collapsed = ctx.work_dir / "worker-profile.collapsed"
    spy = None
    try:
        await asyncio.sleep(1.0)  # let the interpreter start before py-spy attaches
        spy = profiling.start(worker.process.pid, collapsed)
        if spy is None:
            return {"skipped": "py-spy is not installed (pip install py-spy)"}
        drained = await loading.wait_until_drained(
            url,
            ingest.GROUP,
            topic.name,
            topic.targets,
            timeout=max(120.0, topic.records / 2000),
            alive=worker.check_alive,
        )
    finally:
        if spy is not None:
            profiling.stop(spy)
        worker.stop()
    seconds = drained.drained - worker.started_at
    return {
        "records": topic.records,
        "records_per_s_profiled": round(topic.records / seconds),
        **profiling.summarize(collapsed),
    }
