"""Two workers of one group share six partitions; one stops half-way and the other takes its
partitions over from the stored positions: the same views, every event applied once."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from devtools.generator import GeneratorOptions, generate
from tests.integration.worker_support import (
    RunningWorker,
    caught_up,
    ends_of,
    expected_views,
    migrated,
    produce,
    read_log,
    running_worker,
    stored_views,
    worker_settings,
)

PARTITIONS = 6


async def test_a_worker_leaving_the_group_hands_over_without_loss_or_repeat(
    stack_endpoints, database_url, new_topic, group_id
) -> None:
    await migrated(database_url)
    topic = new_topic(partitions=PARTITIONS)
    bootstrap = stack_endpoints.kafka_bootstrap
    # Small batches: the hand-over happens while there is plenty left to consume.
    settings = worker_settings(bootstrap, database_url, topic, group_id, batch_max_records=200)

    async with running_worker(settings) as staying:
        async with running_worker(settings) as leaving:
            # Both members before the first record: each gets half the partitions.
            await group_stable_with(bootstrap, group_id, members=2)
            await produce(bootstrap, topic, generate(GeneratorOptions(orders=6_000, seed=5)))
            async with asyncio.timeout(120):
                while applied_events(leaving) < 1000:
                    await asyncio.sleep(0.01)
            assert await leaving.stop() == 0
        log = await read_log(bootstrap, topic)
        await caught_up(database_url, group_id, topic, ends_of(log))
        by_worker = [applied_events(w) for w in (staying, leaving)]
        duplicates = sum(w.metric("streamview_duplicates_total") for w in (staying, leaving))

    # Each had half the partitions; the one that left was far from done with its half.
    assert 0 < by_worker[1] < len(log) * 0.45, by_worker
    assert (sum(by_worker), duplicates) == (len(log), 0)
    assert await stored_views(database_url) == await expected_views(log)


def applied_events(worker: RunningWorker) -> float:
    types = ("OrderCreated", "OrderItemAdded", "OrderStatusChanged")
    return sum(worker.metric("streamview_events_total", type=t) for t in types)


async def group_stable_with(bootstrap: str, group_id: str, members: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            while True:
                (response,) = await admin.describe_consumer_groups([group_id])
                (group,) = response.to_object()["groups"]
                if group["state"] == "Stable" and len(group["members"]) == members:
                    return
                await asyncio.sleep(0.1)
    finally:
        await admin.close()
