"""End-to-end ingest rate of one `streamview consume` over events already in the topic.

    python -m bench.ingest --kafka 127.0.0.1:9092 \\
        --admin-database-url postgresql://postgres@127.0.0.1:5432/postgres --orders 200000

Puts ORDERS x EVENTS_PER_ORDER generated events on a new topic, creates and migrates a new
database, then starts `streamview consume` as an operator would and times it from process
start until every stored position reaches the end of the topic. Prints one JSON object;
the topic and database are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from psycopg import sql

from adapters.kafka.offsets import KafkaEndOffsets
from adapters.postgres.migrations import migrate
from adapters.postgres.tables import POSITIONS_TABLE
from application.consuming import BATCH_MAX_RECORDS
from bench.database import enabled_view_schemas
from bench.ports import free_port
from devtools.generator import GeneratorOptions, generate
from devtools.producing import publish

GROUP = "bench-ingest"


async def main(args: argparse.Namespace) -> dict[str, object]:
    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    topic = name.replace("_", ".")
    database_url = args.admin_database_url.rsplit("/", 1)[0] + f"/{name}"
    admin = AIOKafkaAdminClient(bootstrap_servers=args.kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, args.partitions, 1), NewTopic(f"{topic}.dlq", 1, 1)]
        )
        _create_database(args.admin_database_url, name)
        try:
            async with await psycopg.AsyncConnection.connect(database_url) as conn:
                await migrate(conn, enabled_view_schemas())
            return await _measure(args, topic, database_url)
        finally:
            if not args.keep:
                _drop_database(args.admin_database_url, name)
    finally:
        if not args.keep:
            await admin.delete_topics([topic, f"{topic}.dlq"])
        await admin.close()


async def _measure(args: argparse.Namespace, topic: str, database_url: str) -> dict[str, object]:
    options = GeneratorOptions(orders=args.orders, events_per_order=args.events_per_order)
    started = time.perf_counter()
    produced = await publish(args.kafka, topic, generate(options))
    produce_s = time.perf_counter() - started
    ends = await _end_offsets(args.kafka, topic)

    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMVIEW_")}
    env.update(
        STREAMVIEW_BACKEND="postgres",
        STREAMVIEW_KAFKA_BOOTSTRAP=args.kafka,
        STREAMVIEW_DATABASE_URL=database_url,
        STREAMVIEW_TOPIC=topic,
        STREAMVIEW_DLQ_TOPIC=f"{topic}.dlq",
        STREAMVIEW_CONSUMER_GROUP=GROUP,
        STREAMVIEW_BATCH_MAX_RECORDS=str(args.batch_max_records),
        STREAMVIEW_METRICS_PORT=str(args.metrics_port or free_port()),
        STREAMVIEW_LOG_LEVEL=args.log_level,
        # The views the worker runs: those the database was migrated for.
        STREAMVIEW_VIEWS=os.environ.get("STREAMVIEW_VIEWS", "orders"),
    )
    streamview = [str(Path(sys.executable).with_name("streamview")), "consume"]
    with open(args.log, "wb") as log:
        worker = subprocess.Popen(streamview, env=env, stdout=log, stderr=log)
    started, first_progress = time.perf_counter(), None
    try:
        while (done := await _stored(database_url, topic)) < produced:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.returncode}: see {args.log}")
            if done and first_progress is None:
                first_progress = time.perf_counter()
            await asyncio.sleep(0.25)
        ingest_s = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(60)
    steady_s = ingest_s - ((first_progress or started) - started)
    return {
        "events": produced,
        "partitions": len(ends),
        "batch_max_records": args.batch_max_records,
        "produce_seconds": round(produce_s, 1),
        "ingest_seconds": round(ingest_s, 1),
        "events_per_second": round(produced / ingest_s),
        "steady_events_per_second": round(produced / steady_s),
        "worker_exit_code": exit_code,
    }


async def _stored(database_url: str, topic: str) -> int:
    query = sql.SQL(
        "SELECT coalesce(sum(next_offset), 0) FROM {} WHERE consumer_group = %s AND topic = %s"
    ).format(POSITIONS_TABLE)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        row = await (await conn.execute(query, (GROUP, topic))).fetchone()
    return int(row[0]) if row else 0


async def _end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    offsets = KafkaEndOffsets(bootstrap)
    try:
        return await offsets.end_offsets(topic)
    finally:
        await offsets.close()


def _create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kafka", default=os.environ.get("STREAMVIEW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument(
        "--admin-database-url", required=True, help="a role that may CREATE DATABASE"
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--events-per-order", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--batch-max-records", type=int, default=BATCH_MAX_RECORDS)
    parser.add_argument("--metrics-port", type=int, default=0, help="0: a free one")
    parser.add_argument("--log", default="bench-ingest-worker.log", help="the worker's output")
    parser.add_argument("--keep", action="store_true", help="keep the topic and the database")
    parser.add_argument("--log-level", default="WARNING", help="the worker's log level")
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(_arguments())), indent=2))
