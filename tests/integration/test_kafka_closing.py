"""Cancelling a task while it stops a real aiokafka producer: the task ends cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaProducer

from adapters.kafka.closing import close_keeping_cancellation


async def test_a_cancellation_at_any_moment_of_a_producer_stop_reaches_the_caller(
    stack_endpoints: Any, new_topic: Any
) -> None:
    topic = new_topic()
    outcomes = {}
    # aiokafka's stop awaits its own cancelled tasks a few loop iterations in; with a plain
    # `await producer.stop()` the cancellations landing there were lost (iterations 4, 6, 7).
    for iterations in range(1, 13):
        producer = AIOKafkaProducer(
            bootstrap_servers=stack_endpoints.kafka_bootstrap, enable_idempotence=True
        )
        await producer.start()
        await producer.send_and_wait(topic, b"v", key=b"k")

        async def stop_then_go_on(producer: AIOKafkaProducer = producer) -> None:
            await close_keeping_cancellation(producer.stop())
            await asyncio.sleep(30)  # where a caller that missed its cancellation would go

        caller = asyncio.create_task(stop_then_go_on())
        for _ in range(iterations):
            await asyncio.sleep(0)
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(caller, 10)  # TimeoutError if the cancellation was lost
        outcomes[iterations] = (caller.cancelled(), producer._closed)

    assert outcomes == {n: (True, True) for n in range(1, 13)}
