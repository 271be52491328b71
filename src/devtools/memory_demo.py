"""The whole pipeline in one process with no Kafka and no Postgres: for a first look and tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from loguru import logger

from adapters.memory.stand_ins import MemoryTopic
from application.consuming import BATCH_MAX_RECORDS
from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, generate
from entrypoints.container import Container


async def feed(topic: MemoryTopic, options: GeneratorOptions, rate: float = 0.0) -> int:
    """Append the generated records; `rate` > 0 spreads them at that many records per second."""
    count = 0
    for record in generate(options):
        topic.append(record.key, record.value, record.headers)
        count += 1
        if rate > 0:
            await asyncio.sleep(1 / rate)
        elif count % 5000 == 0:
            await asyncio.sleep(0)  # let the API answer while the backlog loads
    return count


async def pump(
    container: Container, topic: MemoryTopic, batch_size: int = BATCH_MAX_RECORDS
) -> None:
    """The worker loop over a MemoryTopic: read from the stored positions, project, repeat."""
    project = container.project_batch()
    store = container.view_store()
    group = container.config.consumer_group()
    container.consumer_status().state = ConsumerState.RUNNING
    while True:
        positions = await store.positions(group, topic.name)
        busy = False
        for partition in range(topic.partitions):
            records = topic.read(partition, positions.get(partition, 0), batch_size)
            if records:
                busy = True
                await project(records)
        if not busy:
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def memory_pipeline(
    container: Container, options: GeneratorOptions, trickle_rate: float = 0.0
) -> AsyncIterator[MemoryTopic]:
    topic = MemoryTopic(container.config.topic(), partitions=6)
    container.end_offsets.override(topic)

    async def produce() -> None:
        backlog = await feed(topic, options)
        logger.info("demo backlog of {} records appended", backlog)
        if trickle_rate > 0:
            live = GeneratorOptions(
                orders=10**9, seed=options.seed + 1, order_prefix="live", start=options.start
            )
            await feed(topic, live, trickle_rate)

    tasks = [asyncio.create_task(produce()), asyncio.create_task(pump(container, topic))]
    try:
        yield topic
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        container.consumer_status().state = ConsumerState.STOPPED
