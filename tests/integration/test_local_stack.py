"""Proof that the local stack is a real Kafka and a real PostgreSQL: round trips through both."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from click.testing import CliRunner
from psycopg_pool import AsyncConnectionPool

from devtools.cli.stack import command as stack_command
from devtools.localstack import LocalStack
from devtools.localstack.processes import process_cmdline

if TYPE_CHECKING:
    from .conftest import StackEndpoints

RECORD_COUNT = 20


async def test_kafka_round_trip_keeps_keys_values_and_headers(
    stack_endpoints: StackEndpoints, new_topic: Callable[..., str], group_id: str
) -> None:
    topic = new_topic(partitions=3)
    sent = {
        f"order-{n}".encode(): (
            f'{{"seq": {n}}}'.encode(),
            [("event_type", b"OrderPlaced"), ("seq", str(n).encode())],
        )
        for n in range(RECORD_COUNT)
    }
    producer = AIOKafkaProducer(bootstrap_servers=stack_endpoints.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, (value, headers) in sent.items():
            await producer.send(topic, value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack_endpoints.kafka_bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received = {}
    try:
        async with asyncio.timeout(30):
            while len(received) < RECORD_COUNT:
                record = await consumer.getone()
                received[record.key] = (record.value, list(record.headers))
    finally:
        await consumer.stop()

    assert received == sent


async def test_new_topic_comes_with_its_dead_letter_topic(
    stack_endpoints: StackEndpoints, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=2)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack_endpoints.kafka_bootstrap)
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()
    assert {topic, f"{topic}.dlq"} <= set(topics)


async def test_postgres_round_trip_through_a_connection_pool(database_url: str) -> None:
    async with AsyncConnectionPool(database_url, min_size=1, max_size=2, open=False) as pool:
        async with pool.connection() as connection:
            tables = await connection.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            )
            assert await tables.fetchone() == (0,)  # a fresh, empty database
            await connection.execute(
                "CREATE TABLE order_view (order_id text PRIMARY KEY, total_cents bigint NOT NULL)"
            )
            async with connection.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO order_view VALUES (%s, %s)",
                    [("o-1", 1250), ("o-2", 99), ("o-3", 40_000)],
                )
        async with pool.connection() as connection:
            cursor = await connection.execute(
                "SELECT order_id, total_cents FROM order_view ORDER BY order_id"
            )
            assert await cursor.fetchall() == [("o-1", 1250), ("o-2", 99), ("o-3", 40_000)]


async def test_up_created_the_events_topics(local_stack: LocalStack) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=local_stack.config.kafka_bootstrap)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {"orders.events", "orders.events.dlq"} <= topics


def test_up_again_reuses_the_running_stack(local_stack: LocalStack) -> None:
    again = LocalStack(local_stack.config)
    assert again.up() == local_stack.endpoints
    assert again.started == ()  # nothing new was started


def test_status_reports_the_processes_that_run(local_stack: LocalStack) -> None:
    kafka, postgres = local_stack.status()

    assert kafka.running and kafka.pid is not None
    assert kafka.address == local_stack.config.kafka_bootstrap
    assert "kafka.Kafka" in (process_cmdline(kafka.pid) or "")

    assert postgres.running and postgres.pid is not None
    assert postgres.address == f"127.0.0.1:{local_stack.config.postgres_port}"
    assert str(postgres.data_dir) in (process_cmdline(postgres.pid) or "")

    # The CLI says the same, and its pids are live processes (as `ps` would show them).
    result = CliRunner().invoke(
        stack_command, ["status", "--state-dir", str(local_stack.config.state_dir)]
    )
    assert result.exit_code == 0, result.output
    assert f"kafka: running, pid {kafka.pid}" in result.output
    assert f"postgres: running, pid {postgres.pid}" in result.output
    assert Path(f"/proc/{kafka.pid}").exists() and Path(f"/proc/{postgres.pid}").exists()
