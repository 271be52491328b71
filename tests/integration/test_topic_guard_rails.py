"""Guard rails on a real topic: records deleted before they were consumed are counted and
reported (never skipped silently), a compacted topic is refused, a short retention warned
of, and a change in the partition count reported."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.admin.records_to_delete import RecordsToDelete

from application.ingestion.worker import EXIT_FAILED
from application.ports import ConsumerState
from application.topic_guard import ProblemCode, Severity
from devtools.generator import GeneratorOptions, generate
from devtools.localstack import kafka_admin
from entrypoints.bootstrap import build_container
from entrypoints.wiring.lifetimes import WorkerResource, holding
from tests.integration.worker_support import (
    caught_up,
    eventually,
    migrated,
    produce,
    running_worker,
    stored_positions,
    worker_settings,
)

T = TypeVar("T")


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def with_admin(bootstrap: str, use: Callable[[AIOKafkaAdminClient], Awaitable[T]]) -> T:
    async with admin_client(bootstrap) as admin:
        return await use(admin)


def _orders(prefix: str, count: int = 5) -> Any:
    return generate(GeneratorOptions(orders=count, seed=sum(map(ord, prefix)), order_prefix=prefix))


async def test_records_deleted_before_they_were_consumed_are_counted_and_reported(
    stack_endpoints, database_url, new_topic, group_id
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    topic = new_topic(partitions=1)
    await migrated(database_url)
    settings = worker_settings(bootstrap, database_url, topic, group_id)
    first = await produce(bootstrap, topic, _orders("a"))
    async with running_worker(settings):
        await caught_up(database_url, group_id, topic, {0: first})
    # While no worker runs, more records arrive and the broker deletes some of them.
    second = await produce(bootstrap, topic, _orders("b"))
    await with_admin(
        bootstrap,
        lambda admin: admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(first + 4)}),
    )

    async with running_worker(settings) as worker:
        await caught_up(database_url, group_id, topic, {0: first + second})
        report = await worker.container.ops.report_lag()()
        lost_metric = worker.metric("streamview_records_lost_total", partition="0")

    lost = [p for p in report.problems if p.code == ProblemCode.RECORDS_LOST]
    assert [(p.partition, p.records_lost, p.severity) for p in lost] == [(0, 4, Severity.ERROR)]
    assert "4 records" in lost[0].message
    assert lost_metric == 4.0
    assert await stored_positions(database_url, group_id, topic) == {0: first + second}


async def test_a_compacted_topic_is_refused_at_start_unless_allowed(
    stack_endpoints, database_url, group_id
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    topic = f"test.{uuid.uuid4().hex[:12]}"
    configs = {"cleanup.policy": "compact"}
    assert not kafka_admin.create_topics(bootstrap, {topic: 1, f"{topic}.dlq": 1}, configs=configs)
    try:
        await migrated(database_url)
        sent = await produce(bootstrap, topic, _orders("c", 2))
        refused = build_container(worker_settings(bootstrap, database_url, topic, group_id))
        async with holding(refused, WorkerResource), asyncio.timeout(60):
            code = await refused.ingestion.worker().run(asyncio.Event())
        state = refused.write_side.consumer_status().state

        allowed = worker_settings(
            bootstrap, database_url, topic, group_id, topic_allow_compacted=True
        )
        async with running_worker(allowed):
            await caught_up(database_url, group_id, topic, {0: sent})
    finally:
        kafka_admin.delete_topics(bootstrap, [topic, f"{topic}.dlq"])

    assert code == EXIT_FAILED
    assert state == ConsumerState.FAILED


async def test_a_short_retention_and_a_new_partition_are_reported(
    stack_endpoints, database_url, group_id
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    topic = f"test.{uuid.uuid4().hex[:12]}"
    configs = {"retention.ms": str(3600 * 1000)}
    assert not kafka_admin.create_topics(bootstrap, {topic: 1, f"{topic}.dlq": 1}, configs=configs)
    try:
        await migrated(database_url)
        sent = await produce(bootstrap, topic, _orders("r", 2))
        settings = worker_settings(bootstrap, database_url, topic, group_id)
        async with running_worker(settings) as worker:
            await caught_up(database_url, group_id, topic, {0: sent})
            before = await worker.container.ops.report_lag()()
            await with_admin(
                bootstrap, lambda admin: admin.create_partitions({topic: NewPartitions(2)})
            )

            async def partition_change_reported() -> bool:
                report = await worker.container.ops.report_lag()()
                return any(p.code == ProblemCode.PARTITION_COUNT_CHANGED for p in report.problems)

            await eventually(partition_change_reported, "the new partition reported", 60)
            state = worker.container.write_side.consumer_status().state
    finally:
        kafka_admin.delete_topics(bootstrap, [topic, f"{topic}.dlq"])

    assert [(p.code, p.severity) for p in before.problems] == [
        (ProblemCode.SHORT_RETENTION, Severity.WARNING)
    ]
    assert "1 hours" in before.problems[0].message
    assert state == ConsumerState.RUNNING  # reported, not stopped


async def test_the_consumer_counts_a_position_the_broker_deleted_and_starts_a_new_one_quietly(
    stack_endpoints, new_topic
) -> None:
    from adapters.kafka.source import KafkaRecordSource

    bootstrap = stack_endpoints.kafka_bootstrap
    topic = new_topic(partitions=1)
    sent = await produce(bootstrap, topic, _orders("d", 3))
    await with_admin(
        bootstrap,
        lambda admin: admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(6)}),
    )
    lost: list[tuple[int, int, int]] = []

    async def read_all(position: int | None) -> list[int]:
        source = KafkaRecordSource.create(
            bootstrap, topic, None, 100, on_records_lost=lambda *args: lost.append(args)
        )
        source._consumer.assign([TopicPartition(topic, 0)])  # as a rebalance would
        await source.start()
        try:
            await source.seek({0: position})
            offsets: list[int] = []
            async with asyncio.timeout(30):
                while len(offsets) < sent - 6:
                    offsets += [r.offset for r in await source.fetch(100, 200)]
            return offsets
        finally:
            await source.stop()

    stored = await read_all(2)  # a stored position the broker no longer has
    fresh = await read_all(None)  # no position yet: the log start, nothing lost

    assert stored == fresh == list(range(6, sent))
    assert lost == [(0, 2, 6)]
