"""The topic in memory: an append-only partitioned log standing in for a Kafka topic."""

from __future__ import annotations

from adapters.memory.outage import Switchable
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

    def append(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: tuple[tuple[str, bytes], ...],
        partition: int | None = None,
    ) -> RawRecord:
        """On `partition`, or on the one the key hashes to (as a producer's default)."""
        partition = hash(key) % len(self._logs) if partition is None else partition
        log = self._logs[partition]
        record = RawRecord(self.name, partition, len(log), key, value, headers)
        log.append(record)
        return record

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
