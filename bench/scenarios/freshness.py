"""Scenario 4: time from produce to visible through `GET /orders/{id}` at a steady rate.

New orders are produced at `freshness_rate` events/s onto the loaded topic while one worker
consumes it and the API serves the same database. For a sample of the records (about 20 a
second), a checker polls the order every 5 ms from the moment the record is handed to the
producer until the API shows `lastEventSequence` at or past the record's sequence. The
figure includes the producer's 5 ms linger, the worker's batching and the HTTP read; its
resolution is the 5 ms poll interval.
"""

from __future__ import annotations

import asyncio
import time
import zlib

import msgspec
from aiokafka import AIOKafkaProducer

from bench.context import BenchContext
from bench.load.client import HttpConnection
from bench.load.stats import percentile
from bench.scenarios import common, ingest
from bench.services import Service
from devtools.generator import GeneratorOptions, generate

POLL_S = 0.005
GIVE_UP_S = 10.0
WARM_UP_S = 2.0


class _Seen(msgspec.Struct, rename="camel"):
    last_event_sequence: int


_decode = msgspec.json.Decoder(_Seen).decode


async def time_to_visible(order_id: str, sequence: int, sent: float) -> float | None:
    conn = HttpConnection("127.0.0.1", common.API_PORT)
    try:
        while time.perf_counter() - sent < GIVE_UP_S:
            status, body = await conn.get(f"/orders/{order_id}")
            if status == 200 and _decode(body).last_event_sequence >= sequence:
                return time.perf_counter() - sent
            await asyncio.sleep(POLL_S)
        return None
    finally:
        await conn.close()


async def produce_and_watch(
    ctx: BenchContext, topic: str, seconds: float, prefix: str
) -> list[float | None]:
    """Produce new orders (ids starting with `prefix`) for `seconds`; sampled latencies."""
    rate = ctx.sizes.freshness_rate
    # A seed per prefix: the generator draws event ids from it, and they must be new ones.
    options = GeneratorOptions(orders=10**9, order_prefix=prefix, seed=zlib.crc32(prefix.encode()))
    producer = AIOKafkaProducer(bootstrap_servers=ctx.kafka_bootstrap, acks="all", linger_ms=5)
    await producer.start()
    every = max(1, rate // 20)
    checks: list[asyncio.Task[float | None]] = []
    started = time.perf_counter()
    try:
        for n, record in enumerate(generate(options)):
            due = started + n / rate
            if due - started >= seconds:
                break
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            await producer.send(topic, record.value, key=record.key, headers=list(record.headers))
            if n % every == 0:
                sequence = int(dict(record.headers)["x-sequence"])
                checks.append(
                    asyncio.create_task(time_to_visible(record.key.decode(), sequence, sent))
                )
        await producer.flush()
        return list(await asyncio.gather(*checks))
    finally:
        await producer.stop()


async def run(ctx: BenchContext) -> dict:
    url = await common.read_database(ctx)
    await common.api(ctx)
    assert ctx.loaded is not None
    env = ctx.service_env(url, ctx.loaded.name, ingest.GROUP, ingest.WORKER_PORT)
    worker = Service("worker-freshness", ["consume"], env, ctx.work_dir)
    try:
        # The worker's start-up, discarded.
        await produce_and_watch(ctx, ctx.loaded.name, WARM_UP_S, f"warm-{ctx.run_id}")
        worker.check_alive()
        seconds = ctx.sizes.freshness_seconds
        samples = await produce_and_watch(ctx, ctx.loaded.name, seconds, f"fresh-{ctx.run_id}")
        worker.check_alive()
    finally:
        exit_code = worker.stop()
    seen = sorted(s for s in samples if s is not None)
    return {
        "rate_events_per_s": ctx.sizes.freshness_rate,
        "seconds": ctx.sizes.freshness_seconds,
        "samples": len(samples),
        "not_visible_within_10s": len(samples) - len(seen),
        "p50_ms": round(percentile(seen, 0.5) * 1000, 1),
        "p99_ms": round(percentile(seen, 0.99) * 1000, 1),
        "max_ms": round(seen[-1] * 1000, 1) if seen else None,
        "worker_exit_code": exit_code,
    }
