"""The whole pipeline in one process with no Kafka and no Postgres: for a first look and tests.

The live worker projects through the container's gate and the rebuild watcher runs beside
it, so that `POST /views/rebuild` rebuilds the in-memory views as the worker process would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from loguru import logger

from adapters.memory.record_source import MemoryRecordSource
from adapters.memory.topic import MemoryTopic
from application.consuming import ConsumeSettings, ConsumeTopic
from application.errors import LiveViewsRewritten
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


def consume_topic(container: Container, topic: MemoryTopic) -> ConsumeTopic:
    """The worker's own loop (ConsumeTopic) over the MemoryTopic and the in-memory views,
    through the gate a rebuild pauses it at."""
    config, write_side = container.config, container.write_side
    return ConsumeTopic(
        MemoryRecordSource(topic),
        container.rebuilds.live_gate(),
        write_side.view_store(),
        write_side.consumer_status(),
        ConsumeSettings(
            consumer_group=config.consumer_group(),
            topic=topic.name,
            batch_max_records=config.batch_max_records(),
            batch_max_wait_ms=config.batch_max_wait_ms(),
        ),
        # Nothing outside the process to wait for; after an in-place rebuild, seek again.
        is_transient=lambda error: isinstance(error, LiveViewsRewritten),
    )


@contextlib.asynccontextmanager
async def memory_pipeline(
    container: Container, options: GeneratorOptions, trickle_rate: float = 0.0
) -> AsyncIterator[MemoryTopic]:
    topic = MemoryTopic(container.config.topic(), partitions=6)
    container.infrastructure.end_offsets.override(topic)

    async def produce() -> None:
        backlog = await feed(topic, options)
        logger.info("demo backlog of {} records appended", backlog)
        if trickle_rate > 0:
            live = GeneratorOptions(
                orders=10**9, seed=options.seed + 1, order_prefix="live", start=options.start
            )
            await feed(topic, live, trickle_rate)

    stopping = asyncio.Event()
    producing = asyncio.create_task(produce())
    consuming = asyncio.create_task(consume_topic(container, topic).run(stopping))
    rebuilds = asyncio.create_task(container.rebuilds.watch_rebuilds()(stopping))
    try:
        yield topic
    finally:
        producing.cancel()
        stopping.set()  # the batch in flight is finished; the loop records STOPPED
        await asyncio.gather(producing, rebuilds, consuming, return_exceptions=True)
