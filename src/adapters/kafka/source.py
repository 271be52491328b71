"""The consumed topic: an aiokafka group member whose positions the application decides."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence, Set

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import (
    KafkaError,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
    TopicAuthorizationFailedError,
)
from loguru import logger

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.records import to_raw_record
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from application.ports import PartitionListener, Position
from domain.records import RawRecord

# (partition, stored position, log start): records between the two were never consumed.
RecordsLost = Callable[[int, int, int], None]


def make_consumer(
    bootstrap: str,
    group_id: str,
    max_records: int,
    client_id: str = "streamview-worker",
    security: KafkaSecurity = PLAINTEXT,
) -> AIOKafkaConsumer:
    """A consumer for the worker's group; the caller subscribes it (see KafkaRecordSource)."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,  # the positions are stored with the views
        # No silent reset: a position the broker no longer has comes back as an error, so
        # that records deleted before they were consumed are counted (KafkaRecordSource.fetch).
        auto_offset_reset="none",
        max_poll_records=max_records,
        # Room for a revocation to wait for the batch in flight (one DLQ write + one
        # transaction) before the coordinator gives up on this member.
        rebalance_timeout_ms=60_000,
        # Several batches buffered per partition: the next one arrives while one is written.
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **security.client_kwargs(),
    )


class KafkaRecordSource:
    """Implements RecordSource for one topic."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        topic: str,
        commit_timeout_seconds: float = 10.0,
        on_records_lost: RecordsLost | None = None,
    ) -> None:
        self._consumer = consumer
        self._topic = topic
        self._commit_timeout = commit_timeout_seconds
        self._on_records_lost = on_records_lost
        # Partitions sought without a stored position: starting at the log start loses nothing.
        self._fresh: set[int] = set()

    @classmethod
    def create(
        cls,
        bootstrap: str,
        topic: str,
        group_id: str,
        max_records: int,
        security: KafkaSecurity = PLAINTEXT,
        on_records_lost: RecordsLost | None = None,
    ) -> KafkaRecordSource:
        consumer = make_consumer(bootstrap, group_id, max_records, security=security)
        return cls(consumer, topic, on_records_lost=on_records_lost)

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        """Leave the group at once, so that its partitions move without a session timeout."""
        try:
            await close_keeping_cancellation(self._consumer.stop())
        except asyncio.CancelledError:
            # With the broker down, aiokafka's close re-raises the cancellation of its own
            # fetch tasks; only a cancellation of this task itself may go on.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            logger.warning("kafka consumer closed while its fetches were failing")

    def subscribe(self, listener: PartitionListener) -> None:
        self._consumer.subscribe([self._topic], listener=_Rebalance(listener))

    async def fetch(self, max_records: int, timeout_ms: int) -> list[RawRecord]:
        self._raise_if_unauthorized()
        try:
            batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except OffsetOutOfRangeError as error:
            await self._out_of_range(error.args[0])
            return []
        except NoOffsetForPartitionError as error:  # assigned, not sought yet: it will be
            self._fresh.add(error.args[0].partition)
            self._consumer.seek(error.args[0], 0)
            return []
        return [to_raw_record(r) for records in batches.values() for r in records]

    async def seek(self, offsets: Mapping[int, int | None]) -> None:
        for partition, offset in offsets.items():
            # No position yet: offset 0, moved up to the log start (see fetch) if retention
            # removed it. Unlike seek_to_beginning, nothing waits for the broker here, while
            # the caller holds the lock a rebalance waits for.
            if offset is None:
                self._fresh.add(partition)
            else:
                self._fresh.discard(partition)
            self._consumer.seek(TopicPartition(self._topic, partition), offset or 0)

    def _raise_if_unauthorized(self) -> None:
        """aiokafka only logs a subscribed topic the broker denies us, and then fetches
        nothing, for ever: raise it, so that the worker names the missing ACL."""
        client = self._consumer._client  # no public view of the metadata
        if self._topic in client.cluster.unauthorized_topics:
            client.force_metadata_update()  # seen again soon after the ACL is granted
            raise TopicAuthorizationFailedError(self._topic)

    async def _out_of_range(self, positions: Mapping[TopicPartition, int]) -> None:
        """Move each position to the log start; a stored one below it lost records: say so."""
        starts = await self._consumer.beginning_offsets(list(positions))
        for tp, position in positions.items():
            start = starts[tp]
            if position < start and tp.partition not in self._fresh:
                logger.bind(partition=tp.partition, position=position, logStart=start).error(
                    "RECORDS LOST: {} records of {} partition {} were deleted by the broker "
                    "before they were consumed; going on from the log start {}",
                    start - position,
                    tp.topic,
                    tp.partition,
                    start,
                )
                if self._on_records_lost is not None:
                    self._on_records_lost(tp.partition, position, start)
            elif position > start:  # beyond the log end: the topic was recreated or truncated
                logger.bind(partition=tp.partition, position=position, logStart=start).error(
                    "position {} of {} partition {} is beyond its log end: replaying it from "
                    "the log start {} (events already applied are recognised as duplicates)",
                    position,
                    tp.topic,
                    tp.partition,
                    start,
                )
            self._fresh.discard(tp.partition)
            self._consumer.seek(tp, start)

    async def commit(self, positions: Sequence[Position]) -> None:
        offsets = {TopicPartition(p.topic, p.partition): p.next_offset for p in positions}
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), self._commit_timeout)
        except (KafkaError, TimeoutError) as error:
            # Only the tools' view of progress lags: the stored positions are already right.
            logger.bind(positions=str(offsets)).warning("kafka offset commit failed: {!r}", error)

    def pause(self, partitions: Collection[int]) -> None:
        self._consumer.pause(*self._partitions(partitions))

    def resume(self, partitions: Collection[int]) -> None:
        self._consumer.resume(*self._partitions(partitions))

    def _partitions(self, partitions: Collection[int]) -> list[TopicPartition]:
        # Only those still assigned: pausing any other one is an error in aiokafka.
        assigned = self._consumer.assignment()
        wanted = (TopicPartition(self._topic, p) for p in partitions)
        return [tp for tp in wanted if tp in assigned]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # untyped base
    def __init__(self, listener: PartitionListener) -> None:
        self._listener = listener

    async def on_partitions_revoked(self, revoked: Set[TopicPartition]) -> None:
        await self._listener.partitions_revoked({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned: Set[TopicPartition]) -> None:
        await self._listener.partitions_assigned({tp.partition for tp in assigned})
