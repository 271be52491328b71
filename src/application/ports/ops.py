"""The operations side's ports: the consumer group's state, the topic's facts, readiness, and
the dead letters read back and redriven."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec

REDRIVE_COUNT_HEADER = "x-redrive-count"


class ConsumerState(StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    REBUILDING = "REBUILDING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"


class ConsumerStatus(Protocol):
    @property
    def state(self) -> ConsumerState: ...


class MemberState(msgspec.Struct, frozen=True):
    """What one worker process of a consumer group last said of itself, and how long ago."""

    member: str
    state: ConsumerState
    age_seconds: float


class ConsumerStates(Protocol):
    """The states of a consumer group's workers, shared between processes: each worker reports
    its own; an API-only process reads them to say where the group stands."""

    async def report(
        self, consumer_group: str, topic: str, member: str, state: ConsumerState
    ) -> None: ...

    async def members(self, consumer_group: str, topic: str) -> list[MemberState]:
        """Every member that reported for the group and topic (pruned after a day)."""
        ...


class WorkerMetrics(Protocol):
    """What the worker keeps current between batches: its state, the lag, the stash's size."""

    def follow_state(self, status: ConsumerStatus) -> None:
        """Report `status.state` from now on (read when observed: never stale)."""
        ...

    def lag_observed(self, topic: str, lags: dict[int, int]) -> None: ...

    def stash_counted(self, count: int) -> None:
        """The stash's size as the store counts it; batches add their deltas to it."""
        ...


class SchemaCheck(Protocol):
    async def problem(self) -> str | None:
        """None when the database's schema (the engine's, and that of every enabled view) is
        the one this build needs, else what to do about it; raises Unavailable while the
        database cannot be asked."""
        ...


class ConnectionPool(Protocol):
    async def wait_connection(self, timeout_seconds: float) -> None:
        """Return once the pool hands out a connection (connecting again if it had stopped
        trying); raise when none came within `timeout_seconds`. The pool stays usable."""
        ...


class BrokerAccess(Protocol):
    """What the broker makes of this service's settings and permissions, in words that name
    what to fix."""

    def describe(self) -> str:
        """Where the broker is and how this service connects to it (no secret in it)."""
        ...

    async def connection_problem(self) -> str | None:
        """A reason the broker will never accept these settings, or None (connected, or not
        reachable yet: a broker that is away is waited for, not a configuration error)."""
        ...

    def denial(self, error: BaseException) -> str | None:
        """The permission this error says the broker denies (and how to grant it); None for
        any other error."""
        ...


class EndOffsets(Protocol):
    async def end_offsets(self, topic: str) -> dict[int, int]:
        """The log end offset of every partition of `topic`."""
        ...


class ReadinessProbe(Protocol):
    name: str

    async def problem(self) -> str | None:
        """None when the dependency answers and is usable, else why not."""
        ...


class TopicFacts(msgspec.Struct, frozen=True):
    """What the broker says of the topic: its settings and each partition's log start."""

    cleanup_policy: str
    retention_ms: int  # -1: unlimited
    log_starts: dict[int, int]


class TopicInspector(Protocol):
    async def facts(self, topic: str) -> TopicFacts:
        """The topic's settings and log starts. Raises LookupError if it does not exist,
        PermissionError if the broker denies the question, Unavailable if it does not
        answer."""
        ...


class LossMetric(Protocol):
    def records_lost(self, partition: int, count: int) -> None: ...


class LetterId(msgspec.Struct, frozen=True):
    partition: int
    offset: int


class DeadLetter(msgspec.Struct, frozen=True):
    """One record of the DLQ topic, its x-dlq-* headers read apart from the original ones."""

    partition: int
    offset: int
    timestamp: datetime
    reason: str
    detail: str
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]  # the original record's, x-dlq-* removed
    dropped: tuple[str, ...] = ()  # parts left out for size: value, key, headers

    @property
    def id(self) -> LetterId:
        return LetterId(self.partition, self.offset)

    @property
    def redrive_count(self) -> int:
        for name, value in self.headers:
            if name == REDRIVE_COUNT_HEADER and value is not None:
                text = value.decode("ascii", "replace")
                return int(text) if text.isdigit() and len(text) < 10 else 0
        return 0


class LetterQuery(msgspec.Struct, frozen=True):
    reasons: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    start: dict[int, int] | None = None  # next DLQ offset per partition (a page's `next`)
    limit: int = 50


class LetterPage(msgspec.Struct, frozen=True):
    letters: list[DeadLetter]
    next: dict[int, int] | None  # where to continue, None once every partition was read


class DeadLetterReader(Protocol):
    async def page(self, query: LetterQuery, max_scan: int) -> LetterPage:
        """Letters matching the query in (partition, offset) order, at most `limit`, looking
        at no more than `max_scan` records."""
        ...

    async def get(self, letter: LetterId) -> DeadLetter | None: ...


class RedriveSender(Protocol):
    async def send(self, letters: Sequence[tuple[DeadLetter, int]]) -> None:
        """Produce each letter's original to its source topic with this redrive count, and
        return once the broker acknowledged every one."""
        ...


class RedriveLedger(Protocol):
    async def claim(
        self,
        letters: Sequence[DeadLetter],
        requested_by: str,
        send: Callable[[Sequence[DeadLetter]], Awaitable[None]],
    ) -> set[LetterId]:
        """In one transaction: record the letters not redriven yet, `send` those, commit.
        Returns the ids claimed (and sent); a failing `send` claims nothing."""
        ...


class RedriveMetrics(Protocol):
    def redriven(self, outcome: str, count: int = 1) -> None: ...
