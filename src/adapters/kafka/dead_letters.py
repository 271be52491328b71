"""The dead-letter topic (CONTRACT §3): the original record plus why and where it came from."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from loguru import logger

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from domain.records import Rejected


def make_producer(
    bootstrap: str, client_id: str = "streamview-dlq", security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,  # a retried send is never written twice
        acks="all",
        # Fail the batch (and let the worker pause and retry) well within a rebalance timeout.
        request_timeout_ms=15_000,
        **security.client_kwargs(),
    )


def dead_letter_headers(letter: Rejected) -> list[tuple[str, bytes]]:
    record = letter.record
    return [
        *record.headers,
        ("x-dlq-reason", letter.reason.value.encode()),
        ("x-dlq-detail", letter.detail.encode()),
        ("x-dlq-source-topic", record.topic.encode()),
        ("x-dlq-source-partition", str(record.partition).encode()),
        ("x-dlq-source-offset", str(record.offset).encode()),
    ]


class KafkaDeadLetters:
    """Implements DeadLetterSink. Connects on first use: a process that never dead-letters
    (the API) never opens a producer, and a broker that was down is retried on the next batch.
    """

    def __init__(self, bootstrap: str, topic: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._connecting = asyncio.Lock()

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await close_keeping_cancellation(producer.stop())  # flushes what is pending

    async def publish(self, letters: Sequence[Rejected]) -> None:
        """Send every letter, then wait until the broker acknowledged all of them."""
        producer = await self._connected()
        sends = [
            await producer.send(
                self._topic,
                key=letter.record.key,
                value=letter.record.value,
                headers=dead_letter_headers(letter),
            )
            for letter in letters
        ]
        await asyncio.gather(*sends)
        for letter in letters:
            _log(letter)

    async def _connected(self) -> AIOKafkaProducer:
        async with self._connecting:
            if self._producer is None:
                producer = make_producer(self._bootstrap, security=self._security)
                try:
                    await producer.start()
                except BaseException:
                    await close_keeping_cancellation(producer.stop())
                    raise
                self._producer = producer
            return self._producer


def _log(letter: Rejected) -> None:
    record = letter.record
    sequence = record.header("x-sequence")
    log = logger.bind(
        orderId=record.key.decode(errors="replace") if record.key is not None else None,
        sequence=sequence.decode(errors="replace") if sequence is not None else None,
        partition=record.partition,
        offset=record.offset,
        reason=letter.reason.value,
    )
    trace_id = record.header("x-trace-id")
    if trace_id is not None:  # CONTRACT §1: the producer's correlation id goes into the logs
        log = log.bind(traceId=trace_id.decode(errors="replace"))
    log.warning("dead-lettered a record ({}): {}", letter.reason.value, letter.detail)
