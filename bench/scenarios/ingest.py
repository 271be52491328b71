"""Scenario 1 (ingest) and 6 (worker memory), with the baselines run on the same topic.

1M events (200k orders x 5, 5% duplicates, 5% reordered) are put on a new topic first; then
one `streamview consume` process drains it into a new database, and the clock runs from the
process start until every stored position reaches the topic's end (lag 0). The ceilings and
the naive design read the same topic.
"""

from __future__ import annotations

from bench import cpu, database, loading
from bench.baselines import connect, naive, raw_consume, raw_copy
from bench.context import BenchContext, LoadedTopic
from bench.scenarios import ingest_avro
from bench.services import Service

GROUP = "bench-ingest"
WORKER_PORT = 28180  # the worker serves only metrics; kept off the usual ports


async def loaded_topic(ctx: BenchContext) -> LoadedTopic:
    """The topic of scenario 1, produced once per run."""
    if ctx.loaded is None:
        name = ctx.new_topic("events", ctx.sizes.partitions)
        produced = await loading.produce_dataset(
            ctx.kafka_bootstrap, name, loading.dataset(ctx.sizes)
        )
        targets = await loading.end_offsets(ctx.kafka_bootstrap, name)
        ctx.loaded = LoadedTopic(name, targets, produced)
    return ctx.loaded


async def drain_with_worker(ctx: BenchContext, purpose: str) -> tuple[str, dict, Service]:
    """A new database, and one worker that drains the whole topic into it (left running)."""
    topic = await loaded_topic(ctx)
    url = await database.migrated(ctx.new_database(purpose))
    env = ctx.service_env(url, topic.name, GROUP, WORKER_PORT)
    before = cpu.snapshot(set())
    worker = Service(f"worker-{purpose}", ["consume"], env, ctx.work_dir)
    try:
        drained = await loading.wait_until_drained(
            url,
            GROUP,
            topic.name,
            topic.targets,
            timeout=max(120.0, topic.records / 2000),
            alive=worker.check_alive,
        )
        used = cpu.usage(before, cpu.snapshot(worker.pids()))
    except BaseException:
        worker.stop()
        raise
    total = drained.drained - worker.started_at
    steady = drained.drained - drained.first_progress
    figures = {
        "records": topic.records,
        "seconds": round(total, 2),
        "records_per_s": round(topic.records / total),
        "events_per_s": round(ctx.sizes.events / total),  # distinct events, no duplicates
        "startup_s": round(drained.first_progress - worker.started_at, 2),
        "steady_records_per_s": round(topic.records / steady) if steady > 0 else None,
        "cpu": used,
    }
    return url, figures, worker


async def run(ctx: BenchContext) -> dict:
    sizes = ctx.sizes
    topic = await loaded_topic(ctx)
    consume = await raw_consume.run(ctx.kafka_bootstrap, topic.name, topic.targets, timeout=600)

    url, streamview, worker = await drain_with_worker(ctx, "ingest")
    exit_code = worker.stop()
    ctx.ingest_database = url
    totals = await database.view_totals(url)

    copy = await raw_copy.run(url, rows=topic.records)
    naive_url = await database.migrated(ctx.new_database("naive"))
    naive_events = min(sizes.naive_events, topic.records)
    slow = await naive.run(ctx.kafka_bootstrap, topic.name, naive_url, naive_events, timeout=300)
    return {
        "events": sizes.events,
        "produce": topic.produced,
        "streamview": {**streamview, "worker_exit_code": exit_code},
        "views": totals,
        "expected_views": {"orders": sizes.orders, "applied_events": sizes.events},
        "naive": slow,
        "speedup_vs_naive": round(streamview["records_per_s"] / slow["events_per_s"], 1),
        "ceiling_raw_consume": consume,
        "ceiling_raw_copy": copy,
        "fraction_of_consume_ceiling": round(
            streamview["records_per_s"] / consume["messages_per_s"], 2
        ),
        "kafka_connect": await connect.run(ctx),
        "memory": {"worker_peak_rss_mb": round(worker.peak_rss / 2**20, 1)},
        "avro": await ingest_avro.run(ctx),
    }
