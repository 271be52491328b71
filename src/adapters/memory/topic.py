"""The topic in memory: an append-only partitioned log standing in for a Kafka topic."""

from __future__ import annotations

from adapters.memory.outage import Switchable
from adapters.memory.partitioner import partition_for_key
from application.ports import TopicFacts
from domain.records import RawRecord

KAFKA_DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000


class MemoryTopic(Switchable):
    """An append-only partitioned log standing in for a Kafka topic: a "delete" topic whose
    retention never comes (no record is ever deleted, so every log starts at 0).
    `reachable = False` plays the broker being away for the inspector: `Unavailable`."""

    service = "the in-memory broker"

    def __init__(
        self, name: str, partitions: int = 1, retention_ms: int = KAFKA_DEFAULT_RETENTION_MS
    ) -> None:
        self.name = name
        self.retention_ms = retention_ms
        self._logs: list[list[RawRecord]] = [[] for _ in range(partitions)]
        self._unkeyed = 0

    def append(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: tuple[tuple[str, bytes], ...],
        partition: int | None = None,
    ) -> RawRecord:
        """On `partition`; else a keyed record goes where Kafka's default partitioner sends it
        (murmur2 of the key, `adapters.memory.partitioner`), the same in every process and as
        a real producer would. A record without a key goes round-robin: partition 0, 1, ... in
        the order such records are appended to this topic (a real producer's "sticky" choice
        depends on its batching, which a test could not predict)."""
        if partition is None:
            partition = self._next_partition(key)
        log = self._logs[partition]
        record = RawRecord(self.name, partition, len(log), key, value, headers)
        log.append(record)
        return record

    def _next_partition(self, key: bytes | None) -> int:
        if key is not None:
            return partition_for_key(key, len(self._logs))
        partition, self._unkeyed = self._unkeyed % len(self._logs), self._unkeyed + 1
        return partition

    def read(self, partition: int, offset: int, limit: int) -> list[RawRecord]:
        return self._logs[partition][offset : offset + limit]

    @property
    def partitions(self) -> int:
        return len(self._logs)

    async def end_offsets(self, topic: str) -> dict[int, int]:
        """Implements EndOffsets; like the broker, knows no other topic."""
        if topic != self.name:
            return {}
        return {p: len(log) for p, log in enumerate(self._logs)}

    async def facts(self, topic: str) -> TopicFacts:
        """Implements TopicInspector; like the broker, knows no other topic."""
        self._check_reachable()
        if topic != self.name:
            raise LookupError(f"topic {topic!r} does not exist")
        return TopicFacts("delete", self.retention_ms, dict.fromkeys(range(len(self._logs)), 0))
