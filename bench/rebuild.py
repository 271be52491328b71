"""How long a blue/green rebuild takes, with reads running: `python -m bench.rebuild`.

Loads ORDERS order histories (5 events each, 5 % duplicates, 5 % reordered) into a new topic,
lets `streamview run` ingest them into a new database, then starts `POST /views/rebuild` while
a reader does GET /orders/{id} at a fixed rate, and polls the status until it ends. Prints one
JSON object: records, seconds, records/s, the runner's phase timings, read statuses.

    python -m bench.rebuild --orders 200000 --partitions 6     # 1M events
    python -m bench.rebuild --orders 2000 --partitions 2       # a smoke run

Other benchmarks call `measure(...)`. Kafka and Postgres are those given (by default the
integration-test stack of tests/integration/conftest.py: `streamview stack up` it first, or
pass --kafka/--admin-database of any stack). Everything created is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
from psycopg import sql

from adapters.postgres.migrations import migrate
from bench.ports import free_port
from devtools.generator import GeneratorOptions, generate
from devtools.localstack import kafka_admin
from devtools.producing import publish

SECRET = "bench-rebuild-ops-secret-0123456789abcdef"
CURSOR_SECRET = "bench-rebuild-cursor-secret-0123456789abcdef"
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


async def measure(
    kafka: str,
    admin_database: str,
    orders: int,
    partitions: int,
    read_rps: int,
    work_dir: Path,
    split: bool = False,
) -> dict[str, Any]:
    """`split`: the API (`streamview serve`) and the worker (`streamview consume`, which runs
    the rebuild) in two processes; else both in one (`streamview run`)."""
    name = f"bench_rebuild_{uuid.uuid4().hex[:8]}"
    topic, group, port = f"bench.{name}", f"{name}-group", free_port()
    database = _create_database(admin_database, name)
    problems = kafka_admin.create_topics(kafka, {topic: partitions, f"{topic}.dlq": partitions})
    assert not problems, problems
    services: list[subprocess.Popen[bytes]] = []
    try:
        async with await psycopg.AsyncConnection.connect(database) as conn:
            await migrate(conn)
        options = GeneratorOptions(orders=orders, duplicate_fraction=0.05, reorder_fraction=0.05)
        records = await publish(kafka, topic, generate(options))
        env = _env(database, kafka, topic, group, port)
        log = work_dir / f"{name}.log"  # where the rebuild runs: the worker's process
        commands = [["consume"], ["serve"]] if split else [["run"]]
        for command, output in zip(commands, [log, work_dir / f"{name}-api.log"], strict=False):
            services.append(
                subprocess.Popen(
                    [sys.executable, "-m", "entrypoints", *command],
                    env=env | {"STREAMVIEW_METRICS_PORT": str(free_port())},
                    stdout=output.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        await _caught_up(database, group, records)
        ingest_seconds = time.perf_counter() - started
        await _answering(base)
        report, reads, seconds, latencies, baseline = await _rebuild_with_reads(
            base, orders, read_rps
        )
        return {
            "records": records,
            "partitions": partitions,
            "deployment": "serve + consume" if split else "run",
            "state": report["state"],
            "seconds": round(seconds, 1),
            "records_per_second": round(report["eventsReplayed"] / seconds),
            "phases": _phases(log),
            "reads": sum(reads.values()),
            "read_statuses": dict(reads),
            "read_errors": sum(n for status, n in reads.items() if status != "200"),
            "read_latency_ms": _percentiles(latencies),
            "read_latency_ms_without_rebuild": _percentiles(baseline),
            "ingest_seconds": round(ingest_seconds, 1),
            "error": report.get("error"),
        }
    finally:
        for service in services:
            service.terminate()
            service.wait(60)
        kafka_admin.delete_topics(kafka, [topic, f"{topic}.dlq"])
        with psycopg.connect(admin_database, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


async def _rebuild_with_reads(
    base: str, orders: int, read_rps: int
) -> tuple[dict[str, Any], Counter[str], float, list[float], list[float]]:
    claims = {"sub": "bench", "roles": ["ops"], "exp": int(time.time()) + 7200}
    ops = {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}
    reads: Counter[str] = Counter()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        baseline: list[float] = []
        before = asyncio.create_task(_read(http, orders, read_rps, Counter(), baseline))
        await asyncio.sleep(3.0)  # the same reads without a rebuild, for comparison
        before.cancel()
        reader = asyncio.create_task(_read(http, orders, read_rps, reads, latencies))
        started = time.perf_counter()
        response = await http.post("/views/rebuild", headers=ops)
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        while (report := (await http.get(location, headers=ops)).json())["state"] not in FINAL:
            await asyncio.sleep(0.2)
        seconds = time.perf_counter() - started
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await asyncio.sleep(1.0)  # the answers still on their way, and the last log lines
    return report, reads, seconds, latencies, baseline


async def _read(
    http: httpx.AsyncClient, orders: int, rate: int, reads: Counter[str], latencies: list[float]
) -> None:
    """Open loop: one request every 1/rate s, whether or not the previous ones answered."""

    async def one(path: str) -> None:
        sent = time.perf_counter()
        try:
            response = await http.get(path)
            reads[str(response.status_code)] += 1
        except httpx.HTTPError as error:
            reads[type(error).__name__] += 1
        latencies.append(time.perf_counter() - sent)

    pick, started, pending = random.Random(3), time.perf_counter(), set()
    for n in itertools.count(1):
        task = asyncio.create_task(one(f"/orders/ord-{pick.randrange(orders):07d}"))
        pending.add(task)
        task.add_done_callback(pending.discard)
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds) or [0.0]
    at = {"p50": 0.5, "p99": 0.99}
    result = {name: round(1000 * ordered[int(len(ordered) * q)], 1) for name, q in at.items()}
    return result | {"max": round(1000 * ordered[-1], 1)}


def _phases(log: Path) -> dict[str, float]:
    phases = {}
    for line in log.read_text(errors="replace").splitlines():
        if '"rebuild: ' in line:
            entry = json.loads(line)
            phases[entry["message"].removeprefix("rebuild: ")] = entry["seconds"]
    return phases


async def _answering(base: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{base} did not answer within {timeout:.0f}s")


async def _caught_up(database: str, group: str, records: int, timeout: float = 1800) -> None:
    deadline = time.perf_counter() + timeout
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
        while time.perf_counter() < deadline:
            cursor = await conn.execute(
                "SELECT coalesce(sum(next_offset), 0) FROM consumer_positions"
                " WHERE consumer_group = %s",
                (group,),
            )
            row = await cursor.fetchone()
            if row is not None and row[0] >= records:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the worker did not ingest {records} records in {timeout:.0f}s")


def _env(database: str, kafka: str, topic: str, group: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMVIEW_")}
    env.update(
        STREAMVIEW_DATABASE_URL=database,
        STREAMVIEW_KAFKA_BOOTSTRAP=kafka,
        STREAMVIEW_TOPIC=topic,
        STREAMVIEW_DLQ_TOPIC=f"{topic}.dlq",
        STREAMVIEW_CONSUMER_GROUP=group,
        STREAMVIEW_HTTP_HOST="127.0.0.1",
        STREAMVIEW_HTTP_PORT=str(port),
        STREAMVIEW_OPS_JWT_SECRET=SECRET,
        STREAMVIEW_CURSOR_SECRET=CURSOR_SECRET,
        STREAMVIEW_LOG_FORMAT="json",
    )
    return env


def _create_database(admin_database: str, name: str) -> str:
    with psycopg.connect(admin_database, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return admin_database.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000, help="5 events each")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--read-rps", type=int, default=200)
    parser.add_argument("--split", action="store_true", help="API and worker in two processes")
    parser.add_argument("--kafka", default="127.0.0.1:19092")
    parser.add_argument(
        "--admin-database", default="postgresql://streamview@127.0.0.1:15432/streamview"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as work_dir:
        result = asyncio.run(
            measure(
                args.kafka,
                args.admin_database,
                args.orders,
                args.partitions,
                args.read_rps,
                Path(work_dir),
                args.split,
            )
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
