"""`streamview dlq list|show|redrive` against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.integration.conftest import StackEndpoints
from tests.integration.worker_support import migrated, worker_env, worker_settings
from tests.support.processes import STREAMVIEW

LETTER_HEADERS = [
    ("x-sequence", b"1"),
    ("x-event-version", b"7"),
    ("x-dlq-reason", b"unsupported_version"),
    ("x-dlq-detail", b"x-event-version 7 is not supported"),
    ("x-dlq-source-partition", b"0"),
    ("x-dlq-source-offset", b"41"),
]


async def dead_letter(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        headers = [*LETTER_HEADERS, ("x-dlq-source-topic", topic.encode())]
        await producer.send_and_wait(f"{topic}.dlq", b'{"v": 7}', key=b"o-7", headers=headers)
    finally:
        await producer.stop()


async def source_records(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        found = []
        async with asyncio.timeout(30):
            while len(found) < end:
                for record in (await consumer.getmany(timeout_ms=500)).get(tp, []):
                    found.append((record.value, dict(record.headers)))
        return found
    finally:
        await consumer.stop()


def test_list_show_and_redrive_from_the_command_line(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    topic = new_topic()
    asyncio.run(migrated(database_url))
    asyncio.run(dead_letter(bootstrap, topic))
    env = worker_env(worker_settings(bootstrap, database_url, topic, group_id))

    def streamview(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*STREAMVIEW, "dlq", *args], env=env, capture_output=True, text=True, timeout=120
        )

    listed = streamview("list", "--reason", "unsupported_version")
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)["items"]
    assert (item["reason"], item["source"]["offset"], item["key"]) == (
        "unsupported_version",
        41,
        "o-7",
    )
    shown = json.loads(streamview("show", "0", "0").stdout)
    assert shown["value"] == '{"v": 7}'
    assert streamview("list", "--reason", "nope").returncode != 0

    first = json.loads(streamview("redrive", "0:0").stdout)["results"]
    second = json.loads(streamview("redrive", "--reason", "unsupported_version").stdout)["results"]
    assert [r["outcome"] for r in first + second] == ["redriven", "already_redriven"]
    [(value, headers)] = asyncio.run(source_records(bootstrap, topic))
    assert value == b'{"v": 7}'
    assert headers == {"x-sequence": b"1", "x-event-version": b"7", "x-redrive-count": b"1"}
