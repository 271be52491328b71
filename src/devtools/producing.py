"""Publish generated records to Kafka: the demo backlog, a live trickle, benchmark loads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from devtools.generator import OutgoingRecord


async def publish(
    bootstrap: str,
    topic: str,
    records: Iterable[OutgoingRecord],
    rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    security: KafkaSecurity = PLAINTEXT,
) -> int:
    """Send every record (at `rate` records/s when > 0, else as fast as the broker takes them)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=512 * 1024,
        compression_type=None,
        **security.client_kwargs(),
    )
    await producer.start()
    sent = 0
    in_flight: list[asyncio.Future[Any]] = []
    started = time.monotonic()
    try:
        for record in records:
            if stop is not None and stop.is_set():
                break
            in_flight.append(
                await producer.send(
                    topic, value=record.value, key=record.key, headers=list(record.headers)
                )
            )
            sent += 1
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            if len(in_flight) >= 5000 or rate > 0:
                await asyncio.gather(*in_flight)
                in_flight.clear()
                if progress:
                    progress(sent)
        await asyncio.gather(*in_flight)
        if progress:
            progress(sent)
    finally:
        await close_keeping_cancellation(producer.stop())
    return sent
