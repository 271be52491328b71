"""The dead-letter ops contracts against the real adapters: the DLQ read back from Kafka, the
redrive produced to Kafka, the ledger in PostgreSQL; each also with its server unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from adapters.kafka.dlq_reader import KafkaDeadLetterReader, KafkaRedriveSender
from adapters.postgres.redrives import PostgresRedriveLedger
from application.ports import DeadLetter
from tests.contracts.dead_letter_ops import (
    DeadLetterReaderContract,
    DeadLetterReaderOutageContract,
    RedriveLedgerContract,
    RedriveLedgerOutageContract,
    RedriveSenderContract,
    RedriveSenderOutageContract,
    Sent,
)
from tests.integration.postgres_support import open_pool, unreachable_pool
from tests.integration.worker_support import read_log

pytestmark = pytest.mark.integration

# Nothing listens on port 1: the broker's bootstrap connection is refused.
UNREACHABLE_BROKER = "127.0.0.1:1"
DLQ_TOPIC = "orders.events.dlq"

ReadBack = Callable[[], Awaitable[list[Sent]]]


def dlq_headers(letter: DeadLetter) -> list[tuple[str, bytes | None]]:
    """The x-dlq-* headers the DLQ publisher writes (CONTRACT §3), then the original ones."""
    written = {
        "reason": letter.reason,
        "detail": letter.detail,
        "source-topic": letter.source_topic,
        "source-partition": letter.source_partition,
        "source-offset": letter.source_offset,
    }
    headers: list[tuple[str, bytes | None]] = [
        (f"x-dlq-{name}", str(value).encode())
        for name, value in written.items()
        if value is not None
    ]
    headers += [(f"x-dlq-{part}-dropped", b"size") for part in letter.dropped]
    return headers + list(letter.headers)


class TestKafkaDeadLetterReader(DeadLetterReaderContract):
    @pytest.fixture
    def dlq(
        self, stack_endpoints: Any, new_topic: Any
    ) -> Callable[[Sequence[DeadLetter], int], Awaitable[KafkaDeadLetterReader]]:
        bootstrap = stack_endpoints.kafka_bootstrap

        async def make(letters: Sequence[DeadLetter], partitions: int) -> KafkaDeadLetterReader:
            topic = f"{new_topic(partitions=partitions)}.dlq"
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
            await producer.start()
            try:
                for letter in letters:
                    written = await producer.send_and_wait(
                        topic,
                        letter.value,
                        key=letter.key,
                        partition=letter.partition,
                        timestamp_ms=int(letter.timestamp.timestamp() * 1000),
                        headers=dlq_headers(letter),
                    )
                    assert (written.partition, written.offset) == (letter.partition, letter.offset)
            finally:
                await producer.stop()
            return KafkaDeadLetterReader(bootstrap, topic)

        return make


class TestKafkaDeadLetterReaderAway(DeadLetterReaderOutageContract):
    @pytest.fixture
    def unreachable(self) -> KafkaDeadLetterReader:
        return KafkaDeadLetterReader(UNREACHABLE_BROKER, DLQ_TOPIC)


class TestKafkaRedriveSender(RedriveSenderContract):
    @pytest.fixture
    async def sending(
        self, stack_endpoints: Any, new_topic: Any
    ) -> AsyncIterator[Callable[[int], Awaitable[tuple[KafkaRedriveSender, str, ReadBack]]]]:
        bootstrap = stack_endpoints.kafka_bootstrap
        senders: list[KafkaRedriveSender] = []

        async def make(partitions: int) -> tuple[KafkaRedriveSender, str, ReadBack]:
            topic = new_topic(partitions=partitions)
            senders.append(KafkaRedriveSender(bootstrap))

            async def read_back() -> list[Sent]:
                return [
                    Sent(r.partition, r.key, r.value, tuple(tuple(h) for h in r.headers))
                    for r in await read_log(bootstrap, topic)
                ]

            return senders[-1], topic, read_back

        yield make
        for sender in senders:
            await sender.close()


class TestKafkaRedriveSenderAway(RedriveSenderOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[KafkaRedriveSender]:
        sender = KafkaRedriveSender(UNREACHABLE_BROKER)
        yield sender
        await sender.close()


class TestPostgresRedriveLedger(RedriveLedgerContract):
    @pytest.fixture
    async def ledger(self, database_url: str) -> AsyncIterator[PostgresRedriveLedger]:
        async with open_pool(database_url) as pool:
            yield PostgresRedriveLedger(pool, DLQ_TOPIC)


class TestPostgresRedriveLedgerAway(RedriveLedgerOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresRedriveLedger]:
        async with unreachable_pool() as pool:
            yield PostgresRedriveLedger(pool, DLQ_TOPIC)
