"""Scenario 5: a blue/green rebuild of the views from the whole topic while reads go on.

`POST /views/rebuild` (ops token) starts it; its status is polled until a final state. During
the whole rebuild, reads at a fixed rate (order pages and lists, on generated orders that
exist before and after the swap) count every answer that is not a 200. A worker runs too,
as in production: the swap hands the live positions over from it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter

import jwt

from bench.context import OPS_JWT_SECRET, BenchContext
from bench.ids import order_id
from bench.load.client import HttpConnection
from bench.scenarios import common, ingest
from bench.services import Service

FINAL_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}
TIMEOUT_S = 600.0


def ops_headers() -> str:
    now = int(time.time())
    claims = {"sub": "bench", "roles": ["ops"], "iat": now, "exp": now + 3600}
    return f"Authorization: Bearer {jwt.encode(claims, OPS_JWT_SECRET, algorithm='HS256')}\r\n"


async def reads_until(done: asyncio.Event, rate: int, orders: int, tally: Counter[str]) -> None:
    """Open-loop reads at `rate`/s until `done`; every status is tallied."""
    pick = random.Random(3)
    conn = HttpConnection("127.0.0.1", common.API_PORT)
    started, n = time.perf_counter(), 0
    while not done.is_set():
        n += 1
        path = f"/orders/{order_id(pick.randrange(orders), orders)}"
        if n % 10 == 0:
            path = "/orders?status=PAID&pageSize=20"
        try:
            status, _ = await conn.get(path)
            tally[str(status)] += 1
        except OSError as error:
            tally[type(error).__name__] += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
    await conn.close()


async def follow(ops: HttpConnection, location: str) -> dict:
    deadline = time.perf_counter() + TIMEOUT_S
    while time.perf_counter() < deadline:
        status, body = await ops.get(location, ops_headers())
        report = json.loads(body)
        if status == 200 and report.get("state") in FINAL_STATES:
            return report
        await asyncio.sleep(0.5)
    raise TimeoutError(f"rebuild not finished within {TIMEOUT_S:.0f} s")


async def run(ctx: BenchContext) -> dict:
    url = await common.read_database(ctx)
    await common.api(ctx)
    assert ctx.loaded is not None
    env = ctx.service_env(url, ctx.loaded.name, ingest.GROUP, ingest.WORKER_PORT)
    worker = Service("worker-rebuild", ["consume"], env, ctx.work_dir)
    ops = HttpConnection("127.0.0.1", common.API_PORT)
    done, tally = asyncio.Event(), Counter[str]()
    reads = asyncio.create_task(
        reads_until(done, ctx.sizes.rebuild_read_rps, ctx.sizes.orders, tally)
    )
    try:
        await asyncio.sleep(1.0)  # reads already flowing before the rebuild starts
        started = time.perf_counter()
        status, body = await ops.post("/views/rebuild", ops_headers())
        if status != 202:
            answer = body[:200].decode(errors="replace")
            return {"skipped": f"POST /views/rebuild answered {status}: {answer}"}
        location = f"/views/rebuild/{json.loads(body)['rebuildId']}"
        report = await follow(ops, location)
        seconds = time.perf_counter() - started
        await asyncio.sleep(1.0)  # and reads after the swap
    finally:
        done.set()
        await reads
        await ops.close()
        exit_code = worker.stop()
    ok = tally.get("200", 0)
    return {
        "state": report.get("state"),
        "seconds": round(seconds, 1),
        "topic_records": ctx.loaded.records,
        "status_report": report,
        "reads": sum(tally.values()),
        "read_errors": sum(tally.values()) - ok,
        "read_statuses": dict(tally),
        "worker_exit_code": exit_code,
    }
