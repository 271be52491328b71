"""In-memory stand-ins for the outside world: dead letters, metrics, spans, the topic."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from adapters.memory.outage import Switchable
from application.ports import ConsumerState, MemberState, TopicFacts
from domain.batch import BatchResult
from domain.records import RawRecord, Rejected


class MemoryDeadLetters:
    def __init__(self) -> None:
        self.sent: list[Rejected] = []

    async def publish(self, letters: Sequence[Rejected]) -> None:
        self.sent.extend(letters)


class MemoryMetrics:
    """Counts what CONTRACT §6 counts, readable by tests."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.duplicates = 0
        self.out_of_order: Counter[str] = Counter()
        self.dead_letters: Counter[str] = Counter()
        self.stashed = 0
        self.writes: list[float] = []
        self.formats: Counter[str] = Counter()

    def batch_projected(self, result: BatchResult, rejected: Sequence[Rejected]) -> None:
        self.events.update(result.tally.applied)
        self.duplicates += result.tally.duplicates
        self.out_of_order["late"] += result.tally.late
        self.out_of_order["gap"] += result.tally.gaps
        self.dead_letters.update(r.reason.value for r in rejected)
        self.stashed += result.stash_delta

    def write_observed(self, seconds: float) -> None:
        self.writes.append(seconds)

    def records_decoded(self, formats: Mapping[str, int]) -> None:
        self.formats.update(formats)


class NullSpans:
    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[None]:
        yield None

    @contextmanager
    def batch(
        self, records: Sequence[RawRecord], poll_started_ns: int | None = None
    ) -> Iterator[None]:
        yield None


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


class FixedStatus:
    def __init__(self, state: ConsumerState = ConsumerState.STARTING) -> None:
        self.state = state


class MemoryConsumerStates(Switchable):
    """Implements ConsumerStates within one process."""

    service = "the in-memory consumer states"

    def __init__(self) -> None:
        self._reports: dict[tuple[str, str, str], tuple[ConsumerState, float]] = {}

    async def report(
        self, consumer_group: str, topic: str, member: str, state: ConsumerState
    ) -> None:
        self._check_reachable()
        self._reports[consumer_group, topic, member] = (state, time.monotonic())

    async def members(self, consumer_group: str, topic: str) -> list[MemberState]:
        self._check_reachable()
        now = time.monotonic()
        return [
            MemberState(member, state, now - seen)
            for (group, top, member), (state, seen) in sorted(self._reports.items())
            if (group, top) == (consumer_group, topic)
        ]
