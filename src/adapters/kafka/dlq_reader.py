"""The dead-letter topic read back (outside any consumer group) and redriven to its source.

Clients are built like the project's others: the redrive producer by `started_producer` (the DLQ
publisher's, idempotent, acks=all), the reader by `make_reader` here, beside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.dead_letters import started_producer
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from application.errors import Unavailable
from application.ports import REDRIVE_COUNT_HEADER, DeadLetter, LetterId, LetterPage, LetterQuery

_DLQ_PREFIX = "x-dlq-"
STALL_SECONDS = 10.0
BROKER_TIMEOUT_SECONDS = 10.0


def make_reader(
    bootstrap: str, client_id: str = "streamview-dlq-reader", security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaConsumer:
    """A consumer outside any group: the caller assigns partitions and seeks."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security.client_kwargs(),
    )


def dead_letter(record: Any) -> DeadLetter:
    """A DLQ record as the DLQ publisher wrote it (CONTRACT §3); tolerant of any headers."""
    dlq: dict[str, str] = {}
    original: list[tuple[str, bytes | None]] = []
    dropped: list[str] = []
    for name, value in record.headers or ():
        if name.startswith(_DLQ_PREFIX):
            text = (value or b"").decode("utf-8", "replace")
            if name.endswith("-dropped"):
                dropped.append(name[len(_DLQ_PREFIX) : -len("-dropped")])
            else:
                dlq[name[len(_DLQ_PREFIX) :]] = text
        else:
            original.append((name, value))
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        reason=dlq.get("reason", ""),
        detail=dlq.get("detail", ""),
        source_topic=dlq.get("source-topic"),
        source_partition=_number(dlq.get("source-partition")),
        source_offset=_number(dlq.get("source-offset")),
        key=record.key,
        value=None if "value" in dropped else record.value,
        headers=tuple(original),
        dropped=tuple(dropped),
    )


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isascii() and text.isdigit() else None


def _matches(letter: DeadLetter, query: LetterQuery) -> bool:
    return (
        (not query.reasons or letter.reason in query.reasons)
        and (query.since is None or letter.timestamp >= query.since)
        and (query.until is None or letter.timestamp < query.until)
    )


