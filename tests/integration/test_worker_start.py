"""The worker's start against the real services: a schema this build does not know ends the
run with exit code 2; a worker started again in the same process (as `streamview run` does
after a failure) uses the process's Kafka clients, which only the process closes, once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from application.ingestion.worker import EXIT_SCHEMA, EXIT_STOPPED, IngestionWorker
from devtools.generator import OutgoingRecord
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.wiring.lifetimes import WorkerResource, holding
from tests.integration.worker_support import (
    migrated,
    produce,
    read_log,
    stored_at_least,
    worker_settings,
)

POISON = OutgoingRecord(b"order-x", b"not json", (("x-sequence", b"1"),))


def counting_closes(client: Any) -> list[int]:
    """Count the closes of this client of the container (the lifetime closes the same one)."""
    closes: list[int] = []
    close: Callable[[], Awaitable[None]] = client.close

    async def counted() -> None:
        closes.append(1)
        await close()

    client.close = counted
    return closes


async def test_a_worker_on_a_database_this_build_does_not_know_exits_2(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str
) -> None:
    settings = worker_settings(stack_endpoints.kafka_bootstrap, database_url, new_topic(), group_id)
    container = build_container(settings)
    errors: list[str] = []
    sink = logger.add(lambda m: errors.append(m.record["message"]), level="ERROR")
    try:
        async with holding(container, WorkerResource), asyncio.timeout(60):
            worker: IngestionWorker = container.ingestion.worker()
            code = await worker.run(asyncio.Event())
    finally:
        logger.remove(sink)

    assert code == EXIT_SCHEMA
    assert any("run `streamview migrate`" in line for line in errors), errors


async def test_a_worker_started_again_uses_the_process_clients_closed_once_at_its_exit(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str
) -> None:
    bootstrap, topic = stack_endpoints.kafka_bootstrap, new_topic()
    await migrated(database_url)
    container: Container = build_container(
        worker_settings(bootstrap, database_url, topic, group_id)
    )
    dead_letter_closes = counting_closes(container.write_side.dead_letters())
    end_offsets_closes = counting_closes(container.infrastructure.end_offsets())
    codes, closes_between_runs = [], []

    async with holding(container, WorkerResource):
        for run in (1, 2):  # each run dead-letters one record through the process's producer
            await produce(bootstrap, topic, [POISON])
            stopping = asyncio.Event()
            worker: IngestionWorker = container.ingestion.worker()
            task = asyncio.create_task(worker.run(stopping))
            await stored_at_least(database_url, group_id, topic, run)
            stopping.set()
            codes.append(await task)
            closes_between_runs.append((len(dead_letter_closes), len(end_offsets_closes)))

    assert codes == [EXIT_STOPPED, EXIT_STOPPED]
    assert closes_between_runs == [(0, 0), (0, 0)]
    assert (len(dead_letter_closes), len(end_offsets_closes)) == (1, 1)
    assert len(await read_log(bootstrap, f"{topic}.dlq")) == 2
