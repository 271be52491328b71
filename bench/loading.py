"""Putting generated events on a topic, and watching a consumer group drain it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.sizes import Sizes
from devtools.generator import GeneratorOptions, OutgoingRecord, generate
from devtools.producing import publish


def dataset(sizes: Sizes, prefix: str = "ord", seed: int = 42) -> GeneratorOptions:
    """Scenario 1's events: orders x events, with duplicates and reordering, no poison."""
    return GeneratorOptions(
        orders=sizes.orders,
        events_per_order=sizes.events_per_order,
        duplicate_fraction=sizes.duplicate_fraction,
        reorder_fraction=sizes.reorder_fraction,
        seed=seed,
        order_prefix=prefix,
    )


async def produce(bootstrap: str, topic: str, records: Iterable[OutgoingRecord]) -> dict:
    started = time.perf_counter()
    sent = await publish(bootstrap, topic, records)
    seconds = time.perf_counter() - started
    return {"records": sent, "seconds": round(seconds, 2), "records_per_s": round(sent / seconds)}


async def produce_dataset(bootstrap: str, topic: str, options: GeneratorOptions) -> dict:
    return await produce(bootstrap, topic, generate(options))


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # a topic created a moment ago
            partitions = consumer.partitions_for_topic(topic) or set()
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in ends.items()}


async def stored_positions(database_url: str, group: str, topic: str) -> dict[int, int]:
    """The worker's positions as stored with the views (the ones that count)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT partition, next_offset FROM consumer_positions"
            " WHERE consumer_group = %s AND topic = %s",
            (group, topic),
        )
        return dict(await cursor.fetchall())


class Drained(NamedTuple):
    first_progress: float  # perf_counter when the first position was stored
    drained: float  # perf_counter when every partition reached its target


async def wait_until_drained(
    database_url: str,
    group: str,
    topic: str,
    targets: dict[int, int],
    timeout: float,
    alive: Callable[[], None] = lambda: None,
    poll: float = 0.1,
) -> Drained:
    """Until the stored positions of `group` reach `targets` (lag 0); `alive` raises if the
    worker died, so a crash is reported at once rather than as a time-out."""
    deadline = time.perf_counter() + timeout
    first: float | None = None
    while time.perf_counter() < deadline:
        alive()
        stored = await stored_positions(database_url, group, topic)
        now = time.perf_counter()
        if first is None and any(stored.values()):
            first = now
        if all(stored.get(p, 0) >= end for p, end in targets.items()):
            return Drained(first or now, now)
        await asyncio.sleep(poll)
    raise TimeoutError(f"group {group} did not drain {topic} within {timeout:.0f} s")