class KafkaDeadLetterReader:
    """Implements DeadLetterReader: a short-lived consumer per request (ops traffic is rare)."""

    def __init__(self, bootstrap: str, topic: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._security = security

    @asynccontextmanager
    async def _consumer(self) -> AsyncIterator[tuple[AIOKafkaConsumer, list[int]]]:
        """A started reader and the topic's partitions; the broker away is `Unavailable`."""
        try:
            async with asyncio.timeout(BROKER_TIMEOUT_SECONDS):
                offsets = KafkaEndOffsets(self._bootstrap, security=self._security)
                try:
                    partitions = await offsets.partitions(self._topic)
                finally:
                    await offsets.close()
                consumer = make_reader(self._bootstrap, security=self._security)
                await consumer.start()
        except (KafkaError, OSError, TimeoutError) as error:
            raise Unavailable(f"the broker did not answer: {type(error).__name__}") from error
        try:
            yield consumer, partitions
        except (KafkaError, OSError) as error:
            raise Unavailable(f"reading the DLQ topic failed: {type(error).__name__}") from error
        finally:
            await close_keeping_cancellation(consumer.stop())

    async def page(self, query: LetterQuery, max_scan: int) -> LetterPage:
        async with self._consumer() as (consumer, partitions):
            if not partitions:
                return LetterPage([], None)
            tps = [TopicPartition(self._topic, p) for p in partitions]
            consumer.assign(tps)
            firsts = await consumer.beginning_offsets(tps)
            ends = await consumer.end_offsets(tps)
            starts = {tp.partition: firsts[tp] for tp in tps}
            if query.since is not None and query.start is None:
                millis = max(0, int(query.since.timestamp() * 1000))  # before 1970: the start
                at = await consumer.offsets_for_times({tp: millis for tp in tps})
                starts = {tp.partition: (at[tp].offset if at[tp] else ends[tp]) for tp in tps}
            for p, offset in (query.start or {}).items():
                if p in starts:
                    starts[p] = offset
            letters: list[DeadLetter] = []
            scanned = 0
            positions: dict[int, int] = {}
            for tp in tps:
                start = max(firsts[tp], min(starts[tp.partition], ends[tp]))
                positions[tp.partition] = start
                if start >= ends[tp] or len(letters) >= query.limit or scanned >= max_scan:
                    continue
                found, positions[tp.partition], looked = await self._scan(
                    consumer, tp, start, ends[tp], query, query.limit - len(letters),
                    max_scan - scanned,
                )  # fmt: skip
                letters += found
                scanned += looked
            # `next` names every partition, the ones read to their end too: continuing from
            # it must not read those again from their start.
            more = any(positions[tp.partition] < ends[tp] for tp in tps)
            return LetterPage(letters, positions if more else None)

    async def _scan(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        start: int,
        end: int,
        query: LetterQuery,
        limit: int,
        budget: int,
    ) -> tuple[list[DeadLetter], int, int]:
        """Matching letters of one partition from `start`, the next offset to look at, and
        how many records were looked at."""
        consumer.seek(tp, start)
        found: list[DeadLetter] = []
        position, looked = start, 0
        progressed = time.monotonic()
        while position < end and len(found) < limit and looked < budget:
            batch = (await consumer.getmany(tp, timeout_ms=500, max_records=500)).get(tp, [])
            if not batch:
                if time.monotonic() - progressed > STALL_SECONDS:
                    raise TimeoutError(f"the broker sent nothing from {tp} for {STALL_SECONDS}s")
                continue
            progressed = time.monotonic()
            for record in batch:
                if record.offset < position:
                    continue
                position, looked = record.offset + 1, looked + 1
                letter = dead_letter(record)
                if _matches(letter, query):
                    found.append(letter)
                if position >= end or len(found) >= limit or looked >= budget:
                    break
        return found, position, looked

    async def get(self, letter: LetterId) -> DeadLetter | None:
        async with self._consumer() as (consumer, partitions):
            if letter.partition not in partitions:
                return None
            tp = TopicPartition(self._topic, letter.partition)
            consumer.assign([tp])
            first = (await consumer.beginning_offsets([tp]))[tp]
            end = (await consumer.end_offsets([tp]))[tp]
            if not first <= letter.offset < end:
                return None
            found, _, _ = await self._scan(consumer, tp, letter.offset, end, LetterQuery(), 1, 1)
            return found[0] if found and found[0].offset == letter.offset else None


class KafkaRedriveSender:
    """Implements RedriveSender; connects on first use, `close()` at exit."""

    def __init__(self, bootstrap: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def send(self, letters: Sequence[tuple[DeadLetter, int]]) -> None:
        try:
            await self._send(letters)
        except (KafkaError, OSError, TimeoutError) as error:
            await self.close()  # an idempotent producer that failed starts afresh next time
            raise Unavailable(f"the broker refused the redrive: {type(error).__name__}") from error

    async def _send(self, letters: Sequence[tuple[DeadLetter, int]]) -> None:
        producer = await self._connected()
        acks = []
        for letter, count in letters:
            topic = letter.source_topic or ""
            headers = [(n, v) for n, v in letter.headers if n != REDRIVE_COUNT_HEADER]
            headers.append((REDRIVE_COUNT_HEADER, str(count).encode()))
            partition = letter.source_partition
            if partition is not None and partition not in await producer.partitions_for(topic):
                partition = None  # the topic has fewer partitions now: the key's one
            acks.append(
                await producer.send(
                    topic, key=letter.key, value=letter.value, headers=headers, partition=partition
                )
            )
        await asyncio.gather(*acks)

    async def _connected(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                self._producer = await started_producer(
                    self._bootstrap, client_id="streamview-redrive", security=self._security
                )
            return self._producer

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await close_keeping_cancellation(producer.stop())
