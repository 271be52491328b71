"""Scenario 1's Avro run: the same events, registry-framed as Avro (Confluent wire format),
drained by one worker that reads its writer schemas from the run's schema registry. Reported
beside the bare JSON run of scenario 1."""

from __future__ import annotations

from bench import database, loading
from bench.context import BenchContext
from bench.services import Service
from devtools.generator import generate
from devtools.registry_framing import catalog_for, committed_schemas_dir, reframing

GROUP = "bench-ingest-avro"
WORKER_PORT = 28190


async def run(ctx: BenchContext) -> dict:
    if ctx.registry_url is None:
        return {"skipped": "no schema registry in this run"}
    topic = ctx.new_topic("avro", ctx.sizes.partitions)
    avro = await reframing(catalog_for(ctx.registry_url), committed_schemas_dir(), topic, "avro")
    produced = await loading.produce(
        ctx.kafka_bootstrap, topic, map(avro, generate(loading.dataset(ctx.sizes)))
    )
    targets = await loading.end_offsets(ctx.kafka_bootstrap, topic)
    records = sum(targets.values())
    url = await database.migrated(ctx.new_database("avro"))
    env = ctx.service_env(url, topic, GROUP, WORKER_PORT)
    env["STREAMVIEW_SCHEMA_REGISTRY_URL"] = ctx.registry_url
    worker = Service("worker-avro", ["consume"], env, ctx.work_dir)
    try:
        drained = await loading.wait_until_drained(
            url, GROUP, topic, targets, timeout=max(120.0, records / 2000), alive=worker.check_alive
        )
    finally:
        exit_code = worker.stop()
    total = drained.drained - worker.started_at
    steady = drained.drained - drained.first_progress
    return {
        "produce": produced,
        "records": records,
        "seconds": round(total, 2),
        "records_per_s": round(records / total),
        "events_per_s": round(ctx.sizes.events / total),
        "steady_records_per_s": round(records / steady) if steady > 0 else None,
        "views": await database.view_totals(url),
        "worker_exit_code": exit_code,
    }
