"""Ceiling (b1): aiokafka reading the whole topic with no database at all."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition


async def run(bootstrap: str, topic: str, targets: dict[int, int], timeout: float) -> dict:
    """Read every partition from offset 0 up to `targets`; msgs/s over the whole read."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in targets]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    remaining = {tp: targets[tp.partition] for tp in partitions if targets[tp.partition] > 0}
    count, value_bytes = 0, 0
    started = time.perf_counter()
    deadline = started + timeout
    try:
        while remaining and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, messages in batches.items():
                count += len(messages)
                # Touch what a real consumer touches, so the figure is not just a socket read.
                value_bytes += sum(len(m.value or b"") for m in messages)
                if messages and messages[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
    if remaining:
        raise TimeoutError(f"raw consumption did not reach the end within {timeout:.0f} s")
    return {
        "messages": count,
        "seconds": round(seconds, 2),
        "messages_per_s": round(count / seconds),
        "mb_per_s": round(value_bytes / seconds / 1e6, 1),
    }
