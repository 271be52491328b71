"""The topic replayed for a rebuild: a consumer outside any group, partitions assigned by hand.

No group means no rebalance, no committed offsets and nothing the live worker's group would
notice; the rebuild decides every offset itself. A broker that cannot be reached when the
replay opens is `Unavailable` (the rebuild records that, rather than a bare TimeoutError).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.offsets import KafkaEndOffsets
from adapters.kafka.records import to_raw_record
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from application.errors import Unavailable
from domain.records import RawRecord

# What a broker that cannot be reached raises at the start of a client.
_AWAY = (KafkaError, OSError, TimeoutError)


class KafkaTopicReplay:
    """Implements TopicReplay."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        topic: str,
        partitions: Sequence[int],
        batch_records: int = 5000,
        stall_seconds: float = 60.0,
    ) -> None:
        self._consumer = consumer
        self._topic = topic
        self._partitions = {p: TopicPartition(topic, p) for p in partitions}
        self._batch = batch_records
        self._stall_seconds = stall_seconds

    async def bounds(self) -> tuple[dict[int, int], dict[int, int]]:
        tps = list(self._partitions.values())
        first = await self._consumer.beginning_offsets(tps)
        ends = await self._consumer.end_offsets(tps)
        return {tp.partition: n for tp, n in first.items()}, {
            tp.partition: n for tp, n in ends.items()
        }

    async def read(
        self, start: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[Sequence[RawRecord]]:
        todo = {p: end for p, end in until.items() if end > start.get(p, 0)}
        if not todo:
            return
        tps = {p: self._partitions.get(p) or TopicPartition(self._topic, p) for p in todo}
        self._consumer.assign(list(tps.values()))
        for p, tp in tps.items():
            self._consumer.seek(tp, start.get(p, 0))
        progressed = time.monotonic()
        while todo:
            fetched = await self._consumer.getmany(
                *(tps[p] for p in todo), timeout_ms=500, max_records=self._batch
            )
            batch = [
                to_raw_record(record)
                for tp, records in fetched.items()
                for record in records
                if record.offset < todo.get(tp.partition, -1)
            ]
            for p in list(todo):
                if await self._consumer.position(tps[p]) >= todo[p]:
                    del todo[p]  # later records, if fetched already, are left unread
            if batch:
                progressed = time.monotonic()
                yield batch
            elif time.monotonic() - progressed > self._stall_seconds:
                raise TimeoutError(
                    f"no records from the broker for {self._stall_seconds:g}s while replaying"
                    f" partitions {sorted(todo)} of {self._topic}"
                )


@asynccontextmanager
async def open_replay(
    bootstrap: str,
    topic: str,
    batch_records: int = 5000,
    security: KafkaSecurity = PLAINTEXT,
) -> AsyncIterator[KafkaTopicReplay]:
    """Implements OpenReplay (bind the first arguments with functools.partial)."""
    offsets = KafkaEndOffsets(bootstrap, security=security)
    try:
        partitions = await offsets.partitions(topic)
    except _AWAY as error:
        raise Unavailable(f"the broker did not answer: {type(error).__name__}") from error
    finally:
        await offsets.close()
    if not partitions:
        raise LookupError(f"topic {topic!r} does not exist")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        client_id="streamview-rebuild",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,  # the replay is a bulk read
        fetch_max_bytes=64 * 1024 * 1024,
        **security.client_kwargs(),
    )
    try:
        await consumer.start()
    except _AWAY as error:
        await close_keeping_cancellation(consumer.stop())
        raise Unavailable(f"the broker did not answer: {type(error).__name__}") from error
    try:
        yield KafkaTopicReplay(consumer, topic, partitions, batch_records)
    finally:
        await close_keeping_cancellation(consumer.stop())
