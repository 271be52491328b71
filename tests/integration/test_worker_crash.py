"""`streamview consume` killed with SIGKILL in the middle of a large ingest, then restarted:
the views are those of an uninterrupted run, and nothing is counted twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from devtools.generator import GeneratorOptions, generate
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    expected_views,
    scraped,
    stored_at_least,
    stored_positions,
    stored_views,
    topic_holding,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port

ORDERS = 10_000  # x 5 events: long enough to be killed a third of the way in


async def test_a_killed_worker_restarts_where_the_database_says(
    stack_endpoints, database_url, new_topic, group_id, tmp_path: Path
) -> None:
    topic = new_topic(partitions=3)
    bootstrap = stack_endpoints.kafka_bootstrap
    records = generate(GeneratorOptions(orders=ORDERS, seed=11))
    log = await topic_holding(bootstrap, database_url, topic, records)
    metrics_port = free_port()
    env = worker_env(
        worker_settings(bootstrap, database_url, topic, group_id, metrics_port=metrics_port)
    )

    first = _consume(env, tmp_path / "first.log")
    await stored_at_least(
        database_url, group_id, topic, len(log) / 3, first, tmp_path / "first.log"
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = sum((await stored_positions(database_url, group_id, topic)).values())
    assert at_kill < len(log), "the ingest finished before the kill: make the log longer"

    second = _consume(env, tmp_path / "second.log")
    try:
        await caught_up(database_url, group_id, topic, ends_of(log), seconds=180)
        metrics = f"http://127.0.0.1:{metrics_port}"
        duplicates = await scraped(metrics, "streamview_duplicates_total")
        late = await scraped(metrics, "streamview_out_of_order_total", kind="late")
        applied = await scraped(metrics, "streamview_events_total", type="OrderCreated")
    finally:
        second.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(second.wait, 60)

    assert exit_code == 0, (tmp_path / "second.log").read_text()
    assert (duplicates, late) == (0, 0)  # the log has none: any would be a redelivery counted
    assert 0 < applied < ORDERS  # the second run only did what the first had not
    assert await stored_views(database_url) == await expected_views(log)


def _consume(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([*STREAMVIEW, "consume"], env=env, stdout=out, stderr=out)
