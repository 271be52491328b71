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
    expected_views,
    stored_at_least,
    stored_positions,
    stored_views,
    topic_holding,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port


async def test_sigterm_mid_ingest_exits_0_with_positions_matching_the_views(
    stack_endpoints, database_url, new_topic, group_id, tmp_path: Path
) -> None:
    topic = new_topic(partitions=3)
    bootstrap = stack_endpoints.kafka_bootstrap
    records = generate(GeneratorOptions(orders=10_000, seed=3))
    log = await topic_holding(bootstrap, database_url, topic, records)
    env = worker_env(
        worker_settings(bootstrap, database_url, topic, group_id, metrics_port=free_port())
    )
    output = tmp_path / "consume.log"
    with output.open("wb") as out:
        worker = subprocess.Popen([*STREAMVIEW, "consume"], env=env, stdout=out, stderr=out)
    try:
        await stored_at_least(database_url, group_id, topic, len(log) / 4, worker, output)
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(worker.wait, 60)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert exit_code == 0, output.read_text()
    stored = await stored_positions(database_url, group_id, topic)
    assert sum(stored.values()) < len(log), "all consumed before SIGTERM: make the log longer"
    applied = [r for r in log if r.offset < stored.get(r.partition, 0)]
    assert await stored_views(database_url) == await expected_views(applied)
    assert await _kafka_committed(bootstrap, group_id) == {p: o for p, o in stored.items() if o}


async def _kafka_committed(bootstrap: str, group_id: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in committed.items()}
