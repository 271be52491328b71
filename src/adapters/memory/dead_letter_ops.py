"""The dead letters read back and redriven, in memory: a DLQ topic of `DeadLetter`s, the
redrive sender appending to `MemoryTopic`s, and the redrive ledger. Each pages, claims and
sends as its twin over Kafka or PostgreSQL does (`tests/contracts/dead_letter_ops.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import cast

from adapters.memory.outage import Switchable
from adapters.memory.topic import MemoryTopic
from application.errors import Unavailable
from application.ports import (
    REDRIVE_COUNT_HEADER,
    DeadLetter,
    LetterId,
    LetterPage,
    LetterQuery,
)
from domain.records import Headers


def _matches(letter: DeadLetter, query: LetterQuery) -> bool:
    return (
        (not query.reasons or letter.reason in query.reasons)
        and (query.since is None or letter.timestamp >= query.since)
        and (query.until is None or letter.timestamp < query.until)
    )


class MemoryDeadLetterReader(Switchable):
    """Implements DeadLetterReader over letters kept by (partition, offset). A partition's log
    starts at its lowest offset and ends after its highest, as a Kafka log with gaps would."""

    service = "the in-memory DLQ topic"

    def __init__(self, letters: Iterable[DeadLetter] = (), partitions: int = 1) -> None:
        self._logs: dict[int, dict[int, DeadLetter]] = {p: {} for p in range(partitions)}
        for letter in letters:
            self.add(letter)

    def add(self, letter: DeadLetter) -> None:
        self._logs.setdefault(letter.partition, {})[letter.offset] = letter

    def _bounds(self, partition: int) -> tuple[int, int]:
        log = self._logs[partition]
        return (min(log), max(log) + 1) if log else (0, 0)

    async def page(self, query: LetterQuery, max_scan: int) -> LetterPage:
        self._check_reachable()
        letters: list[DeadLetter] = []
        scanned = 0
        positions: dict[int, int] = {}
        for partition in sorted(self._logs):
            first, end = self._bounds(partition)
            start = self._start(partition, query, first, end)
            start = max(first, min(start, end))
            if start >= end or len(letters) >= query.limit or scanned >= max_scan:
                positions[partition] = start
                continue
            log = self._logs[partition]
            position = start
            for offset in sorted(o for o in log if o >= start):
                if len(letters) >= query.limit or scanned >= max_scan:
                    break
                position, scanned = offset + 1, scanned + 1
                if _matches(log[offset], query):
                    letters.append(log[offset])
            positions[partition] = position
        more = any(positions[p] < self._bounds(p)[1] for p in positions)
        return LetterPage(letters, positions if more else None)

    def _start(self, partition: int, query: LetterQuery, first: int, end: int) -> int:
        if query.start is not None and partition in query.start:
            return query.start[partition]
        if query.since is not None and query.start is None:
            log = self._logs[partition]
            at = [o for o in sorted(log) if log[o].timestamp >= query.since]
            return at[0] if at else end
        return first

    async def get(self, letter: LetterId) -> DeadLetter | None:
        self._check_reachable()
        return self._logs.get(letter.partition, {}).get(letter.offset)


class MemoryRedriveSender(Switchable):
    """Implements RedriveSender onto `MemoryTopic`s by name. A topic it does not know is
    `Unavailable` (the broker would not acknowledge it); a source partition the topic lacks
    gives way to the key's partition, as with Kafka."""

    service = "the in-memory broker"

    def __init__(self, *topics: MemoryTopic) -> None:
        self._topics = {topic.name: topic for topic in topics}

    async def send(self, letters: Sequence[tuple[DeadLetter, int]]) -> None:
        self._check_reachable()
        for letter, _ in letters:
            if (letter.source_topic or "") not in self._topics:
                raise Unavailable(f"no topic {letter.source_topic!r} to redrive to")
        for letter, count in letters:
            topic = self._topics[letter.source_topic or ""]
            headers = [(n, v) for n, v in letter.headers if n != REDRIVE_COUNT_HEADER]
            headers.append((REDRIVE_COUNT_HEADER, str(count).encode()))
            partition = letter.source_partition
            if partition is not None and not 0 <= partition < topic.partitions:
                partition = None
            # A header may be null (Kafka allows it, RawRecord's type does not say so).
            sent = cast(Headers, tuple(headers))
            topic.append(letter.key, letter.value, sent, partition=partition)


class MemoryRedriveLedger(Switchable):
    """Implements RedriveLedger. Claims are taken one at a time: a concurrent claim of the
    same letter waits for the send, then finds it claimed (or free again if the send failed)."""

    service = "the in-memory redrive ledger"

    def __init__(self) -> None:
        self.claims: dict[LetterId, tuple[str, int]] = {}  # requested_by, redrive count
        self._lock = asyncio.Lock()

    async def claim(
        self,
        letters: Sequence[DeadLetter],
        requested_by: str,
        send: Callable[[Sequence[DeadLetter]], Awaitable[None]],
    ) -> set[LetterId]:
        self._check_reachable()
        async with self._lock:
            fresh = list({x.id: x for x in letters if x.id not in self.claims}.values())
            if fresh:
                await send(fresh)  # an error leaves the ledger as it was: nothing redriven
            self.claims.update({x.id: (requested_by, x.redrive_count + 1) for x in fresh})
        return {x.id for x in fresh}
