"""Scenario 7: change streams and read-your-writes waiters while events are ingested.

`sse_clients` clients follow `GET /changes/orders` and `waiters` clients hold
`GET /orders/{id}?minSequence=…&wait=5s` reads for orders that never come (each answers 412
after its wait and asks again), while new orders are produced at `freshness_rate` events/s.
For a sample of the records (about 20 a second) the figure is the time from handing the record
to the producer until (a) a measuring stream client got its change event, (b) a `minSequence`
read for it answered 200. That includes the producer's linger, the worker's batching and
commit, the NOTIFY and the fan-out: a bound on commit-to-client, not the commit-to-client
latency alone. Most stream clients only drain bytes; a few parse every event to measure.
"""

from __future__ import annotations

import asyncio
import contextlib
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

CLIENTS = {"quick": (50, 200), "full": (500, 1000)}  # (stream clients, idle waiters)
MEASURING = 5
WARM_UP_S = 2.0  # the worker's start-up: produced, not sampled


class _Change(msgspec.Struct, rename="camel"):
    order_id: str
    last_event_sequence: int


_decode = msgspec.json.Decoder(_Change).decode


class _Streams:
    """A change carries an order's sequence as its batch left it: one event may stand for
    several sampled records of the order (those its batch applied), each measured by it."""

    def __init__(self) -> None:
        self.sent: dict[str, list[tuple[int, float]]] = {}
        self.latencies: list[float] = []
        self.ended = 0

    async def follow(self, measuring: bool, ready: asyncio.Event | None) -> None:
        for _ in range(150):  # a 503 while the API's change feed starts: ask again
            reader, writer = await asyncio.open_connection("127.0.0.1", common.API_PORT)
            writer.write(
                b"GET /changes/orders HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
            )
            status = await reader.readline()
            if b" 503 " not in status:
                break
            writer.close()
            await asyncio.sleep(0.2)
        seen: dict[str, int] = {}
        try:
            if b" 200 " not in status:
                raise RuntimeError(f"GET /changes/orders answered {status!r}")
            while line := await reader.readline():
                if ready is not None and line.startswith(b": connected"):
                    ready.set()
                    ready = None
                if measuring and line.startswith(b"data: "):
                    change = _decode(line[6:])
                    now, before = time.perf_counter(), seen.get(change.order_id, 0)
                    seen[change.order_id] = change.last_event_sequence
                    for sequence, sent in self.sent.get(change.order_id, ()):
                        if before < sequence <= change.last_event_sequence:
                            self.latencies.append(now - sent)
            self.ended += 1
        finally:
            writer.close()


async def _idle_waiter(number: int, stop: asyncio.Event, answers: list[int]) -> None:
    conn = HttpConnection("127.0.0.1", common.API_PORT)
    try:
        while not stop.is_set():
            status, _ = await conn.get(f"/orders/never-{number}?minSequence=1&wait=5s")
            answers.append(status)
    finally:
        await conn.close()


async def _read_your_write(order_id: str, sequence: int, sent: float) -> float | None:
    conn = HttpConnection("127.0.0.1", common.API_PORT)
    try:
        status, _ = await conn.get(f"/orders/{order_id}?minSequence={sequence}&wait=10s")
        return time.perf_counter() - sent if status == 200 else None
    finally:
        await conn.close()


async def run(ctx: BenchContext) -> dict:
    url = await common.read_database(ctx)
    await common.api(ctx)
    assert ctx.loaded is not None
    env = ctx.service_env(url, ctx.loaded.name, ingest.GROUP, ingest.WORKER_PORT)
    worker = Service("worker-live", ["consume"], env, ctx.work_dir)
    sse_clients, waiters = CLIENTS.get(ctx.sizes.name, CLIENTS["quick"])
    streams, stop, answers = _Streams(), asyncio.Event(), []
    readiness = [asyncio.Event() for _ in range(sse_clients)]
    followers = [
        asyncio.create_task(streams.follow(n < MEASURING, readiness[n])) for n in range(sse_clients)
    ]
    idle = [asyncio.create_task(_idle_waiter(n, stop, answers)) for n in range(waiters)]
    rate, seconds = ctx.sizes.freshness_rate, ctx.sizes.freshness_seconds
    prefix = f"live-{ctx.run_id}"
    options = GeneratorOptions(orders=10**9, order_prefix=prefix, seed=zlib.crc32(prefix.encode()))
    producer = AIOKafkaProducer(bootstrap_servers=ctx.kafka_bootstrap, acks="all", linger_ms=5)
    checks: list[asyncio.Task[float | None]] = []
    sampled = 0
    try:
        try:
            async with asyncio.timeout(60):
                await asyncio.gather(*(r.wait() for r in readiness))
        except TimeoutError:
            connected = sum(r.is_set() for r in readiness)
            failed = [repr(t.exception()) for t in followers if t.done() and t.exception()]
            raise RuntimeError(
                f"{connected} of {sse_clients} streams connected in 60 s; {failed[:3]}"
            ) from None
        await producer.start()
        every, started = max(1, rate // 20), time.perf_counter()
        for n, record in enumerate(generate(options)):
            due = started + n / rate
            if due - started >= WARM_UP_S + seconds:
                break
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            if n % every == 0 and due - started >= WARM_UP_S:
                order_id, sequence = record.key.decode(), int(dict(record.headers)["x-sequence"])
                streams.sent.setdefault(order_id, []).append((sequence, sent))
                checks.append(asyncio.create_task(_read_your_write(order_id, sequence, sent)))
                sampled += 1
            await producer.send(
                ctx.loaded.name, record.value, key=record.key, headers=list(record.headers)
            )
        await producer.flush()
        read_latencies = list(await asyncio.gather(*checks))
        await asyncio.sleep(2)  # the last changes reach the streams
        worker.check_alive()
    finally:
        stop.set()
        await producer.stop()
        for task in (*followers, *idle):
            task.cancel()
        for task in (*followers, *idle):
            with contextlib.suppress(BaseException):
                await task
        exit_code = worker.stop()
    reads = sorted(x for x in read_latencies if x is not None)
    # Each measuring client sees each sampled change once: its share of the latencies.
    pushed = sorted(streams.latencies)
    return {
        "rate_events_per_s": rate,
        "seconds": seconds,
        "sse_clients": sse_clients,
        "idle_waiters": waiters,
        "samples": sampled,
        "sse_p50_ms": round(percentile(pushed, 0.5) * 1000, 1) if pushed else None,
        "sse_p99_ms": round(percentile(pushed, 0.99) * 1000, 1) if pushed else None,
        "sse_deliveries": len(pushed),
        "sse_expected": sampled * min(MEASURING, sse_clients),
        "sse_streams_ended_by_server": streams.ended,
        "min_sequence_p50_ms": round(percentile(reads, 0.5) * 1000, 1) if reads else None,
        "min_sequence_p99_ms": round(percentile(reads, 0.99) * 1000, 1) if reads else None,
        "min_sequence_not_reached": len(read_latencies) - len(reads),
        "idle_waiter_answers": {str(s): answers.count(s) for s in sorted(set(answers))},
        "worker_exit_code": exit_code,
    }
