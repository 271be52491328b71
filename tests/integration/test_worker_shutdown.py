"""SIGTERM in the middle of an ingest: `streamview consume` exits 0, and what it stored is
exactly the log up to its stored positions, no more and no less; Kafka's copy agrees."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from devtools.generator import GeneratorOptions, generate
from tests.integration.worker_support import (
    memory_views,
    migrated,
    produce,
    project_in_memory,
    read_log,
    stored_positions,
    stored_views,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port


async def test_sigterm_mid_ingest_exits_0_with_positions_matching_the_views(
    stack_endpoints, database_url, new_topic, group_id, tmp_path: Path
) -> None:
    await migrated(database_url)
    topic = new_topic(partitions=3)
    bootstrap = stack_endpoints.kafka_bootstrap
    await produce(bootstrap, topic, generate(GeneratorOptions(orders=10_000, seed=3)))
    log = await read_log(bootstrap, topic)
    env = worker_env(
        worker_settings(bootstrap, database_url, topic, group_id, metrics_port=free_port())
    )
    output = tmp_path / "consume.log"
    with output.open("wb") as out:
        worker = subprocess.Popen([*STREAMVIEW, "consume"], env=env, stdout=out, stderr=out)
    try:
        async with asyncio.timeout(120):
            while sum((await stored_positions(database_url, group_id, topic)).values()) < (
                len(log) / 4
            ):
                assert worker.poll() is None, output.read_text()
                await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(worker.wait, 60)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert exit_code == 0, output.read_text()
    stored = await stored_positions(database_url, group_id, topic)
    assert sum(stored.values()) < len(log), "all consumed before SIGTERM: make the log longer"
    applied = [r for r in log if r.offset < stored.get(r.partition, 0)]
    assert await stored_views(database_url) == await memory_views(await project_in_memory(applied))
    assert await _kafka_committed(bootstrap, group_id) == {p: o for p, o in stored.items() if o}


async def _kafka_committed(bootstrap: str, group_id: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in committed.items()}
